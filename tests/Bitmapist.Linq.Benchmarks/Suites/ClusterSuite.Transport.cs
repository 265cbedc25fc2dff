using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Where the per-shard cost of a fan-out goes, below the library: one "shard batch" of AND+count over tiny keys sent
/// straight through StackExchange.Redis, 16 of them in flight at once, in three forms: MULTI/EXEC of BITOP, EXPIRE,
/// BITCOUNT, DEL (the library's form for one read), one EVAL of a script doing the same, and a lone BITCOUNT (the floor
/// of one command). Client CPU and latency per batch say what a different transport form would save.
/// </summary>
internal sealed partial class ClusterSuite
{
    private const string AndCountScript = "redis.call('BITOP', 'AND', KEYS[3], KEYS[1], KEYS[2]) redis.call('EXPIRE', KEYS[3], 60) " +
        "local n = redis.call('BITCOUNT', KEYS[3]) redis.call('DEL', KEYS[3]) return n";

    private async Task RunTransportAsync(BenchContext ctx, RedisCluster cluster, string prefix)
    {
        const int batches = 16;
        var table = new Table("where", "form", "ms per 16 batches (median)", "client CPU us per batch", "vs MULTI/EXEC");
        await using var single = await RedisServer.ConnectAsync(ctx.Redis.Endpoint);
        foreach (var (label, db) in new[] { ("1 Redis", single.GetDatabase()), ($"cluster of {cluster.Primaries.Length}", cluster.Admin.GetDatabase()) })
        {
            var keys = Enumerable.Range(0, batches).Select(i => new RedisKey[] { $"{prefix}tr{{{i}}}a", $"{prefix}tr{{{i}}}b", $"{prefix}tr{{{i}}}tmp" }).ToArray();
            var rng = new Random(3);
            foreach (var k in keys)
            {
                await db.StringSetAsync(k[0], Data.RandomBytes(32, rng.Next()));
                await db.StringSetAsync(k[1], Data.RandomBytes(32, rng.Next()));
            }
            Task<long> Multi(RedisKey[] k)
            {
                var tran = db.CreateTransaction();
                _ = tran.ExecuteAsync("BITOP", "AND", k[2], k[0], k[1]);
                _ = tran.ExecuteAsync("EXPIRE", k[2], 60);
                var count = tran.ExecuteAsync("BITCOUNT", k[2]);
                _ = tran.ExecuteAsync("DEL", k[2]);
                return tran.ExecuteAsync().ContinueWith(async _ => (long)await count).Unwrap();
            }
            async Task<long> Script(RedisKey[] k) => (long)await db.ScriptEvaluateAsync(AndCountScript, k);
            Task<long> Count(RedisKey[] k) => db.StringBitCountAsync(k[0]);
            var forms = new (string Name, Func<RedisKey[], Task<long>> Run)[] { ("MULTI/EXEC (the library's form)", Multi), ("one EVAL(SHA) script", Script), ("one BITCOUNT (floor)", Count) };
            foreach (var k in keys)
                if (await Multi(k) != await Script(k)) throw new InvalidOperationException("transport forms disagree");
            var cpu = new Dictionary<string, double>();
            const int perSample = 20;
            var r = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(7), 2, [.. forms.Select(f => new Case(f.Name, async () =>
            {
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < perSample; i++) await Task.WhenAll(keys.Select(f.Run));
                var seconds = sw.Elapsed.TotalSeconds / perSample;
                cpu[f.Name] = cpu.GetValueOrDefault(f.Name) + (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / perSample / batches;
                return seconds;
            }))]);
            var samples = (ctx.Warmup(2) + ctx.Reps(7)) * 2.0;
            foreach (var f in forms)
            {
                var (lo, hi) = r.RatioRange(f.Name, forms[0].Name);
                table.Row(label, f.Name, Fmt.Ms(r.Median(f.Name)), (cpu[f.Name] / samples).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture), $"{Fmt.Ratio(r.Ratio(f.Name, forms[0].Name))} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})");
            }
            foreach (var k in keys) await db.KeyDeleteAsync([k[0], k[1]]);
        }
        table.Print($"(f) per-shard transport cost below the library: {batches} shard batches of AND+count over 32-byte keys in flight at once, " +
            "straight through StackExchange.Redis; client CPU per batch (all threads) averaged over every sample");
    }
}
