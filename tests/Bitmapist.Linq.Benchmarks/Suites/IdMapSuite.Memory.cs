using System.Diagnostics;
using System.Globalization;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

// Part 1: bytes per mapped id, and IdMap.GetOrCreateAsync alone (new ids, then the same ids again).
internal sealed partial class IdMapSuite
{
    private sealed record MapRun(double NewSeconds, double MappedSeconds, long Bytes, long ForwardUsage, long ReverseUsage);

    private async Task MemoryAsync(BenchContext ctx)
    {
        var n = ctx.Quick ? 100_000 : 1_000_000;
        var reps = ctx.Reps(3);
        var prefix = BenchContext.Prefix(Name) + "mem:";
        var redis = ctx.Redis;
        await using var redisStore = await RedisStore.ConnectAsync(redis.StoreConfiguration(), Options(prefix));
        var runs = new Dictionary<(string Store, string Kind), List<MapRun>>();
        long expectedSum = (long)n * (n - 1) / 2; // bitmapist's layout hands out 0, 1, 2, ... in order

        // Ids are made before the clock starts and dropped before memory is read (the helpers below return without
        // them), so the embedded heap's growth counts the strings the map keeps and nothing the benchmark holds.
        async Task<(double New, double Mapped)> MapTwice(IdMap map, Func<long, string> make)
        {
            var ids = new string[n];
            for (var i = 0; i < n; i++) ids[i] = make(i);
            var sw = Stopwatch.StartNew();
            var sum = await MapAllAsync(map, ids);
            var created = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var again = await MapAllAsync(map, ids);
            var mapped = sw.Elapsed.TotalSeconds;
            if (sum != expectedSum || again != expectedSum)
                throw new InvalidOperationException($"mapping {n:N0} new ids gave internal ids summing to {sum} then {again}, expected {expectedSum} (0..{n - 1})");
            return (created, mapped);
        }

        for (var rep = 0; rep < reps; rep++)
            foreach (var (kind, _, make) in Kinds)
            {
                // Redis: INFO used_memory before and after, MEMORY USAGE of the lane's hashes.
                await redis.DeleteAsync(prefix + "*");
                await LazyFreeDoneAsync(redis);
                var before = await redis.UsedMemoryAsync();
                var (created, mapped) = await MapTwice(redisStore.IdMap("users"), make);
                await Task.Delay(200);
                var after = await redis.UsedMemoryAsync();
                var lane = redisStore.IdMap("users").Lanes[0];
                var fwd = await MemoryUsageAsync(redis, lane.ForwardKey);
                var rev = await MemoryUsageAsync(redis, lane.ReverseKey);
                Add(("Redis", kind), new MapRun(created, mapped, after - before, fwd, rev));
                await redis.DeleteAsync(prefix + "*");

                // Embedded: managed heap after a full collection, before the store exists and after it holds the map.
                Measure.Quiesce();
                var heapBefore = GC.GetTotalMemory(true);
                var store = new EmbeddedStore(Options(prefix));
                (created, mapped) = await MapTwice(store.IdMap("users"), make);
                Measure.Quiesce();
                var heapAfter = GC.GetTotalMemory(true);
                GC.KeepAlive(store);
                store.Dispose();
                Add(("embedded", kind), new MapRun(created, mapped, heapAfter - heapBefore, 0, 0));
                Measure.Quiesce();
            }

        var t = new Table("store", "external ids", "bytes per id (median, min..max)", "how measured", "get-or-create, new: ids/s", "already mapped: ids/s", "mapped / new speed");
        foreach (var ((store, kind), list) in runs)
        {
            var perId = list.Select(r => r.Bytes / (double)n).ToList();
            var newRate = list.Select(r => n / r.NewSeconds).ToList();
            var mappedRate = list.Select(r => n / r.MappedSeconds).ToList();
            var speedup = list.Select(r => r.NewSeconds / r.MappedSeconds).ToList();
            var example = Kinds.First(k => k.Name == kind).Example;
            t.Row(store, $"{kind} ({example.Length} chars, e.g. {example})",
                $"{Stats.Median(perId):0} ({perId.Min():0}..{perId.Max():0})",
                store == "Redis" ? "INFO used_memory delta / N" : "managed heap after full GC, delta / N",
                $"{Fmt.Rate(Stats.Median(newRate))} ({Fmt.Rate(newRate.Min())}..{Fmt.Rate(newRate.Max())})",
                $"{Fmt.Rate(Stats.Median(mappedRate))} ({Fmt.Rate(mappedRate.Min())}..{Fmt.Rate(mappedRate.Max())})",
                $"{Fmt.Ratio(Stats.Median(speedup))} ({Fmt.Ratio(speedup.Min())}..{Fmt.Ratio(speedup.Max())})");
            if (store == "Redis")
                t.Row("", "", $"{Stats.Median([.. list.Select(r => (r.ForwardUsage + r.ReverseUsage) / (double)n)]):0} " +
                              $"(forward {Stats.Median([.. list.Select(r => r.ForwardUsage / (double)n)]):0} + reverse {Stats.Median([.. list.Select(r => r.ReverseUsage / (double)n)]):0})",
                    "MEMORY USAGE (SAMPLES 0) of the lane's hashes / N", "", "", "");
        }
        t.Print($"{n:N0} external ids mapped into an empty map in calls of {MapBatch:N0} (IdMap.GetOrCreateAsync), then the same ids again; " +
                $"{reps} repetitions, each on an empty map");

        void Add((string, string) key, MapRun run)
        {
            if (!runs.TryGetValue(key, out var list)) runs[key] = list = [];
            list.Add(run);
        }
    }

    /// <summary>
    /// Waits until Redis has freed what was deleted: the client deletes with UNLINK, which frees a large hash in the
    /// background, and the previous map's memory still counted in "before" once gave 71 bytes per id instead of 193.
    /// </summary>
    private static async Task LazyFreeDoneAsync(RedisServer redis)
    {
        for (var i = 0; i < 100 && await redis.InfoAsync("memory", "lazyfree_pending_objects") is not ("0" or ""); i++) await Task.Delay(100);
        await Task.Delay(200);
    }

    private static async Task<long> MemoryUsageAsync(RedisServer redis, string key)
    {
        var r = await redis.Db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        return r.IsNull ? 0 : long.Parse(r.ToString()!, CultureInfo.InvariantCulture);
    }
}
