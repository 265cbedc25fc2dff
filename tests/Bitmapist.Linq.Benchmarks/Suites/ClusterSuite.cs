using System.Diagnostics;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Issue 13: the sharded layout on one Redis and on a 3-primary Redis Cluster vs one unsharded Redis, side by side
/// on the same data (3 events x 31 days + month keys, random ids over 2^24, 16 shards of 2^20): latency of AND+count,
/// OR of 31 days &amp; month, a 31-count batch, throughput with 8 in flight, contains (one shard), fan-out cost per
/// shard, shards without the query's keys, mark throughput, memory, and a projection for N hosts from per-shard
/// server time. --quick: 2^20 ids in 16 shards of 2^16 and 2 repetitions, a smoke test that runs in seconds.
/// </summary>
internal sealed partial class ClusterSuite : ISuite
{
    private const double Density = 0.05;
    private static readonly string[] Events = ["e0", "e1", "e2"];

    /// <summary>The data's id space and the shard width; 16 shards either way.</summary>
    private sealed record Shape(int IdBits, int ShardBits)
    {
        public int Shards => 1 << (IdBits - ShardBits);
        public long Universe => 1L << IdBits;
    }

    /// <summary>A store under test, and how to read INFO commandstats of every node it runs on.</summary>
    private sealed record Target(string Name, string Label, BitmapStore Store, Func<Task<Dictionary<string, (long Calls, long Usec)>[]>> Stats);

    /// <summary>What a counting pass saw per query: batches (EXEC, EVAL/EVALSHA), data commands, server time, per node.</summary>
    private sealed record Pass(double Batches, double Commands, double ServerUs, double[] NodeUs, int NodesTouched, double ClientCpuUs, string PerNode);

    public string Name => "cluster";
    public string Description => "sharded layout: 16 shards on one Redis and on a 3-primary cluster vs one unsharded Redis (issue 13)";

    public async Task RunAsync(BenchContext ctx)
    {
        var shape = ctx.Quick ? new Shape(20, 16) : new Shape(24, 20);
        await using var cluster = await RedisCluster.StartAsync();
        Console.WriteLine($"cluster: {cluster.Primaries.Length} primaries ({string.Join(", ", cluster.Primaries.Select(p => p.EndPoint))}), redis-server {cluster.Version}" +
            (cluster.IsPrivate ? " (started by the suite with .ci/redis-cluster)" : " (BITMAPIST_REDIS_CLUSTER)"));
        Console.WriteLine($"data: {Events.Length} events x 31 days + month keys, each day key {Density:0%} of 2^{shape.IdBits} ids at random, month = OR of its days; " +
            $"sharded layout k={shape.ShardBits} ({shape.Shards} shards of 2^{shape.ShardBits} ids)");
        var prefix = BenchContext.Prefix(Name);
        await cluster.DeleteAsync(prefix + "*");
        try
        {
            await RunMainAsync(ctx, cluster, shape, prefix);
            Measure.Quiesce();
            await RunFanOutAsync(ctx, cluster, prefix);
            await RunTransportAsync(ctx, cluster, prefix);
        }
        finally
        {
            await cluster.DeleteAsync(prefix + "*");
            await ctx.Redis.DeleteAsync(prefix + "*");
        }
    }

    private static StoreOptions Options(string prefix, KeyLayout layout) =>
        new StoreOptions { Layout = layout, Profile = CapabilityProfile.Redis7 }.WithPrefix(prefix);

    private async Task RunMainAsync(BenchContext ctx, RedisCluster cluster, Shape shape, string prefix)
    {
        Func<Task<Dictionary<string, (long, long)>[]>> single = async () => [await ctx.Redis.CommandStatsFullAsync()];
        var sharded = KeyLayout.Sharded(shape.ShardBits);
        await using var u = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(), Options(prefix + "u:", KeyLayout.Bitmapist));
        await using var s = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(), Options(prefix + "s:", sharded));
        await using var c = await RedisStore.ConnectAsync(cluster.StoreConfiguration, Options(prefix + "c:", sharded));
        Target[] targets =
        [
            new("u", "1 Redis, unsharded (bitmapist layout)", u, single),
            new("s", $"1 Redis, {shape.Shards} shards", s, single),
            new("c", $"cluster of {cluster.Primaries.Length}, {shape.Shards} shards", c, cluster.CommandStatsAsync),
        ];

        // ---- data: the same client-built bitmaps merged into every store (the bulk import's merge path)
        var bitmaps = BuildData(shape);
        var seed = new Table("store", "keys merged", "seconds", "ids/s");
        long totalIds = bitmaps.Values.Sum(b => b.Count());
        foreach (var t in targets)
        {
            var sw = Stopwatch.StartNew();
            await t.Store.MergeAsync([.. bitmaps.Select(kv => new BitmapMerge(t.Store.Keys.Key(kv.Key.Event, kv.Key.Period), kv.Value))], CancellationToken.None);
            seed.Row(t.Label, bitmaps.Count, sw.Elapsed.TotalSeconds.ToString("0.00"), Fmt.Rate(totalIds / sw.Elapsed.TotalSeconds));
            Measure.Quiesce();
        }
        seed.Print($"seeding ({totalIds:N0} ids in {bitmaps.Count} keys; store.MergeAsync, what BulkImport.FlushAsync runs; informational, not side by side)");

        // ---- the queries, and the answers every store must give (computed in the client from the same bitmaps)
        SetExpr Day(string e, int d) => SetExpr.Event(e, Period.Day(2026, 1, d));
        var qa = Day("e0", 1) & Day("e1", 2);
        var qb = SetExpr.Or(Enumerable.Range(1, 31).Select(d => Day("e0", d))) & SetExpr.Event("e1", Period.Month(2026, 1));
        SetExpr[] qc = [.. Enumerable.Range(1, 31).Select(d => Day("e0", d) & Day("e2", d))];
        PagedBitmap B(string e, Period p) => bitmaps[(e, p)];
        var expectA = PagedBitmap.AndCount([B("e0", Period.Day(2026, 1, 1)), B("e1", Period.Day(2026, 1, 2))]);
        var expectB = PagedBitmap.AndCount([PagedBitmap.Or([.. Enumerable.Range(1, 31).Select(d => B("e0", Period.Day(2026, 1, d)))]), B("e1", Period.Month(2026, 1))]);
        var expectC = Enumerable.Range(1, 31).Select(d => PagedBitmap.AndCount([B("e0", Period.Day(2026, 1, d)), B("e2", Period.Day(2026, 1, d))])).ToArray();
        var rng = new Random(5);
        var andBitmap = PagedBitmap.And([B("e0", Period.Day(2026, 1, 1)), B("e1", Period.Day(2026, 1, 2))]);
        // Random ids (almost all answer no at 0.25% density) and 16 members spread over the id space (they answer yes).
        var members = andBitmap.Ids().ToArray();
        long[] probeIds = [.. Enumerable.Range(0, 48).Select(_ => rng.NextInt64(shape.Universe)), .. Enumerable.Range(0, 16).Select(i => (long)members[i * members.Length / 16])];
        rng.Shuffle(probeIds);
        var expectE = probeIds.Count(id => andBitmap.Contains((uint)id));
        var allKeys = bitmaps.Keys.Select(k => SetExpr.Event(k.Event, k.Period)).ToArray();
        var expectAll = bitmaps.Values.Select(b => b.Count()).ToArray();
        foreach (var t in targets)
        {
            var gotA = await t.Store.Set(qa).CountAsync();
            var gotB = await t.Store.Set(qb).CountAsync();
            var gotC = await t.Store.CountAllAsync(qc);
            var gotAll = await t.Store.CountAllAsync(allKeys);
            var gotE = 0;
            foreach (var id in probeIds) if (await t.Store.Set(qa).ContainsAsync(id)) gotE++;
            if (gotA != expectA || gotB != expectB || !gotC.SequenceEqual(expectC) || !gotAll.SequenceEqual(expectAll) || gotE != expectE)
                throw new InvalidOperationException($"{t.Label} disagrees with the client-side answers: a {gotA} vs {expectA}, b {gotB} vs {expectB}, " +
                    $"c {string.Join(",", gotC)} vs {string.Join(",", expectC)}, contains {gotE} vs {expectE}, key counts equal: {gotAll.SequenceEqual(expectAll)}");
        }
        Console.WriteLine($"\nanswers checked equal in all three stores and to the client's own bitmaps: every key's BITCOUNT ({allKeys.Length} keys), " +
            $"(a) {expectA:N0}, (b) {expectB:N0}, (c) 31 counts summing to {expectC.Sum():N0}, contains {expectE} of {probeIds.Length} probes");
        Console.WriteLine($"(b) per-shard program: {c.Plan(new SetQuery(qb, ReadKind.Count)).Program.Steps.Length} steps; " +
            $"(c) per-shard program: {c.PlanCounts(qc).Program.Steps.Length} steps, {c.PlanCounts(qc).Program.Reads.Length} reads");

        // ---- counting passes (never timed): batches, commands and server time per query, per node
        var counted = ctx.Quick ? 5 : 10;
        var passes = new Dictionary<(string Query, string Target), Pass>();
        foreach (var t in targets)
        {
            passes[("a", t.Name)] = await CountAsync(t, counted, () => t.Store.Set(qa).CountAsync());
            passes[("b", t.Name)] = await CountAsync(t, counted, () => t.Store.Set(qb).CountAsync());
            passes[("c", t.Name)] = await CountAsync(t, counted, () => t.Store.CountAllAsync(qc));
            // One id, asked again and again: its shard's node alone must see commands (the timed pass below varies the id).
            passes[("e", t.Name)] = await CountAsync(t, counted * 4, () => t.Store.Set(qa).ContainsAsync(probeIds[0]));
        }

        // ---- latency, side by side
        var reps = ctx.Reps(9);
        var warm = ctx.Warmup(2);
        async Task<Results> Time(int perCall, int slices, Func<BitmapStore, Task> body) =>
            await Measure.SideBySide(warm, reps, slices, [.. targets.Select(t => new Case(t.Name, () => Measure.PerCall(perCall, () => body(t.Store))))]);
        var ra = await Time(10, 3, st => st.Set(qa).CountAsync());
        Measure.Quiesce();
        var probe = 0;
        var rb = await Time(4, 2, st => st.Set(qb).CountAsync());
        Measure.Quiesce();
        var rc = await Time(2, 2, st => st.CountAllAsync(qc));
        Measure.Quiesce();
        var re = await Time(20, 3, st => st.Set(qa).ContainsAsync(probeIds[probe++ % probeIds.Length]));
        Measure.Quiesce();
        // (d) throughput: the (c) batch with 8 in flight; the sample is seconds per query, so a ratio of samples is the inverse throughput ratio.
        var inFlight = ctx.Quick ? 16 : 48;
        var rd = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(5),
            [.. targets.Select(t => new Case(t.Name, () => InFlightAsync(inFlight, 8, () => t.Store.CountAllAsync(qc))))]);
        Measure.Quiesce();
        // Where the CPU goes with 8 in flight: the client's process and the servers' (INFO cpu, real CPU, not wall time).
        var clientCpuMs = new Dictionary<string, double>();
        var cpuTable = new Table("store", "client CPU ms/query", "server CPU ms/query (all nodes)", "CPU ms/query in all", $"CPU-bound queries/s on {Environment.ProcessorCount} cores", "measured queries/s");
        foreach (var t in targets)
        {
            Func<Task<double>> serverCpu = t.Name == "c" ? cluster.ServerCpuAsync : ctx.Redis.ServerCpuAsync;
            var server0 = await serverCpu();
            var client0 = Process.GetCurrentProcess().TotalProcessorTime;
            await InFlightAsync(inFlight, 8, () => t.Store.CountAllAsync(qc));
            var clientMs = (Process.GetCurrentProcess().TotalProcessorTime - client0).TotalMilliseconds / inFlight;
            var serverMs = (await serverCpu() - server0) * 1000 / inFlight;
            clientCpuMs[t.Name] = clientMs;
            cpuTable.Row(t.Label, Fmt.Ms(clientMs / 1000), Fmt.Ms(serverMs / 1000), Fmt.Ms((clientMs + serverMs) / 1000),
                (Environment.ProcessorCount * 1000 / (clientMs + serverMs)).ToString("0.0"), (1 / rd.Median(t.Name)).ToString("0.0"));
        }

        var table = new Table("query", "unsharded ms", $"{shape.Shards} shards, 1 Redis", $"{shape.Shards} shards, cluster", "target (cluster vs unsharded)", "verdict");
        var verdicts = new Table("target", "measured", "verdict");
        void LatencyRow(string label, Results r, double? target)
        {
            var ratio = r.Ratio("c", "u");
            table.Row(label, Fmt.Ms(r.Median("u")), Cell(r, "s"), Cell(r, "c"), target is { } t ? $"<= {t:0.0}x" : "", target is { } t2 ? Fmt.Verdict(ratio <= t2) : "");
            if (target is { } t3) verdicts.Row($"{label}: <= {t3:0.0}x", Fmt.Ratio(ratio), Fmt.Verdict(ratio <= t3) + Miss(ratio, t3, lowerIsBetter: true));
        }
        LatencyRow("(a) AND of 2 day keys + count", ra, 1.2);
        LatencyRow("(b) OR of 31 days & month + count", rb, 1.0);
        LatencyRow("(c) 31 counts in one batch (CountAllAsync)", rc, 1.0);
        LatencyRow("(e) contains (a's set, one id)", re, null);
        var tu = 1 / rd.Median("u");
        var ts = 1 / rd.Median("s");
        var tc = 1 / rd.Median("c");
        var thr = rd.Ratio("u", "c");
        var (thrLo, thrHi) = rd.RatioRange("u", "c");
        var (thsLo, thsHi) = rd.RatioRange("u", "s");
        table.Row("(d) throughput, (c) with 8 in flight (queries/s)", $"{tu:0.0}/s", $"{ts:0.0}/s ({Fmt.Ratio(rd.Ratio("u", "s"))}, {Fmt.Ratio(thsLo)}..{Fmt.Ratio(thsHi)})",
            $"{tc:0.0}/s ({Fmt.Ratio(thr)}, {Fmt.Ratio(thrLo)}..{Fmt.Ratio(thrHi)})", ">= 1.3x", Fmt.Verdict(thr >= 1.3));
        verdicts.Row("(d) throughput with 8 in flight: >= 1.3x", Fmt.Ratio(thr), Fmt.Verdict(thr >= 1.3) + Miss(thr, 1.3, lowerIsBetter: false));
        var contains = passes[("e", "c")];
        var containsOk = Math.Abs(contains.Batches - 1) < 1e-9 && contains.NodesTouched == 1;
        verdicts.Row("(e) contains visits one shard (cluster: batches per query, nodes touched)", $"{Fmt.N(contains.Batches)} batch, {contains.NodesTouched} node", Fmt.Verdict(containsOk));
        cpuTable.Print($"(d) where the CPU goes: one more pass of {inFlight} (c) batches with 8 in flight, CPU of the client process and of the servers (INFO cpu used_cpu_user + used_cpu_sys)");
        table.Print($"latency: ms per query (median of {reps} repetitions after {warm} warm-up, interleaved); ratio vs unsharded (median of paired ratios, min..max)");

        var pt = new Table("query", "store", "batches/query (EXEC+EVALSHA)", "data commands/query", "server ms/query (all nodes)", "per node ms", "nodes touched", "client CPU ms/query");
        foreach (var q in new[] { "a", "b", "c", "e" })
            foreach (var t in targets)
            {
                var p = passes[(q, t.Name)];
                pt.Row(q, t.Label, Fmt.N(p.Batches), Fmt.N(p.Commands), Fmt.Ms(p.ServerUs / 1e6), string.Join(" / ", p.NodeUs.Select(x => Fmt.Ms(x / 1e6))), p.NodesTouched, Fmt.Ms(p.ClientCpuUs / 1e6));
            }
        pt.Print($"counting pass (INFO commandstats deltas per node over {counted} queries, {counted * 4} for contains; never timed): " +
            "a sharded query on the cluster is one batch per shard, on one Redis one batch joining every shard's copy, plus the registry read (GETRANGE) either way; " +
            "server time excludes EXEC/EVALSHA themselves");

        Console.WriteLine($"(e) contains on the cluster, commands per query per node: {passes[("e", "c")].PerNode}");
        Console.WriteLine($"(a) count on the cluster, commands per query per node: {passes[("a", "c")].PerNode}");
        PrintClientWork(u, c, qa, qc, shape.Shards);
        PrintProjection(shape, passes, clientCpuMs, ra, rb, rc, rd, cluster.Primaries.Length);

        // ---- writes and memory
        await RunMarksAsync(ctx, targets, shape, verdicts);
        await RunMemoryAsync(ctx, cluster, targets, shape, bitmaps);
        verdicts.Print("targets (issue 13)");
    }

    /// <summary>
    /// Where the client's CPU goes per query, outside the library's I/O: planning, then per shard copying the program
    /// (ShardProgram.For) and emitting its batch (RedisBatch.Build for one read, RedisCountsScript.Build for many),
    /// which the back ends cache per program object, so a program planned anew each call pays them each call.
    /// </summary>
    private static void PrintClientWork(BitmapStore unsharded, BitmapStore cluster, SetExpr qa, SetExpr[] qc, int shardCount)
    {
        var sharded = (ShardedBackend)cluster.Backend;
        var map = sharded.Map;
        var temp = RedisBatch.TempPrefix(unsharded.Keys);
        var shards = Enumerable.Range(0, shardCount).Select(i => (uint)i).ToArray();
        var t = new Table("query", "plan (per call)", "same program object each call?", "unsharded: emit 1 batch", "sharded: copy program x shards", "sharded: emit batch x shards");
        var qaQuery = new SetQuery(qa, ReadKind.Count);
        var aProgram = cluster.Plan(qaQuery).Program;
        var cProgram = cluster.PlanCounts(qc).Program;
        BatchProgram Local(BatchProgram p, uint s) => ShardProgram.For(p, map, s, k => map.PhysicalKey(s, k))!;
        var aLocal = shards.Select(s => Local(aProgram, s)).ToArray();
        var cLocal = shards.Select(s => Local(cProgram, s)).ToArray();
        var shardTemp = RedisBatch.TempPrefix(new KeyScheme(map.ShardPrefix(0)));
        t.Row("(a)", Fmt.Us(Measure.PerCall(200, () => cluster.Plan(qaQuery))) + " us", ReferenceEquals(cluster.Plan(qaQuery).Program, cluster.Plan(qaQuery).Program) ? "yes" : "no",
            Fmt.Us(Measure.PerCall(200, () => RedisBatch.Build(unsharded.Plan(qaQuery).Program, temp, "", 60, 600))) + " us",
            Fmt.Us(Measure.PerCall(50, () => { foreach (var s in shards) Local(aProgram, s); })) + " us",
            Fmt.Us(Measure.PerCall(50, () => { foreach (var l in aLocal) RedisBatch.Build(l, shardTemp, "", 60, 600); })) + " us");
        t.Row("(c)", Fmt.Us(Measure.PerCall(50, () => cluster.PlanCounts(qc))) + " us", ReferenceEquals(cluster.PlanCounts(qc).Program, cluster.PlanCounts(qc).Program) ? "yes" : "no",
            Fmt.Us(Measure.PerCall(50, () => RedisCountsScript.Build(unsharded.PlanCounts(qc).Program, temp))) + " us",
            Fmt.Us(Measure.PerCall(20, () => { foreach (var s in shards) Local(cProgram, s); })) + " us",
            Fmt.Us(Measure.PerCall(20, () => { foreach (var l in cLocal) RedisCountsScript.Build(l, shardTemp); })) + " us");
        t.Print($"client-side work per query outside I/O ({shards.Length} shards; the sharded back end caches copies and the Redis back end scripts per program object, " +
            "so these are paid on every call when the answer to 'same program object' is no)");
    }

    private static string Cell(Results r, string name)
    {
        var (lo, hi) = r.RatioRange(name, "u");
        return $"{Fmt.Ms(r.Median(name))} ({Fmt.Ratio(r.Ratio(name, "u"))}, {Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})";
    }

    private static string Miss(double ratio, double target, bool lowerIsBetter)
    {
        var missed = lowerIsBetter ? ratio > target : ratio < target;
        return missed ? $" by {Math.Abs(ratio / target - 1):0%}" : "";
    }

    /// <summary>Day keys of 5% random ids, month keys the OR of their days: one bitmap per (event, period).</summary>
    private static Dictionary<(string Event, Period Period), PagedBitmap> BuildData(Shape shape)
    {
        var data = new Dictionary<(string, Period), PagedBitmap>();
        for (var e = 0; e < Events.Length; e++)
        {
            var days = new List<PagedBitmap>();
            for (var d = 1; d <= 31; d++)
            {
                var b = PagedBitmap.Of(Data.BernoulliIds(Density, shape.Universe, 1000 * e + d));
                data[(Events[e], Period.Day(2026, 1, d))] = b;
                days.Add(b);
            }
            data[(Events[e], Period.Month(2026, 1))] = PagedBitmap.Or(days);
        }
        return data;
    }

    /// <summary>Runs <paramref name="body"/> <paramref name="times"/> times and reads the servers' INFO commandstats around it.</summary>
    private static async Task<Pass> CountAsync(Target t, int times, Func<Task> body)
    {
        // Steady state: scripts loaded, plans cached, the registry known, JIT tiers settled, no garbage of the previous step.
        for (var i = 0; i < 3; i++) await body();
        Measure.Quiesce();
        var before = await t.Stats();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < times; i++) await body();
        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / times;
        var after = await t.Stats();
        double batches = 0, commands = 0;
        var nodeUs = new double[after.Length];
        var touched = 0;
        var perNode = new List<string>();
        for (var n = 0; n < after.Length; n++)
        {
            var any = false;
            var names = new List<string>();
            foreach (var (name, (calls, usec)) in after[n])
            {
                var (c0, u0) = before[n].GetValueOrDefault(name);
                var dc = calls - c0;
                // Subcommands come as "cluster|slots": the client refreshes its slot map on every node now and then.
                if (dc == 0 || Admin.Contains(name.Split('|')[0])) continue;
                any = true;
                names.Add($"{name} {dc / (double)times:0.##}");
                if (name is "exec" or "eval" or "evalsha") batches += dc;
                else if (name != "multi")
                {
                    commands += dc;
                    nodeUs[n] += usec - u0;
                }
            }
            if (any) touched++;
            perNode.Add($"node {n + 1}: " + (names.Count == 0 ? "nothing" : string.Join(", ", names)));
        }
        return new Pass(batches / times, commands / times, nodeUs.Sum() / times, [.. nodeUs.Select(x => x / times)], touched, clientCpu, string.Join("; ", perNode));
    }

    /// <summary>Commands of the admin connection, the client's own housekeeping, left out of the counts.</summary>
    private static readonly HashSet<string> Admin = new(StringComparer.Ordinal)
    {
        "info", "config", "cluster", "ping", "echo", "client", "hello", "command", "subscribe", "psubscribe", "unsubscribe", "script", "memory", "scan", "keys", "time",
    };

    /// <summary>Seconds per query of <paramref name="total"/> queries run with <paramref name="parallel"/> in flight.</summary>
    private static async Task<double> InFlightAsync(int total, int parallel, Func<Task> body)
    {
        var next = 0;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= total) await body();
        }));
        return sw.Elapsed.TotalSeconds / total;
    }
}
