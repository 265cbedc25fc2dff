using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// (h) Mark throughput: single-id marks in MarkBatches of 1,000, 8 batches in flight, ids over the whole id space
/// (every shard) and within one shard. (i) Memory: MEMORY USAGE of every shard key vs the unsharded keys, and
/// whether shard keys are created at full size (no SETBIT slack) by the bulk merge and by marks.
/// </summary>
internal sealed partial class ClusterSuite
{
    private const int MarksPerBatch = 1000;
    private const int MarkBatchesInFlight = 8;
    private static readonly DateTime MarkDay = new(2026, 1, 15);

    private async Task RunMarksAsync(BenchContext ctx, Target[] targets, Shape shape, Table verdicts)
    {
        var total = ctx.Quick ? 10_000 : 100_000;
        var rng = new Random(23);
        var spread = Enumerable.Range(0, total).Select(_ => (long)rng.NextInt64(shape.Universe)).ToArray();
        const int oneShard = 5;
        var inShard = Enumerable.Range(0, total).Select(_ => ((long)oneShard << shape.ShardBits) + rng.NextInt64(1L << shape.ShardBits)).ToArray();

        async Task<double> Mark(BitmapStore store, string ev, long[] ids)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            var inflight = new Queue<Task>();
            for (var i = 0; i < ids.Length; i += MarksPerBatch)
            {
                var batch = store.CreateBatch();
                for (var j = i; j < Math.Min(ids.Length, i + MarksPerBatch); j++) batch.Mark(ev, ids[j], MarkDay.AddSeconds(j % 86_400));
                inflight.Enqueue(batch.ExecuteAsync());
                if (inflight.Count >= MarkBatchesInFlight) await inflight.Dequeue();
            }
            await Task.WhenAll(inflight);
            return sw.Elapsed.TotalSeconds;
        }

        // First marks create the keys (and registry bits): done once before timing; the timed rounds set the same bits again.
        foreach (var t in targets)
        {
            await Mark(t.Store, "mk", spread);
            await Mark(t.Store, "mk1", inShard);
        }
        var passes = new Dictionary<string, Pass>();
        foreach (var t in targets) passes[t.Name] = await CountAsync(t, 1, () => Mark(t.Store, "mk", spread[..MarksPerBatch]));
        var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(5),
            [.. targets.SelectMany(t => new[] { new Case(t.Name, () => Mark(t.Store, "mk", spread)), new Case(t.Name + "1", () => Mark(t.Store, "mk1", inShard)) })]);
        foreach (var t in targets)
        {
            var a = await t.Store.Set(SetExpr.Event("mk", Period.Day(MarkDay.Year, MarkDay.Month, MarkDay.Day))).CountAsync();
            if (a != spread.Distinct().LongCount()) throw new InvalidOperationException($"{t.Label}: marked {spread.Distinct().Count()} ids, counted {a}");
        }

        var table = new Table("store", "marks/s, ids in every shard", "per shard", "vs unsharded", "marks/s, ids in one shard", "vs unsharded",
            "batches per 1,000 marks", "commands per mark", "server us per mark");
        foreach (var t in targets)
        {
            var shards = t.Name == "u" ? 1 : shape.Shards;
            var rate = total / r.Median(t.Name);
            var rate1 = total / r.Median(t.Name + "1");
            var p = passes[t.Name];
            table.Row(t.Label, Fmt.Rate(rate), t.Name == "u" ? "-" : Fmt.Rate(rate / shards), Fmt.Ratio(r.Ratio("u", t.Name)), Fmt.Rate(rate1), Fmt.Ratio(r.Ratio("u1", t.Name + "1")),
                Fmt.N(p.Batches), Fmt.N(p.Commands / MarksPerBatch), Fmt.Us(p.ServerUs / MarksPerBatch / 1e6));
        }
        table.Print($"(h) mark throughput: {total:N0} single-id marks (month, week and day keys each) in MarkBatches of {MarksPerBatch:N0}, " +
            $"{MarkBatchesInFlight} in flight; median of {ctx.Reps(5)} repetitions, interleaved; keys existed already (the same bits set again)");
        verdicts.Row("(h) mark throughput per shard (report)", $"cluster {Fmt.Rate(total / r.Median("c"))} marks/s total, {Fmt.Rate(total / r.Median("c1"))}/s into one shard", "reported");
    }

    private async Task RunMemoryAsync(BenchContext ctx, RedisCluster cluster, Target[] targets, Shape shape, Dictionary<(string Event, Period Period), PagedBitmap> bitmaps)
    {
        var full = (long)(1 << shape.ShardBits) / 8;
        var table = new Table("store", "keys", "sum of MEMORY USAGE", "vs unsharded", "sum of STRLEN", "MEMORY USAGE / STRLEN", "shard keys not at full size");
        var keys = bitmaps.Keys.ToArray();
        var markKeys = new[] { Period.Day(MarkDay.Year, MarkDay.Month, MarkDay.Day), Period.Of(PeriodUnit.Week, MarkDay), Period.Month(MarkDay.Year, MarkDay.Month) };
        long unshardedUsage = 0;
        var markRows = new Table("store", "mk keys (marks only)", "sum of MEMORY USAGE", "sum of STRLEN", "MEMORY USAGE / STRLEN");
        foreach (var t in targets)
        {
            var db = t.Name == "c" ? cluster.Admin.GetDatabase() : ctx.Redis.Db;
            async Task<(long Usage, long Length)> Of(string key)
            {
                var usage = await db.ExecuteAsync("MEMORY", "USAGE", (StackExchange.Redis.RedisKey)key, "SAMPLES", "0");
                return (usage.IsNull ? 0 : (long)usage, await db.StringLengthAsync(key));
            }
            IEnumerable<string> Physical(string logical)
            {
                if (t.Store.Backend is not ShardedBackend s) return [logical];
                return Enumerable.Range(0, shape.Shards).Select(i => s.Map.PhysicalKey((uint)i, logical));
            }
            long usageSum = 0, lengthSum = 0, count = 0, notFull = 0;
            foreach (var (e, p) in keys)
                foreach (var k in Physical(t.Store.Keys.Key(e, p)))
                {
                    var (usage, length) = await Of(k);
                    if (usage == 0) continue;
                    usageSum += usage;
                    lengthSum += length;
                    count++;
                    if (t.Name != "u" && length != full) notFull++;
                }
            if (t.Name == "u") unshardedUsage = usageSum;
            table.Row(t.Label, count, Fmt.Bytes(usageSum), Fmt.Ratio(usageSum / (double)unshardedUsage), Fmt.Bytes(lengthSum), Fmt.Ratio(usageSum / (double)lengthSum),
                t.Name == "u" ? "-" : $"{notFull} (full = {full:N0} B)");

            long mu = 0, ml = 0, mc = 0;
            foreach (var p in markKeys)
                foreach (var k in Physical(t.Store.Keys.Key("mk", p)))
                {
                    var (usage, length) = await Of(k);
                    if (usage == 0) continue;
                    mu += usage;
                    ml += length;
                    mc++;
                }
            markRows.Row(t.Label, mc, Fmt.Bytes(mu), Fmt.Bytes(ml), Fmt.Ratio(mu / (double)ml));
        }
        table.Print($"(i) memory of the {keys.Length} data keys (written by the bulk merge); a shard key's full size is 2^{shape.ShardBits} bits = {Fmt.Bytes(full)}");
        markRows.Print("(i) memory of the keys written only by marks (section h: month, week and day keys of event mk); MEMORY USAGE / STRLEN > 1 is allocator and SETBIT growth slack");
    }

    /// <param name="clientCpuMs">Client CPU ms per (c) query with 8 in flight, per target: steadier than the counting passes' (few sequential queries).</param>
    private static void PrintProjection(Shape shape, Dictionary<(string Query, string Target), Pass> passes, Dictionary<string, double> clientCpuMs,
        Results ra, Results rb, Results rc, Results rd, int nodes)
    {
        // Per-shard server time comes from the sharded store on the single Redis: there the server runs the shards' batches
        // one after another on a core it shares only with the client. The cluster's own commandstats are inflated here:
        // 3 nodes and the client on 2 cores, so a node's command is often descheduled while its clock runs.
        var t = new Table("query", "unsharded: server ms/query", "16 shards, 1 Redis: server ms/query", "per shard ms", "cluster: server ms/query (contended)",
            "client CPU ms/query (unsharded / cluster)", "measured here: cluster ms (server ms on the busiest node)");
        foreach (var (q, r) in new[] { ("a", ra), ("b", rb), ("c", rc) })
        {
            var u = passes[(q, "u")];
            var s = passes[(q, "s")];
            var c = passes[(q, "c")];
            var (uc, cc) = q == "c" ? (clientCpuMs["u"] * 1000, clientCpuMs["c"] * 1000) : (u.ClientCpuUs, c.ClientCpuUs);
            t.Row(q, Fmt.Ms(u.ServerUs / 1e6), Fmt.Ms(s.ServerUs / 1e6), Fmt.Ms(s.ServerUs / shape.Shards / 1e6), Fmt.Ms(c.ServerUs / 1e6),
                $"{Fmt.Ms(uc / 1e6)} / {Fmt.Ms(cc / 1e6)}", $"{Fmt.Ms(r.Median("c"))} ({Fmt.Ms(c.NodeUs.Max() / 1e6)})");
        }
        t.Print("projection inputs: server time per query from INFO commandstats (usec of the commands run, EXEC/EVALSHA excluded), client CPU from the process " +
            "(all its threads, thread-pool spinning included)");

        var p = new Table("hosts N", "shards on the busiest host", "(a) ms: client + busiest host", "(b) ms: client + busiest host", "(c) ms: client + busiest host",
            "(c) queries/s bound by the servers", "vs 1 unsharded Redis", "(c) queries/s bound by one client core");
        double Server(string q, string target) => passes[(q, target)].ServerUs;
        // (c)'s client CPU from the 8-in-flight pass; (a) and (b) from their counting passes.
        double Client(string q, string target) => q == "c" ? clientCpuMs[target] * 1000 : passes[(q, target)].ClientCpuUs;
        var unshardedThroughput = 1e6 / Server("c", "u");
        p.Row("1 Redis, unsharded", "-", Fmt.Ms((Client("a", "u") + Server("a", "u")) / 1e6), Fmt.Ms((Client("b", "u") + Server("b", "u")) / 1e6),
            Fmt.Ms((Client("c", "u") + Server("c", "u")) / 1e6), unshardedThroughput.ToString("0"), "1.00x", (1e6 / Client("c", "u")).ToString("0"));
        foreach (var n in new[] { 1, 3, 6, 16 }.Where(n => n <= shape.Shards))
        {
            var busiest = (shape.Shards + n - 1) / n;
            string Latency(string q) => Fmt.Ms((Client(q, "c") + busiest * Server(q, "s") / shape.Shards) / 1e6);
            var throughput = 1e6 / (busiest * Server("c", "s") / shape.Shards);
            p.Row(n, busiest, Latency("a"), Latency("b"), Latency("c"), throughput.ToString("0"), Fmt.Ratio(throughput / unshardedThroughput), (1e6 / Client("c", "c")).ToString("0"));
        }
        p.Print($"simulated projection for N hosts ({shape.Shards} shards spread evenly, one single-threaded redis-server per host, the client on its own machine): " +
            "latency ~ client CPU + the busiest host's server time (network round trips not included); throughput bound = 1 / the busiest host's server time " +
            $"per query. Measured here instead: {nodes} nodes and the client on {Environment.ProcessorCount} cores, (d) {1 / rd.Median("c"):0.0} queries/s on the " +
            $"cluster vs {1 / rd.Median("u"):0.0} unsharded");
    }
}
