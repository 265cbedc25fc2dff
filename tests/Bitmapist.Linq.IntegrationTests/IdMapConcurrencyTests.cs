using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Reliability.Writer;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Get-or-create under concurrency (issue 16, "Done when"): many tasks in this process and several worker processes
/// (<see cref="IdMapWorker"/>) ask at once for the same external ids and for ids of their own, on every store that
/// holds id maps. Every external id must get one internal id, the same for every worker; no internal id may be given
/// to two external ids; the map's lookups both ways and its counts must agree with what the workers were given.
/// </summary>
public partial class IdMapConcurrencyTests
{
    private const int Processes = 3;
    private const int ProcessTasks = 8;
    private const int TestTasks = 16;
    private const int Shared = 1000;
    private const int Own = 150;

    public static TheoryData<string> RedisKinds() => [StoreKind.Redis, StoreKind.RedisSharded, StoreKind.RedisCluster];

    /// <summary>What one worker (a process, or this test's tasks) was given.</summary>
    private sealed record Observed(string Worker, IReadOnlyDictionary<string, uint> Seen, IReadOnlyList<string> Splits);

    [SkippableTheory]
    [MemberData(nameof(RedisKinds))]
    public async Task Tasks_and_processes_creating_the_same_and_different_ids_at_once_get_one_id_each_on_redis(string kind)
    {
        var prefix = $"t{Guid.NewGuid():N}_";
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions { Keys = new KeyScheme(prefix), IdMap = "users" });
        var target = (kind == StoreKind.RedisCluster ? RedisClusterServer.Seeds : RedisServer.Endpoint) + ",syncTimeout=30000,asyncTimeout=30000";
        var shardBits = kind == StoreKind.Redis ? 0 : StoreKind.TestShardBits;
        var seed = Random.Shared.Next();
        var workers = Enumerable.Range(1, Processes)
            .Select(w => IdMapWorkerProcess.Start("redis", target, prefix, shardBits, w, ProcessTasks, Shared, Own, seed)).ToArray();
        try
        {
            await Task.WhenAll(workers.Select(w => w.ReadyAsync(TimeSpan.FromMinutes(2))));
            // Every process and this test's tasks start together: they race for the shared ids from the first call.
            await Task.WhenAll(workers.Select(w => w.GoAsync()));
            var mine = await IdMapWorker.GetOrCreateAllAsync(store.IdMap("users"), 0, TestTasks, Shared, Own, seed);
            var observed = new List<Observed> { new("this process", mine.Seen, mine.Splits) };
            for (var w = 0; w < workers.Length; w++) observed.Add(Parse($"process {w + 1}", await workers[w].OutputAsync(TimeSpan.FromMinutes(5))));
            await CheckAsync(store.IdMap("users"), observed, Expected([(0, TestTasks), .. Enumerable.Range(1, Processes).Select(w => (w, ProcessTasks))]), $"seed {seed}");
        }
        finally
        {
            foreach (var w in workers) w.Dispose();
        }
    }

    [Theory]
    [InlineData("bitmapist")]
    [InlineData("sharded")]
    public async Task Tasks_creating_the_same_and_different_ids_at_once_get_one_id_each_embedded(string layout)
    {
        // The engine answers in microseconds, so two tasks meet on one new id less often than over Redis: several rounds,
        // each on a new store. A check-then-act allocator (the lookup outside the write lock) was caught in 10 runs of 12
        // with 4 rounds, in 12 of 12 with 8, on a loaded 2-core machine.
        for (var round = 0; round < 8; round++)
        {
            await using var store = new EmbeddedStore(new StoreOptions
            {
                IdMap = "users",
                Layout = layout == "sharded" ? KeyLayout.Sharded(StoreKind.TestShardBits) : KeyLayout.Bitmapist,
            });
            var seed = Random.Shared.Next();
            var mine = await IdMapWorker.GetOrCreateAllAsync(store.IdMap("users"), 0, TestTasks, Shared, Own, seed);
            await CheckAsync(store.IdMap("users"), [new("this process", mine.Seen, mine.Splits)], Expected([(0, TestTasks)]), $"round {round}, seed {seed}");
        }
    }

    /// <summary>Every external id the workers ask for: the shared ones and each task's own.</summary>
    private static HashSet<string> Expected(IEnumerable<(int Worker, int Tasks)> workers)
    {
        var expected = Enumerable.Range(0, Shared).Select(IdMapWorker.SharedId).ToHashSet(StringComparer.Ordinal);
        foreach (var (worker, tasks) in workers)
            for (var t = 0; t < tasks; t++)
                for (var i = 0; i < Own; i++) expected.Add(IdMapWorker.OwnId(worker, t, i));
        return expected;
    }

    private static Observed Parse(string worker, string[] lines)
    {
        lines[^1].ShouldStartWith("done ", customMessage: $"{worker} did not finish");
        var seen = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var line in lines.Where(l => l.StartsWith("map ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            seen.Add(parts[1], uint.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        return new Observed(worker, seen, [.. lines.Where(l => l.StartsWith("split ", StringComparison.Ordinal))]);
    }

    /// <summary>No split and no shared id anywhere, every expected id mapped, and the map agrees both ways and in its counts.</summary>
    private static async Task CheckAsync(IdMap map, IReadOnlyList<Observed> observed, HashSet<string> expected, string replay)
    {
        static string Some(IEnumerable<string> problems) => string.Join("; ", problems.Take(5));
        var splits = observed.SelectMany(o => o.Splits.Select(s => $"{o.Worker}: {s}")).ToList();
        splits.ShouldBeEmpty($"{splits.Count} external ids got two internal ids within one process, e.g. {Some(splits)} ({replay})");

        var merged = new Dictionary<string, (uint Id, string Worker)>(StringComparer.Ordinal);
        var disagreements = new List<string>();
        foreach (var o in observed)
            foreach (var (external, id) in o.Seen)
            {
                if (!merged.TryAdd(external, (id, o.Worker)) && merged[external].Id != id)
                    disagreements.Add($"'{external}' is {merged[external].Id} in {merged[external].Worker} and {id} in {o.Worker}");
            }
        disagreements.ShouldBeEmpty($"{disagreements.Count} external ids got different internal ids in different workers, e.g. {Some(disagreements)} ({replay})");
        var missing = expected.Where(e => !merged.ContainsKey(e)).ToList();
        missing.ShouldBeEmpty($"ids asked for and never answered, e.g. {Some(missing)}");
        merged.Count.ShouldBe(expected.Count);

        var twice = merged.GroupBy(m => m.Value.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key} is '{string.Join("' and '", g.Select(m => m.Key))}'").ToList();
        twice.ShouldBeEmpty($"{twice.Count} internal ids were given to several external ids, e.g. {Some(twice)} ({replay})");

        var externals = merged.Keys.ToArray();
        var found = await map.FindAsync(externals);
        var wrong = externals.Select((e, i) => found[i] == merged[e].Id ? null : $"'{e}' is {merged[e].Id}, the map says {found[i]}").OfType<string>().ToList();
        wrong.ShouldBeEmpty($"FindAsync disagrees with what get-or-create answered, e.g. {Some(wrong)}");
        var back = await map.FindExternalAsync([.. externals.Select(e => merged[e].Id)]);
        var wrongBack = externals.Select((e, i) => back[i] == e ? null : $"{merged[e].Id} is '{e}', the map says '{back[i]}'").OfType<string>().ToList();
        wrongBack.ShouldBeEmpty($"FindExternalAsync disagrees, e.g. {Some(wrongBack)}");
        var counts = await map.CountAsync();
        counts.Mapped.ShouldBe(expected.Count, "the map holds each external id once");
        counts.Allocated.ShouldBe(expected.Count, "one internal id per external id was handed out, none wasted or handed out twice");
    }
}
