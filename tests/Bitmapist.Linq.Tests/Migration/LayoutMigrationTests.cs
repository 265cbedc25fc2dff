using Bitmapist.Linq.Migration;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Migration;

/// <summary><see cref="LayoutMigration"/> between in-process stores: any two BitmapStores, whatever their layouts.</summary>
public sealed class LayoutMigrationTests
{
    private static readonly DateTime Day = new(2026, 11, 27, 9, 0, 0);

    /// <summary>Ids on both sides of shard borders of 2^8, and far away (the last shard of the id space).</summary>
    private static readonly long[] Ids = [0, 1, 255, 256, 257, 511, 70_000, 5_000_000, uint.MaxValue];

    private static StoreOptions Options(KeyLayout layout, string prefix = "trackist_") => new()
    {
        Keys = new KeyScheme(prefix),
        Layout = layout,
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)),
    };

    /// <summary>A bitmapist-layout store with 3 events over a few days (month, week and day keys) and a unique flag.</summary>
    private static async Task<EmbeddedStore> SourceAsync()
    {
        var store = new EmbeddedStore(Options(KeyLayout.Bitmapist));
        var batch = store.CreateBatch();
        for (var d = 0; d < 5; d++)
            foreach (var id in Ids.Where((_, i) => i % 5 != d))
            {
                batch.Mark("active", id, Day.AddDays(-d));
                if (id % 2 == 0) batch.Mark("song:played", id, Day.AddDays(-d));
            }
        batch.Mark("signup", 42, Day).MarkUnique("premium", 256).MarkUnique("premium", uint.MaxValue);
        await batch.ExecuteAsync();
        return store;
    }

    /// <summary>Every non-empty key of the store: its event, period, ids (as text, to compare), how many and the largest.</summary>
    private static async Task<List<(string Event, Period Period, string Ids, long Count, long Max)>> ContentsAsync(BitmapStore store)
    {
        var contents = new List<(string, Period, string, long, long)>();
        foreach (var name in await store.ListEventsAsync())
        {
            var described = await store.DescribeEventAsync(name);
            foreach (var unit in described.Units)
                for (var p = unit.First; ; p = p.Next())
                {
                    if (await store.At(name, p).IdsAsync().ToListAsync() is { Count: > 0 } ids)
                        contents.Add((name, p, string.Join(",", ids), ids.Count, ids[^1]));
                    if (unit.Unit == PeriodUnit.Unique || p.CompareTo(unit.Last) >= 0) break; // a unique flag has no next period
                }
        }
        return contents;
    }

    public static TheoryData<int, long, int> Batchings => new()
    {
        { 256, 64L << 20, 4 }, // the defaults: one batch
        { 2, 64L << 20, 3 },   // batches of 2 keys, windows of 3 reads: a window ends a batch part-way
        { 256, 1, 1 },         // every key its own batch (the byte bound)
        { 5, 1 << 20, 7 },
    };

    [Theory]
    [MemberData(nameof(Batchings))]
    public async Task Copies_every_key_into_the_sharded_layout_and_back(int keysPerBatch, long maxBatchBytes, int readsInFlight)
    {
        var batching = new LayoutMigrationOptions { KeysPerBatch = keysPerBatch, MaxBatchBytes = maxBatchBytes, ReadsInFlight = readsInFlight };
        await using var source = await SourceAsync();
        await using var sharded = new EmbeddedStore(Options(KeyLayout.Sharded(8)));
        var expected = await ContentsAsync(source);
        expected.Count.ShouldBeGreaterThan(12);

        var reports = new List<MigrationProgress>();
        var summary = await new LayoutMigration(source, sharded, batching).CopyAsync(new Recorder(reports));
        summary.Keys.ShouldBe(expected.Count);
        summary.EmptyKeys.ShouldBe(0);
        summary.Ids.ShouldBe(expected.Sum(k => k.Count));
        summary.Bytes.ShouldBe(expected.Sum(k => k.Max / 8 + 1));
        (await ContentsAsync(sharded)).ShouldBe(expected);

        // Progress: listing, then copying in batches up to every key, never backwards.
        reports[0].Phase.ShouldBe(MigrationPhase.Listing);
        var copying = reports.Skip(1).ToList();
        copying.ShouldAllBe(r => r.Phase == MigrationPhase.Copying && r.KeysTotal == expected.Count);
        copying.Select(r => r.KeysDone).ShouldBeInOrder();
        copying[^1].ShouldBe(new MigrationProgress(MigrationPhase.Copying, expected.Count, expected.Count, summary.Ids, summary.Bytes));

        // And back into bitmapist's layout under another prefix.
        await using var back = new EmbeddedStore(Options(KeyLayout.Bitmapist, "bitmapist_"));
        (await new LayoutMigration(sharded, back, batching).CopyAsync()).Keys.ShouldBe(expected.Count);
        (await ContentsAsync(back)).ShouldBe(expected);
        (await new LayoutMigration(source, back).VerifyAsync()).Matches.ShouldBeTrue();
    }

    [Fact]
    public async Task A_second_run_changes_nothing_and_adds_what_came_since()
    {
        await using var source = await SourceAsync();
        await using var sharded = new EmbeddedStore(Options(KeyLayout.Sharded(8)));
        var migration = new LayoutMigration(source, sharded);
        await migration.CopyAsync();
        var once = await ContentsAsync(sharded);
        await migration.CopyAsync();
        (await ContentsAsync(sharded)).ShouldBe(once);

        // Marks that reached only the old store (before dual-writing began) are added by the next run.
        await source.MarkAsync("active", 1_000_000, Day);
        await migration.CopyAsync();
        (await sharded.Day("active", 2026, 11, 27).ContainsAsync(1_000_000)).ShouldBeTrue();
        (await ContentsAsync(sharded)).ShouldBe(await ContentsAsync(source));
    }

    [Fact]
    public async Task Verify_names_every_key_whose_count_differs()
    {
        await using var source = await SourceAsync();
        await using var sharded = new EmbeddedStore(Options(KeyLayout.Sharded(8)));
        var migration = new LayoutMigration(source, sharded, new LayoutMigrationOptions { KeysPerCountBatch = 3 });
        await migration.CopyAsync();
        var clean = await migration.VerifyAsync();
        clean.Matches.ShouldBeTrue();
        clean.KeysCompared.ShouldBe((await ContentsAsync(source)).Count);

        // An unmark clears its month, week and day keys: three keys lose an id; and one key only the destination has.
        Period[] periods = [Period.Month(2026, 11), Period.Week(2026, 48), Period.Day(2026, 11, 27)];
        var before = await Task.WhenAll(periods.Select(p => source.At("active", p).CountAsync()));
        await sharded.CreateBatch().Unmark("active", 256, Day).MarkUnique("stray", 7).ExecuteAsync();
        var found = await migration.VerifyAsync();
        found.Matches.ShouldBeFalse();
        found.Mismatches.ShouldBe([
            .. periods.Select((p, i) => new KeyCountMismatch("active", p, before[i], before[i] - 1)),
            new KeyCountMismatch("stray", Period.Unique, 0, 1),
        ]);
        found.KeysCompared.ShouldBe(clean.KeysCompared + 1);
    }

    [Fact]
    public async Task A_cancelled_copy_stops_and_a_store_that_is_its_own_destination_is_refused()
    {
        await using var source = await SourceAsync();
        await using var sharded = new EmbeddedStore(Options(KeyLayout.Sharded(8)));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => new LayoutMigration(source, sharded).CopyAsync(ct: cancelled.Token));
        (await sharded.ListEventsAsync()).ShouldBeEmpty();

        Should.Throw<ArgumentException>(() => new LayoutMigration(source, source)).Message
            .ShouldStartWith("The source and the destination are the same key space (the same server and the key prefix 'trackist_')");
        Should.Throw<ArgumentException>(() => new LayoutMigration(source, sharded, new LayoutMigrationOptions { ReadsInFlight = 0 }));
    }

    [Fact]
    public async Task A_copy_that_fails_part_way_says_how_far_it_got_and_a_second_run_completes_it()
    {
        await using var source = await SourceAsync();
        var engine = new FailingMerges(new Bitmapist.Linq.Backends.Embedded.EmbeddedBackend(Bitmapist.Linq.Backends.CapabilityProfile.Embedded, []), failOn: 3);
        await using var destination = new BitmapStore(engine, Options(KeyLayout.Bitmapist, "copy_"));
        var migration = new LayoutMigration(source, destination, new LayoutMigrationOptions { KeysPerBatch = 2, ReadsInFlight = 1 });
        var keys = (await ContentsAsync(source)).Count;

        var e = await Should.ThrowAsync<BitmapistStoreException>(() => migration.CopyAsync());
        e.Message.ShouldBe($"The migration stopped with 4 of {keys} keys copied: the server went away. " +
            "Running it again is safe: every key is merged with an OR, so the keys already copied stay as they are.");
        (await ContentsAsync(destination)).Count.ShouldBe(4);

        engine.FailOn = 0;
        (await migration.CopyAsync()).Keys.ShouldBe(keys);
        (await migration.VerifyAsync()).Matches.ShouldBeTrue();
    }

    /// <summary>A real back end whose n-th merge fails before it writes anything, as a lost server would.</summary>
    private sealed class FailingMerges(Bitmapist.Linq.Backends.IBitmapBackend inner, int failOn) : Bitmapist.Linq.Backends.IBitmapBackend
    {
        private int _merges;

        public int FailOn { get; set; } = failOn;

        public Bitmapist.Linq.Backends.CapabilityProfile Profile => inner.Profile;

        public Task<Bitmapist.Linq.Backends.ReadResult[]> RunAsync(Bitmapist.Linq.Backends.BatchProgram program, CancellationToken ct) => inner.RunAsync(program, ct);

        public Task WriteBitsAsync(IReadOnlyList<Bitmapist.Linq.Backends.BitWrite> writes, CancellationToken ct) => inner.WriteBitsAsync(writes, ct);

        public Task MergeAsync(IReadOnlyList<Bitmapist.Linq.Backends.BitmapMerge> merges, CancellationToken ct) =>
            Interlocked.Increment(ref _merges) == FailOn ? throw new BitmapistStoreException("the server went away.") : inner.MergeAsync(merges, ct);

        public IAsyncEnumerable<string> ScanAsync(string pattern, CancellationToken ct) => inner.ScanAsync(pattern, ct);

        public Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct) => inner.DeleteAsync(keys, ct);

        public Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct) => inner.AnyKeyExistsAsync(groups, ct);

        public IEnumerable<string> Describe(Bitmapist.Linq.Backends.BatchProgram program) => inner.Describe(program);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Records reports as they are made (<see cref="Progress{T}"/> would post them later, on another thread).</summary>
    private sealed class Recorder(List<MigrationProgress> reports) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value)
        {
            lock (reports) reports.Add(value);
        }
    }
}
