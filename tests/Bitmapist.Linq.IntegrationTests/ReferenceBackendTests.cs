using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Reference;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// The contract of <see cref="IBitmapBackend"/> that the shared suites do not pin down, checked on the reference
/// back end through the public API only: a mark batch lands whole, a failed batch writes nothing, keys exist as
/// on Redis, SCAN lists what the pattern matches, a program the profile forbids is refused, and explain says what
/// the back end does. A new back end copies these tests with its own back end in place of <see cref="ReferenceBackend"/>.
/// </summary>
public class ReferenceBackendTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    private static BitmapStore Create(CapabilityProfile? profile = null) =>
        new(new ReferenceBackend(profile), new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });

    [Fact]
    public async Task A_mark_batch_lands_whole_for_every_batch_of_reads_taken_meanwhile()
    {
        await using var store = Create();
        const int Batches = 200, PerBatch = 100;
        var x = SetExpr.Unique("x");
        var y = SetExpr.Unique("y");
        var reads = 0;
        // Each batch waits for a read after the one before, so reads and batches interleave whatever the scheduling.
        using var readTaken = new SemaphoreSlim(0);
        var writer = Task.Run(async () =>
        {
            for (var b = 0; b < Batches; b++)
            {
                await readTaken.WaitAsync();
                // Every x of the batch, then every y: a batch applied write by write shows x ahead of y.
                var batch = store.CreateBatch();
                for (var i = 0; i < PerBatch; i++) batch.MarkUnique("x", b * PerBatch + i);
                for (var i = 0; i < PerBatch; i++) batch.MarkUnique("y", b * PerBatch + i);
                await batch.ExecuteAsync();
            }
        });
        do
        {
            // Both counts in one program: they must see the same data, so the same number of whole batches.
            var counts = await store.CountAllAsync([x, y]);
            counts[0].ShouldBe(counts[1], $"read {reads}: x and y differ, so a read saw part of a mark batch");
            (counts[0] % PerBatch).ShouldBe(0, $"read {reads}: not a whole number of batches");
            reads++;
            readTaken.Release();
        }
        while (!writer.IsCompleted);
        await writer;
        (await store.CountAllAsync([x, y])).ShouldBe([Batches * PerBatch, Batches * PerBatch]);
        reads.ShouldBeGreaterThanOrEqualTo(Batches);
    }

    [Fact]
    public async Task A_batch_that_fails_writes_nothing()
    {
        await using var backend = new ReferenceBackend();
        BitWrite[] writes = [new("k", 1, true), new("k", 2, true), new("", 3, true)];
        var e = await Should.ThrowAsync<ArgumentException>(() => backend.WriteBitsAsync(writes, default));
        e.Message.ShouldContain("Write 2 of the batch has no key; nothing was written.");
        backend.KeyCount.ShouldBe(0);
    }

    [Fact]
    public async Task Clearing_a_bit_creates_the_key_as_redis_setbit_does()
    {
        await using var backend = new ReferenceBackend();
        await backend.WriteBitsAsync([new("cleared", 5, false), new("set", 5, true)], default);
        (await backend.AnyKeyExistsAsync([["cleared"], ["missing"], ["missing", "set"]], default)).ShouldBe([true, false, true]);
        backend.Snapshot("cleared")!.ShouldBeEmpty();
        (await backend.DeleteAsync(["cleared", "missing", "set"], default)).ShouldBe(2);
        backend.KeyCount.ShouldBe(0);
    }

    [Fact]
    public async Task Scan_lists_exactly_the_keys_the_pattern_matches()
    {
        await using var backend = new ReferenceBackend();
        string[] keys = ["trackist_a_2026-11", "trackist_page/view_2026-11", "trackist_a_u", "other_a_2026-11", "trackist_[x]_2026-11", "bitop_1"];
        await backend.WriteBitsAsync([.. keys.Select(k => new BitWrite(k, 1, true))], default);
        async Task<string[]> Scan(string pattern)
        {
            var found = new List<string>();
            await foreach (var key in backend.ScanAsync(pattern, default)) found.Add(key);
            return [.. found.Order(StringComparer.Ordinal)];
        }
        (await Scan("trackist_*")).ShouldBe(["trackist_[x]_2026-11", "trackist_a_2026-11", "trackist_a_u", "trackist_page/view_2026-11"]);
        (await Scan("trackist_?_*")).ShouldBe(["trackist_a_2026-11", "trackist_a_u"]);
        (await Scan(@"trackist_\[x]_*")).ShouldBe(["trackist_[x]_2026-11"]);
        (await Scan("*_2026-1[0-2]")).ShouldBe(["other_a_2026-11", "trackist_[x]_2026-11", "trackist_a_2026-11", "trackist_page/view_2026-11"]);
        (await Scan("nothing*")).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_program_the_profile_forbids_is_refused_as_redis_would_refuse_it()
    {
        // Planned for the reference profile (DIFF allowed), run on a back end that declares Redis 7's.
        await using var planner = Create();
        var program = planner.Plan(new SetQuery(SetExpr.Diff(SetExpr.Key("a"), [SetExpr.Key("b")]), ReadKind.Count)).Program;
        program.Steps.OfType<BitOpStep>().ShouldContain(s => s.Op == BitOpKind.Diff);
        await using var redis7 = new ReferenceBackend(CapabilityProfile.Redis7);
        var e = await Should.ThrowAsync<InvalidOperationException>(() => redis7.RunAsync(program, default));
        e.Message.ShouldContain("is not an operator of the redis7 profile (an emitter bug)");

        // The same query planned for Redis 7 runs there.
        await using var store = Create(CapabilityProfile.Redis7);
        await store.Backend.WriteBitsAsync([new("a", 1, true), new("a", 2, true), new("b", 2, true)], default);
        (await store.Set(SetExpr.Diff(SetExpr.Key("a"), [SetExpr.Key("b")])).ToListAsync()).ShouldBe([1]);
    }

    [Fact]
    public async Task Explain_says_the_reference_back_end_runs_the_program()
    {
        await using var store = Create();
        var text = store.Explain(new SetQuery(SetExpr.And(SetExpr.Key("a"), SetExpr.Key("b")), ReadKind.Count));
        text.ShouldContain("program (reference):");
        text.ShouldContain("runs on the reference back end: HashSet<uint> per key, one lock");
        store.ExplainCounts([SetExpr.Key("a"), SetExpr.Key("b")]).ShouldContain("all 2 reads under the same lock");
    }

    [Fact]
    public void The_reference_back_end_sees_only_the_public_api()
    {
        // The point of the reference back end: if its assembly could see internals, it would prove nothing about the seam.
        var friends = typeof(BitmapStore).Assembly.GetCustomAttributes(typeof(System.Runtime.CompilerServices.InternalsVisibleToAttribute), false)
            .Cast<System.Runtime.CompilerServices.InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();
        friends.ShouldNotBeEmpty();
        friends.ShouldNotContain(typeof(ReferenceBackend).Assembly.GetName().Name!);
    }
}
