using Bitmapist.Linq.Benchmarks.Baselines;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Where the time of a bandwidth-bound batch goes: the library's own command list for a depth-4 tree over
/// 2 MiB keys, replayed in variants that change one thing at a time (transaction or not, fresh or reused
/// temporary names, DEL at the end or not), next to the eager baseline.
/// </summary>
internal sealed class BatchDiagnosisSuite : ISuite
{
    public string Name => "batchdiag";
    public string Description => "diagnosis of the bandwidth-bound batch: the library's commands replayed in variants";

    public async Task RunAsync(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var redis = ctx.Redis;
        await using var store = await ctx.StoreAsync(prefix);
        var leaves = new List<string>();
        for (var i = 0; i < 16; i++)
        {
            var key = store.Keys.Key("bw", Period.Day(2026, 1, 1 + i));
            await redis.Db.StringSetAsync(key, Data.RedisBytes(Data.RandomSortedIds(200_000, 1 << 24, 200 + i), 1 << 24));
            leaves.Add(key);
        }
        var tree = QueryTree.Balanced(4, leaves);
        var set = store.Set(tree.ToSetExpr());
        var program = store.Plan(new SetQuery(tree.ToSetExpr(), ReadKind.Count)).Program;
        var eager = new EagerEvaluator(redis.Db, prefix + "bitop_");
        var db = redis.Db;
        var run = 0;

        RedisBatch Commands(string tempPrefix) => RedisBatch.Build(program, tempPrefix, tempPrefix + "lease", 60, 600);

        async Task<long> Replay(bool transaction, bool freshNames, bool del, bool reuseTemps = false, bool unlink = false)
        {
            var batch = Commands(freshNames ? $"{prefix}bitop_tmp:{run++}:" : $"{prefix}bitop_tmp:fixed:");
            var commands = (reuseTemps ? ReuseTemporaries(batch, out _) : [.. batch.Commands]).Where(c => del || c.Name != "DEL")
                .Select(c => unlink && c.Name == "DEL" ? c with { Name = "UNLINK" } : c).ToList();
            if (transaction)
            {
                var tran = db.CreateTransaction();
                var tasks = commands.Select(c => tran.ExecuteAsync(c.Name, [.. c.Args])).ToArray();
                await tran.ExecuteAsync();
                return (long)await tasks[batch.ReadIndex];
            }
            var pipelined = commands.Select(c => db.ExecuteAsync(c.Name, [.. c.Args])).ToArray();
            await Task.WhenAll(pipelined);
            return (long)await pipelined[batch.ReadIndex];
        }

        var expected = await eager.CountAsync(tree);
        foreach (var (tx, fresh, del) in new[] { (true, true, true), (false, true, true), (true, false, false), (true, false, true), (false, false, false) })
            if (await Replay(tx, fresh, del) != expected) throw new InvalidOperationException("replay count differs");

        if (await Replay(true, true, true, reuseTemps: true) != expected) throw new InvalidOperationException("replay with reused temporaries differs");
        ReuseTemporaries(Commands("t:"), out var physical);
        Case Variant(string name, bool tx, bool fresh, bool del, bool reuse = false, bool unlink = false) =>
            new(name, () => Measure.PerCall(2, () => Replay(tx, fresh, del, reuse, unlink)));
        var cases = new[]
        {
            new Case("eager", () => Measure.PerCall(2, () => eager.CountAsync(tree))),
            new Case("library (scratch keys kept for 2 s, issue 14)", () => Measure.PerCall(2, () => set.CountAsync())),
            Variant("replay: MULTI/EXEC, fresh temp names, DEL (= library before temporaries had fixed names)", true, true, true),
            Variant("replay: pipelined (no MULTI), fresh names, DEL", false, true, true),
            Variant("replay: MULTI/EXEC, fixed temp names, no DEL (keys overwritten, like eager)", true, false, false),
            Variant("replay: MULTI/EXEC, fixed temp names, DEL (names need not be unique inside one EXEC)", true, false, true),
            Variant("replay: pipelined, fixed temp names, no DEL", false, false, false),
            Variant($"replay: MULTI/EXEC, fresh names, DEL, temporaries reused within the query ({physical} keys instead of {program.TempCount})", true, true, true, reuse: true),
            Variant("replay: MULTI/EXEC, fresh names, UNLINK instead of DEL", true, true, true, unlink: true),
            Variant("replay: MULTI/EXEC, fresh names, UNLINK, temporaries reused within the query", true, true, true, reuse: true, unlink: true),
        };
        // Server BITOP time per query, summed over every measured run of each case (INFO read outside the timing).
        var bitopUsec = cases.ToDictionary(c => c.Name, _ => 0.0);
        var queries = cases.ToDictionary(c => c.Name, _ => 0);
        var faults = cases.ToDictionary(c => c.Name, _ => 0L);
        cases = [.. cases.Select(c => new Case(c.Name, async () =>
        {
            var before = await redis.CommandStatsFullAsync();
            var faults0 = redis.MinorFaults();
            var seconds = await c.Run();
            faults[c.Name] += redis.MinorFaults() - faults0;
            var after = await redis.CommandStatsFullAsync();
            bitopUsec[c.Name] += after["bitop"].Usec - before["bitop"].Usec;
            queries[c.Name] += 2;
            return seconds;
        }))];
        var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(7), cases);
        var t = new Table("variant (depth-4 tree, 19 BITOPs over 2 MiB keys)", "median ms / query", "vs eager", "server BITOP ms / query", "redis-server minor page faults / query");
        foreach (var c in cases) t.Row(c.Name, Fmt.Ms(r.Median(c.Name)), Fmt.Ratio(r.Ratio(c.Name, "eager")), (bitopUsec[c.Name] / queries[c.Name] / 1000).ToString("0.0"),
            redis.IsPrivate ? Fmt.N(Math.Round(faults[c.Name] / (double)queries[c.Name])) : "n/a");
        t.Print($"batch diagnosis, median of {ctx.Reps(7)} after {ctx.Warmup(1)} warm-up (server BITOP time: mean over all runs incl. warm-up)");
        await eager.CleanupAsync();
        await Latency(ctx);
    }

    /// <summary>Where the time of a latency-bound query goes (8 KiB keys): client work, the transaction, the round trip.</summary>
    private async Task Latency(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var redis = ctx.Redis;
        await redis.DeleteAsync(prefix + "*");
        await using var store = await ctx.StoreAsync(prefix);
        var leaves = new List<string>();
        for (var i = 0; i < 16; i++)
        {
            var key = store.Keys.Key("lat", Period.Day(2026, 1, 1 + i));
            await redis.Db.StringSetAsync(key, Data.RedisBytes(Data.BernoulliIds(0.3, 1 << 16, 100 + i), 1 << 16));
            leaves.Add(key);
        }
        var db = redis.Db;
        var t = new Table("depth", "variant", "median ms / query", "vs eager");
        foreach (var depth in new[] { 1, 4 })
        {
            var tree = QueryTree.Balanced(depth, leaves);
            var expr = tree.ToSetExpr();
            var set = store.Set(expr);
            var query = new SetQuery(expr, ReadKind.Count);
            var program = store.Plan(query).Program;
            var eager = new EagerEvaluator(db, prefix + "bitop_");
            var run = 0;
            async Task<long> Replay(bool transaction, bool withoutExpire = false)
            {
                var batch = RedisBatch.Build(program, $"{prefix}bitop_tmp:{run++}:", $"{prefix}bitop_tmp:lease", 60, 600);
                if (transaction)
                {
                    // Without EXPIRE: inside MULTI/EXEC the trailing DEL always runs, and nothing runs if the
                    // client dies before EXEC, so the per-temporary EXPIRE safety net never fires.
                    var commands = withoutExpire ? batch.Commands.Where(c => c.Name != "EXPIRE").ToList() : [.. batch.Commands];
                    var tran = db.CreateTransaction();
                    var tasks = commands.Select(c => tran.ExecuteAsync(c.Name, [.. c.Args])).ToArray();
                    await tran.ExecuteAsync();
                    return (long)await tasks[commands.FindIndex(c => c.Name == "BITCOUNT")];
                }
                var pipelined = batch.Commands.Select(c => db.ExecuteAsync(c.Name, [.. c.Args])).ToArray();
                await Task.WhenAll(pipelined);
                return (long)await pipelined[batch.ReadIndex];
            }
            var expected = await eager.CountAsync(tree);
            if (await set.CountAsync() != expected || await Replay(true) != expected || await Replay(false) != expected || await Replay(true, withoutExpire: true) != expected)
                throw new InvalidOperationException("latency diagnosis: counts differ");
            const int n = 100;
            var r = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(7), 3,
                new Case("eager", () => Measure.PerCall(n, () => eager.CountAsync(tree))),
                new Case("library", () => Measure.PerCall(n, () => set.CountAsync())),
                new Case("plan", () => Task.FromResult(Measure.PerCall(n, () => store.Plan(query)))),
                new Case("planbuild", () => Task.FromResult(Measure.PerCall(n, () => RedisBatch.Build(store.Plan(query).Program, $"{prefix}bitop_tmp:x:", $"{prefix}bitop_tmp:lease", 60, 600)))),
                new Case("tran", () => Measure.PerCall(n, () => Replay(true))),
                new Case("pipe", () => Measure.PerCall(n, () => Replay(false))),
                new Case("noexpire", () => Measure.PerCall(n, () => Replay(true, withoutExpire: true))),
                new Case("ping", () => Measure.PerCall(n, () => db.PingAsync())));
            foreach (var (name, label) in new[]
            {
                ("eager", "eager (bitmapist): one awaited call per BITOP, then BITCOUNT"),
                ("library", "library: UserSet.CountAsync"),
                ("plan", "  client: plan only (bind + optimize + emit)"),
                ("planbuild", "  client: plan + build the Redis command list"),
                ("tran", "  the library's commands as one MULTI/EXEC written directly (SE.Redis transaction)"),
                ("pipe", "  the library's commands pipelined without MULTI/EXEC"),
                ("noexpire", "  the library's MULTI/EXEC without the per-temporary EXPIREs"),
                ("ping", "  floor: one PING round trip"),
            })
                t.Row(depth, label, Fmt.Ms(r.Median(name)), Fmt.Ratio(r.Ratio(name, "eager")));
            await eager.CleanupAsync();
        }
        t.Print($"latency-bound diagnosis (8 KiB keys), median of {ctx.Reps(7)} repetitions of 3 slices x 100 queries after {ctx.Warmup(2)} warm-up");
    }

    /// <summary>
    /// The same commands with temporaries renamed by liveness: a step writes into the key of a temporary that
    /// is no longer read (BITOP may overwrite one of its own sources), so a query allocates only as many
    /// temporary strings as are live at once. What a register-allocating emitter would send.
    /// </summary>
    internal static List<RedisCommand> ReuseTemporaries(RedisBatch batch, out int physical)
    {
        var temps = batch.Temporaries.ToHashSet(StringComparer.Ordinal);
        var commands = batch.Commands;
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < commands.Length; i++)
            if (commands[i].Name is not ("EXPIRE" or "DEL"))
                foreach (var a in commands[i].Args)
                    if (a is string s && temps.Contains(s)) lastUse[s] = i;

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var free = new Stack<string>();
        var names = new List<string>();
        string Map(object a) => a is string s && map.TryGetValue(s, out var m) ? m : (string)a;
        var result = new List<RedisCommand>();
        for (var i = 0; i < commands.Length; i++)
        {
            var c = commands[i];
            switch (c.Name)
            {
                case "BITOP":
                    var dest = (string)c.Args[1];
                    var sources = c.Args.Skip(2).Select(Map).ToArray();
                    foreach (var src in c.Args.Skip(2).OfType<string>().Where(temps.Contains).Distinct())
                        if (lastUse[src] == i && src != dest) free.Push(map[src]);
                    if (!map.ContainsKey(dest))
                    {
                        if (free.Count > 0) map[dest] = free.Pop();
                        else
                        {
                            map[dest] = $"{dest}~r{names.Count}";
                            names.Add(map[dest]);
                        }
                    }
                    result.Add(new RedisCommand("BITOP", [c.Args[0], map[dest], .. sources]));
                    break;
                case "DEL":
                    result.Add(new RedisCommand("DEL", [.. names]));
                    break;
                default:
                    result.Add(new RedisCommand(c.Name, [.. c.Args.Select(a => a is string ? Map(a) : a)]));
                    break;
            }
        }
        physical = names.Count;
        return result;
    }
}
