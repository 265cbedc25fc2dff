using Bitmapist.Linq.Benchmarks.Baselines;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// One MULTI/EXEC batch per query (the library) vs the eager strategy of Python bitmapist (one awaited BITOP
/// per operator node into a kept result key, then BITCOUNT), for balanced and/or/diff trees of depth 1..6
/// over day keys. Latency-bound: 2^16-bit keys. Bandwidth-bound: 2^24-bit keys of ~200k ids.
/// </summary>
internal sealed class BatchSuite : ISuite
{
    private const int MaxDepth = 6;

    private sealed record Scenario(string Name, string Event, int Bits, Func<int, uint[]> Ids, int QueriesPerRep, int Warmup, int Reps, string Shape, int Slices = 1);

    public string Name => "batch";
    public string Description => "one-batch query execution vs eager BITOP-per-node (bitmapist), trees of depth 1..6";

    public async Task RunAsync(BenchContext ctx)
    {
        Scenario[] scenarios =
        [
            new("latency-bound", "lat", 1 << 16, i => Data.BernoulliIds(0.3, 1 << 16, 100 + i), 60, 2, 7, "2^16-bit keys (8 KiB), ~30% density"),
            // 3 interleaved slices of 2 queries per repetition: a repetition of one 2-query slice (10-30 ms) was short
            // enough for one scheduling hiccup on the shared 2 cores to decide a depth's ratio (issue 14 item 5).
            new("bandwidth-bound", "bw", 1 << 24, i => Data.RandomSortedIds(200_000, 1 << 24, 200 + i), 2, 1, 7, "2^24-bit keys (2 MiB), 200,000 ids each", Slices: 3),
        ];
        var verdicts = new Table("target", "measured", "verdict");
        foreach (var s in scenarios) await RunScenario(ctx, s, verdicts);
        verdicts.Print("targets");
    }

    private async Task RunScenario(BenchContext ctx, Scenario s, Table verdicts)
    {
        var prefix = BenchContext.Prefix(Name);
        var redis = ctx.Redis;
        await using var store = await ctx.StoreAsync(prefix);
        // The library as it was before issue 14 item 5: every temporary deleted in the query's own batch (ScratchTtl 0).
        // Its own copy of the data under another prefix: its DEL would otherwise delete the default store's scratch keys.
        var strictPrefix = BenchContext.Prefix(Name + "-deleting");
        await using var strict = await RedisStore.ConnectAsync(redis.StoreConfiguration(),
            new StoreOptions { ScratchTtl = TimeSpan.Zero }.WithPrefix(strictPrefix));
        var leaves = new List<string>();
        var strictLeaves = new List<string>();
        for (var i = 0; i < 1 << MaxDepth; i++)
        {
            var day = new DateTime(2026, 1, 1).AddDays(i);
            var key = store.Keys.Key(s.Event, Period.Day(day.Year, day.Month, day.Day));
            var bytes = Data.RedisBytes(s.Ids(i), s.Bits);
            await redis.Db.StringSetAsync(key, bytes);
            leaves.Add(key);
            strictLeaves.Add(strict.Keys.Key(s.Event, Period.Day(day.Year, day.Month, day.Day)));
            await redis.Db.StringSetAsync(strictLeaves[^1], bytes);
        }
        var eager = new EagerEvaluator(redis.Db, prefix + "bitop_");

        // Counting passes (through a round-trip-counting proxy, never timed).
        await using var proxy = new RoundTripProxy(redis.Endpoint);
        await using var countedStore = await ctx.StoreAsync(prefix, endpoint: proxy.Endpoint);
        await using var countedMux = await RedisServer.ConnectAsync(proxy.Endpoint);
        var countedEager = new EagerEvaluator(countedMux.GetDatabase(), prefix + "bitop_");

        var breakdown = new List<string>();
        var t = new Table("depth", "operator nodes", "BITOPs eager", "BITOPs batch", "round trips eager (awaited calls)", "round trips batch", "commands batch", "server ms eager", "server ms batch", "plan ms (client)",
            "eager ms", "batch ms", "eager/batch (range)", "eager/batch deleting temporaries (range)", "page faults eager / batch / deleting");
        for (var depth = 1; depth <= MaxDepth; depth++)
        {
            var tree = QueryTree.Balanced(depth, leaves);
            var set = store.Set(tree.ToSetExpr());
            var strictSet = strict.Set(QueryTree.Balanced(depth, strictLeaves).ToSetExpr());
            var program = store.Plan(new SetQuery(tree.ToSetExpr(), ReadKind.Count)).Program;
            var expected = await eager.CountAsync(tree);
            var got = await set.CountAsync();
            if (expected != got) throw new InvalidOperationException($"depth {depth}: eager counted {expected}, batch {got}");
            if (await strictSet.CountAsync() is var deleting && deleting != expected)
                throw new InvalidOperationException($"depth {depth}: eager counted {expected}, batch deleting its temporaries {deleting}");

            const int counted = 5;
            var statsBefore = await redis.CommandStatsFullAsync();
            var rt0 = proxy.RoundTrips;
            var calls0 = countedEager.Calls;
            for (var i = 0; i < counted; i++) await countedEager.CountAsync(tree);
            var eagerRoundTrips = (proxy.RoundTrips - rt0) / (double)counted;
            var eagerCalls = (countedEager.Calls - calls0) / (double)counted;
            var statsMid = await redis.CommandStatsFullAsync();
            rt0 = proxy.RoundTrips;
            var names0 = proxy.CommandsByName();
            for (var i = 0; i < counted; i++) await countedStore.Set(tree.ToSetExpr()).CountAsync();
            var batchRoundTrips = (proxy.RoundTrips - rt0) / (double)counted;
            var sent = string.Join(", ", proxy.CommandsByName().Select(kv => (kv.Key, N: kv.Value - names0.GetValueOrDefault(kv.Key)))
                .Where(x => x.N > 0).OrderByDescending(x => x.N).Select(x => $"{x.Key} {x.N / (double)counted:0.##}"));
            var statsAfter = await redis.CommandStatsFullAsync();
            double Calls(Dictionary<string, (long Calls, long Usec)> a, Dictionary<string, (long Calls, long Usec)> b, string? cmd = null) =>
                (cmd is null ? b.Sum(kv => kv.Value.Calls - a.GetValueOrDefault(kv.Key).Calls) - 1 : b.GetValueOrDefault(cmd).Calls - a.GetValueOrDefault(cmd).Calls) / (double)counted;
            double UsecOf(Dictionary<string, (long Calls, long Usec)> a, Dictionary<string, (long Calls, long Usec)> b, string cmd) =>
                (b.GetValueOrDefault(cmd).Usec - a.GetValueOrDefault(cmd).Usec) / (double)counted;
            double Usec(Dictionary<string, (long Calls, long Usec)> a, Dictionary<string, (long Calls, long Usec)> b) =>
                b.Where(kv => kv.Key is not ("info" or "exec")).Sum(kv => kv.Value.Usec - a.GetValueOrDefault(kv.Key).Usec) / (double)counted;
            var eagerBitops = Calls(statsBefore, statsMid, "bitop");
            var batchBitops = Calls(statsMid, statsAfter, "bitop");
            var batchCommands = Calls(statsMid, statsAfter);
            var eagerServerMs = Usec(statsBefore, statsMid) / 1000;
            var batchServerMs = Usec(statsMid, statsAfter) / 1000;
            var faults0 = redis.MinorFaults();
            for (var i = 0; i < counted; i++) await countedStore.Set(tree.ToSetExpr()).CountAsync();
            var batchFaults = (redis.MinorFaults() - faults0) / (double)counted;
            faults0 = redis.MinorFaults();
            for (var i = 0; i < counted; i++) await countedEager.CountAsync(tree);
            var eagerFaults = (redis.MinorFaults() - faults0) / (double)counted;
            faults0 = redis.MinorFaults();
            for (var i = 0; i < counted; i++) await strictSet.CountAsync();
            var strictFaults = (redis.MinorFaults() - faults0) / (double)counted;
            breakdown.Add($"depth {depth}: batch sends per query: {sent}");
            breakdown.Add($"depth {depth}: redis-server minor page faults per query eager {eagerFaults:0}, batch {batchFaults:0}; server time per query eager {eagerServerMs:0.00} ms (bitop {UsecOf(statsBefore, statsMid, "bitop") / 1000:0.00}), " +
                          $"batch {batchServerMs:0.00} ms (bitop {UsecOf(statsMid, statsAfter, "bitop") / 1000:0.00}, expire {UsecOf(statsMid, statsAfter, "expire") / 1000:0.00}, " +
                          $"del {UsecOf(statsMid, statsAfter, "del") / 1000:0.00}, bitcount {UsecOf(statsMid, statsAfter, "bitcount") / 1000:0.00})");
            if (batchBitops != program.Steps.Length) throw new InvalidOperationException($"depth {depth}: plan has {program.Steps.Length} steps, server ran {batchBitops} BITOPs");

            var planQuery = new SetQuery(tree.ToSetExpr(), ReadKind.Count);
            store.Plan(planQuery);
            var planSeconds = Measure.PerCall(200, () => store.Plan(planQuery));
            var r = await Measure.SideBySide(ctx.Warmup(s.Warmup), ctx.Reps(s.Reps), s.Slices,
                new Case("eager", () => Measure.PerCall(s.QueriesPerRep, () => eager.CountAsync(tree))),
                new Case("batch", () => Measure.PerCall(s.QueriesPerRep, () => set.CountAsync())),
                new Case("deleting", () => Measure.PerCall(s.QueriesPerRep, () => strictSet.CountAsync())));
            var ratio = r.Ratio("eager", "batch");
            var (lo, hi) = r.RatioRange("eager", "batch");
            var (dlo, dhi) = r.RatioRange("eager", "deleting");
            t.Row(depth, tree.OperatorNodes, Fmt.N(eagerBitops), Fmt.N(batchBitops), $"{Fmt.N(eagerRoundTrips)} ({Fmt.N(eagerCalls)})", Fmt.N(batchRoundTrips),
                Fmt.N(batchCommands), Fmt.Ms(eagerServerMs / 1000), Fmt.Ms(batchServerMs / 1000), Fmt.Ms(planSeconds), Fmt.Ms(r.Median("eager")), Fmt.Ms(r.Median("batch")), $"{Fmt.Ratio(ratio)} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})",
                $"{Fmt.Ratio(r.Ratio("eager", "deleting"))} ({Fmt.Ratio(dlo)}..{Fmt.Ratio(dhi)})",
                redis.IsPrivate ? $"{eagerFaults:N0} / {batchFaults:N0} / {strictFaults:N0}" : "n/a");

            if (batchRoundTrips != 1) verdicts.Row($"{s.Name} depth {depth}: exactly 1 round trip", Fmt.N(batchRoundTrips), Fmt.Verdict(false));
            if (s.Name == "latency-bound" && depth == 4)
                verdicts.Row("latency-bound depth 4: >= 3x", Fmt.Ratio(ratio), Fmt.Verdict(ratio >= 3));
            if (s.Name == "bandwidth-bound")
                verdicts.Row($"bandwidth-bound depth {depth}: never slower", Fmt.Ratio(ratio), Fmt.Verdict(ratio >= 1) + (ratio < 1 && hi >= 1 ? " (within noise: range " + Fmt.Ratio(lo) + ".." + Fmt.Ratio(hi) + ")" : ""));
        }
        verdicts.Row($"{s.Name}: 1 round trip per query at every depth", "see table", "checked (a miss is listed above)");
        t.Print($"{s.Name}: {s.Shape}; ms per query (count); {s.QueriesPerRep} queries per slice, {s.Slices} interleaved slice(s) per repetition, {ctx.Reps(s.Reps)} repetitions after {ctx.Warmup(s.Warmup)} warm-up; " +
                "\"deleting temporaries\": the library with ScratchTtl = 0, as before issue 14 (its own copy of the keys)");
        Console.WriteLine("\nserver time (INFO commandstats usec, per query, from the counting pass):");
        foreach (var line in breakdown) Console.WriteLine("  " + line);
        await eager.CleanupAsync();
        await countedEager.CleanupAsync();
        await redis.DeleteAsync(prefix + "*");
        await redis.DeleteAsync(strictPrefix + "*");
    }
}
