using System.Runtime.CompilerServices;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;

namespace Bitmapist.Linq.Tests.Backends.Sharded;

/// <summary>
/// The sharded layout against the same data in bitmapist's layout, on the embedded engine, in both of its ways of
/// running: one joined batch for all shards (where a batch may span shards: a single Redis, the embedded engine) and
/// one batch per shard gathered (a cluster's way, here forced on the embedded engine by <see cref="PerShardBatches"/>).
/// Shards of 2^8 ids, so the data spans dozens of shards. Every read kind: count, members from an id on, min, max,
/// membership.
/// </summary>
public class ShardedLayoutOracleTests
{
    private static readonly DateTime Now = new(2026, 11, 18, 12, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Events = ["a", "b", "c"];

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    [InlineData(false, 3)]
    [InlineData(true, 4)]
    public async Task Random_queries_answer_as_in_bitmapists_layout(bool perShard, int seed)
    {
        var r = new Random(seed);
        var clock = new FixedClock(Now);
        // Every marked user is in the universe (a unique flag), which the queries' complements need.
        var universe = SetExpr.Event("user", PeriodRef.Of(Period.Unique));
        await using var plain = new EmbeddedStore(new StoreOptions { Clock = clock, Universe = universe });
        var inner = new EmbeddedStore(new StoreOptions { Clock = clock });
        IBitmapBackend backend = perShard ? new PerShardBatches(inner.Backend) : inner.Backend;
        await using var sharded = new BitmapStore(backend, new StoreOptions { Clock = clock, Universe = universe, Layout = KeyLayout.Sharded(8) });
        sharded.Backend.ShouldBeOfType<ShardedBackend>();

        var plainBatch = plain.CreateBatch();
        var shardedBatch = sharded.CreateBatch();
        for (var i = 0; i < 600; i++)
        {
            var e = Events[r.Next(Events.Length)];
            long id = r.Next(30) == 0 ? RandomFormula.Wide(r) : RandomFormula.Interesting(r, 1 << 14);
            var at = Now.AddDays(-r.Next(0, 40));
            plainBatch.Mark(e, id, at).MarkUnique("user", id);
            shardedBatch.Mark(e, id, at).MarkUnique("user", id);
        }
        await plainBatch.ExecuteAsync();
        await shardedBatch.ExecuteAsync();

        SetExpr[] leaves =
        [
            .. Events.SelectMany(e => new[]
            {
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, -r.Next(0, 2))),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week, -r.Next(0, 6))),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day, -r.Next(0, 40))),
            }),
        ];
        for (var q = 0; q < 30; q++)
        {
            var query = RandomFormula.Build(r, leaves, depth: r.Next(1, 5), minDepth: 1);
            var (expected, got) = (plain.Set(query), sharded.Set(query));
            var context = $"seed {seed}, query {query}";
            var members = await expected.ToListAsync();
            (await got.ToListAsync()).ShouldBe(members, context);
            (await got.CountAsync()).ShouldBe(members.Count, context);
            (await got.MinAsync()).ShouldBe(await expected.MinAsync(), context);
            (await got.MaxAsync()).ShouldBe(await expected.MaxAsync(), context);
            var from = members.Count > 0 && r.Next(2) == 0 ? members[r.Next(members.Count)] + r.Next(-1, 2) : RandomFormula.Interesting(r, 1 << 14);
            from = Math.Max(0, from);
            var tail = new List<long>();
            await foreach (var id in got.IdsAsync(from)) tail.Add(id);
            tail.ShouldBe(members.Where(m => m >= from), context + $", ids from {from}");
            foreach (var probe in members.Take(2).Append(from))
                (await got.ContainsAsync(probe)).ShouldBe(members.Contains(probe), context + $", contains {probe}");
        }

        // One count batch of many reads (a percent's, a cohort table's shape) gathers read by read.
        var sets = leaves.Take(6).ToArray();
        (await sharded.CountAllAsync(sets)).ShouldBe(await plain.CountAllAsync(sets));
        (await sharded.ListEventsAsync()).ShouldBe(await plain.ListEventsAsync());
    }

    [Theory]
    [InlineData(8, false)] // shards narrower than a page: split id by id
    [InlineData(16, false)] // one page per shard: pages move whole
    [InlineData(17, true)] // two pages per shard, one batch per shard
    public async Task A_bulk_import_splits_into_shards_as_marks_do(int bits, bool perShard)
    {
        var r = new Random(bits);
        var clock = new FixedClock(Now);
        await using var plain = new EmbeddedStore(new StoreOptions { Clock = clock });
        var inner = new EmbeddedStore(new StoreOptions { Clock = clock });
        IBitmapBackend backend = perShard ? new PerShardBatches(inner.Backend) : inner.Backend;
        await using var sharded = new BitmapStore(backend, new StoreOptions { Clock = clock, Layout = KeyLayout.Sharded(bits) });
        var plainImport = plain.CreateBulkImport();
        var shardedImport = sharded.CreateBulkImport();
        for (var i = 0; i < 5000; i++)
        {
            long id = r.Next(8) == 0 ? RandomFormula.Wide(r) : RandomFormula.Interesting(r, 1 << 19);
            var (e, at) = (Events[r.Next(Events.Length)], Now.AddDays(-r.Next(0, 10)));
            await plainImport.AddAsync(e, id, at);
            await shardedImport.AddAsync(e, id, at);
        }
        await plainImport.FlushAsync();
        await shardedImport.FlushAsync();
        foreach (var e in Events)
            for (var d = 0; d < 10; d++)
            {
                var day = Period.Of(PeriodUnit.Day, Now.AddDays(-d));
                (await sharded.At(e, day).ToListAsync()).ShouldBe(await plain.At(e, day).ToListAsync(), $"{e} {day}");
            }
    }

    private sealed class FixedClock(DateTime now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(now);
    }

    /// <summary>
    /// The embedded engine made to run the sharded layout as on a cluster: a batch may not span shards, so every shard's
    /// copy of a program and every shard's writes go on their own. A real engine underneath, only the flag differs.
    /// </summary>
    private sealed class PerShardBatches(IBitmapBackend engine) : IBitmapBackend, IShardableBackend
    {
        public CapabilityProfile Profile => engine.Profile;

        public bool BatchesSpanShards => false;

        public IBitmapBackend ForShard(string keyPrefix, uint shardWidth) => this;

        public Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
        {
            // A batch of one shard names keys of that shard only: what a cluster's slot rule demands.
            var shards = program.Steps.OfType<BitOpStep>().SelectMany(s => s.Sources).Select(o => o.StoredKey)
                .Concat(program.Reads.Select(r => r.Source?.StoredKey)).OfType<string>().Select(ShardOf).Distinct().ToArray();
            shards.Length.ShouldBeLessThanOrEqualTo(1, "a batch that spans shards: " + string.Join(", ", shards));
            return engine.RunAsync(program, ct);
        }

        private static string ShardOf(string key) => key.Contains('{') ? key[..(key.IndexOf(':', key.IndexOf('}')) + 1)] : "(not sharded)";

        public Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct) => engine.WriteBitsAsync(writes, ct);

        public Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct) => engine.MergeAsync(merges, ct);

        public IAsyncEnumerable<string> ScanAsync(string pattern, CancellationToken ct) => engine.ScanAsync(pattern, ct);

        public Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct) => engine.DeleteAsync(keys, ct);

        public Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct) => engine.AnyKeyExistsAsync(groups, ct);

        public IEnumerable<string> Describe(BatchProgram program) => engine.Describe(program);

        public ValueTask DisposeAsync() => engine.DisposeAsync();
    }
}
