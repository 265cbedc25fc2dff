using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// (f) What each visited shard costs: the same AND+count over tiny keys (k = 8, 32-byte shard keys, so the server's
/// bit work is negligible) with data in 1, 16, 64 and 256 shards; the slope of latency over shards is the fan-out
/// cost. (g) Shards that hold none of the query's keys: a store whose registry lists 64 shards (another event in 63
/// of them) vs one that lists 1; and a store whose only other shard is the last one of 2^32 ids (2^24 shards).
/// </summary>
internal sealed partial class ClusterSuite
{
    private const int FanOutBits = KeyLayout.MinShardBits;

    private async Task RunFanOutAsync(BenchContext ctx, RedisCluster cluster, string prefix)
    {
        int[] sizes = ctx.Quick ? [1, 16, 64] : [1, 16, 64, 256];
        Func<Task<Dictionary<string, (long, long)>[]>> single = async () => [await ctx.Redis.CommandStatsFullAsync()];
        var layout = KeyLayout.Sharded(FanOutBits);
        var width = 1u << FanOutBits;
        var query = SetExpr.Event("e0", Period.Day(2026, 1, 1)) & SetExpr.Event("e1", Period.Day(2026, 1, 2));
        var a = new PagedBitmap();
        var b = new PagedBitmap();
        var rng = new Random(17);
        for (uint id = 0; id < sizes[^1] * width; id++)
        {
            if (rng.Next(2) == 0) a.Set(id);
            if (rng.Next(2) == 0) b.Set(id);
        }
        PagedBitmap Below(PagedBitmap x, uint limit) => PagedBitmap.Of(x.Ids().TakeWhile(id => id < limit));

        var stores = new List<(Target Target, int Shards, string Kind)>();
        try
        {
            async Task<RedisStore> Open(string config, string p, KeyLayout l, params (string Event, int Day, PagedBitmap Bits)[] data)
            {
                var st = await RedisStore.ConnectAsync(config, Options(p, l));
                await st.MergeAsync([.. data.Select(x => new BitmapMerge(st.Keys.Key(x.Event, Period.Day(2026, 1, x.Day)), x.Bits))], CancellationToken.None);
                return st;
            }
            var whole = (Limit: (uint)(sizes[^1] * width), A: a, B: b);
            var u = await Open(ctx.Redis.StoreConfiguration(), prefix + "fu:", KeyLayout.Bitmapist, ("e0", 1, a), ("e1", 2, b));
            stores.Add((new Target("u", $"unsharded, ids of {sizes[^1]} shards", u, single), 1, "u"));
            foreach (var n in sizes)
            {
                var limit = (uint)(n * width);
                var (an, bn) = (Below(a, limit), Below(b, limit));
                stores.Add((new Target($"s{n}", $"1 Redis, {n} shards", await Open(ctx.Redis.StoreConfiguration(), $"{prefix}f{n}s:", layout, ("e0", 1, an), ("e1", 2, bn)), single), n, "s"));
                stores.Add((new Target($"c{n}", $"cluster, {n} shards", await Open(cluster.StoreConfiguration, $"{prefix}f{n}c:", layout, ("e0", 1, an), ("e1", 2, bn)), cluster.CommandStatsAsync), n, "c"));
            }
            // (g) the query's keys in shard 0 only; the registry lists 64 shards (another event in shards 1..63).
            var zz = new PagedBitmap();
            for (uint s = 1; s < 64; s++) zz.Set(s * width);
            var (a1, b1) = (Below(a, width), Below(b, width));
            var g64s = await Open(ctx.Redis.StoreConfiguration(), prefix + "g64s:", layout, ("e0", 1, a1), ("e1", 2, b1), ("zz", 3, zz));
            var g64c = await Open(cluster.StoreConfiguration, prefix + "g64c:", layout, ("e0", 1, a1), ("e1", 2, b1), ("zz", 3, zz));
            // (g) shard 0 and the last shard of 2^32 ids: 2 shards visited of 2^24 possible.
            var (af, bf) = (a1.Clone(), b1.Clone());
            af.Set(uint.MaxValue);
            bf.Set(uint.MaxValue);
            var far = await Open(cluster.StoreConfiguration, prefix + "gfarc:", layout, ("e0", 1, af), ("e1", 2, bf));
            var extra = new List<(Target Target, int Shards, string Kind)>
            {
                (new Target("g64s", "1 Redis: query's keys in 1 shard, registry 64 shards", g64s, single), 64, "g"),
                (new Target("g64c", "cluster: query's keys in 1 shard, registry 64 shards", g64c, cluster.CommandStatsAsync), 64, "g"),
                (new Target("gfarc", "cluster: shard 0 + id 2^32-1 (shard 2^24-1)", far, cluster.CommandStatsAsync), 2, "g"),
            };
            stores.AddRange(extra);

            // Answers first: every store's count equals the client's.
            foreach (var (t, n, kind) in stores)
            {
                var limit = kind == "u" ? whole.Limit : kind == "g" ? width : (uint)(n * width);
                var expected = PagedBitmap.AndCount([Below(a, limit), Below(b, limit)]) + (t.Name == "gfarc" ? 1 : 0);
                var got = await t.Store.Set(query).CountAsync();
                if (got != expected) throw new InvalidOperationException($"fan-out store {t.Label}: counted {got}, expected {expected}");
            }

            var passes = new Dictionary<string, Pass>();
            foreach (var (t, _, _) in stores) passes[t.Name] = await CountAsync(t, 20, () => t.Store.Set(query).CountAsync());

            var r = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(7), 2,
                [.. stores.Select(x => new Case(x.Target.Name, () => Measure.PerCall(10, () => x.Target.Store.Set(query).CountAsync())))]);

            var t1 = new Table("store", "shards with data", "batches/query", "data commands/query", "server us/query", "client CPU us/query", "ms per query (median)", "vs unsharded");
            foreach (var (t, n, kind) in stores)
            {
                var (lo, hi) = r.RatioRange(t.Name, "u");
                t1.Row(t.Label, kind == "u" ? "-" : n, Fmt.N(passes[t.Name].Batches), Fmt.N(passes[t.Name].Commands), Fmt.Us(passes[t.Name].ServerUs / 1e6),
                    Fmt.Us(passes[t.Name].ClientCpuUs / 1e6), Fmt.Ms(r.Median(t.Name)), $"{Fmt.Ratio(r.Ratio(t.Name, "u"))} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})");
            }
            t1.Print($"(f, g) fan-out: AND of 2 day keys + count, k = {FanOutBits} ({width / 8}-byte shard keys), 10 queries per sample, " +
                $"{ctx.Reps(7)} repetitions x 2 interleaved slices");

            var slopes = new Table("where", "us per visited shard (least squares over " + string.Join(", ", sizes) + " shards)", "server us per shard (commandstats)", "client CPU us per shard", "intercept ms");
            foreach (var kind in new[] { "s", "c" })
            {
                var pts = stores.Where(x => x.Kind == kind).Select(x => (X: (double)x.Shards, Y: r.Median(x.Target.Name), S: passes[x.Target.Name].ServerUs, C: passes[x.Target.Name].ClientCpuUs)).ToArray();
                var (slope, icept) = Fit(pts.Select(p => (p.X, p.Y)).ToArray());
                var (serverSlope, _) = Fit(pts.Select(p => (p.X, p.S / 1e6)).ToArray());
                var (clientSlope, _) = Fit(pts.Select(p => (p.X, p.C / 1e6)).ToArray());
                slopes.Row(kind == "s" ? "1 Redis" : $"cluster of {cluster.Primaries.Length}", Fmt.Us(slope), Fmt.Us(serverSlope), Fmt.Us(clientSlope), Fmt.Ms(icept));
            }
            slopes.Print("(f) fan-out cost per visited shard (latency slope; the server's share from commandstats)");

            var g = new Table("store", "batches/query", "ms per query", "vs the same data with a registry of 1 shard");
            foreach (var (name, baseline) in new[] { ("g64s", "s1"), ("g64c", "c1"), ("gfarc", "c1") })
            {
                var (lo, hi) = r.RatioRange(name, baseline);
                // The registry's extra shards (63, or the 1 far shard): on the cluster each is a batch, on one Redis part of the joined batch.
                var extraShards = stores.First(x => x.Target.Name == name).Shards - 1;
                var perShard = (r.Median(name) - r.Median(baseline)) / extraShards;
                g.Row(stores.First(x => x.Target.Name == name).Target.Label, Fmt.N(passes[name].Batches), Fmt.Ms(r.Median(name)),
                    $"{Fmt.Ratio(r.Ratio(name, baseline))} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)}); {Fmt.Us(perShard)} us per extra registry shard");
            }
            g.Print("(g) shards without the query's keys: shards the registry does not list are never visited (batches/query); " +
                "shards it lists are visited whether or not they hold the query's keys");
        }
        finally
        {
            foreach (var (t, _, _) in stores) await t.Store.DisposeAsync();
        }
    }

    /// <summary>Least-squares line through the points: (slope, intercept).</summary>
    private static (double Slope, double Intercept) Fit(IReadOnlyList<(double X, double Y)> pts)
    {
        var mx = pts.Average(p => p.X);
        var my = pts.Average(p => p.Y);
        var sxy = pts.Sum(p => (p.X - mx) * (p.Y - my));
        var sxx = pts.Sum(p => (p.X - mx) * (p.X - mx));
        var slope = sxx == 0 ? 0 : sxy / sxx;
        return (slope, my - slope * mx);
    }
}
