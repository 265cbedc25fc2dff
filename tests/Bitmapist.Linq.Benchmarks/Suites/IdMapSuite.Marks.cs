using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;

namespace Bitmapist.Linq.Benchmarks.Suites;

// Part 2: marking with mapping vs without: BulkImport by number, by new external ids and by external ids already
// mapped; single MarkAsync calls by number and by external id.
internal sealed partial class IdMapSuite
{
    private static readonly string[] ImportEvents = ["play", "view", "like"];

    // Part 1's ids start at 0; these users are other people.
    private const long UserBase = 1L << 40;

    private async Task MarksAsync(BenchContext ctx)
    {
        var records = ctx.Quick ? 200_000 : 1_000_000;
        var users = ctx.Quick ? 40_000 : 200_000;
        const int days = 30;
        var rng = new Random(16);
        var start = new DateTime(2026, 3, 1);
        var data = new (int Event, int User, DateTime At)[records];
        for (var i = 0; i < records; i++)
            data[i] = (rng.Next(ImportEvents.Length), rng.Next(users), start.AddMinutes(rng.Next(days * 24 * 60)));
        var external = new string[users];
        for (var u = 0; u < users; u++) external[u] = GuidId(UserBase + u);
        Console.WriteLine($"\nbulk import: {records:N0} records, {ImportEvents.Length} events, users uniform over {users:N0} " +
                          $"(as numbers 0..{users - 1}, or as external ids like '{external[0]}'), timestamps uniform over {days} days; " +
                          $"BulkImport maps external ids in calls of {MapBatch:N0} records (BulkImport.MapBatchSize).");

        var prefix = BenchContext.Prefix(Name) + "import:";
        var redis = ctx.Redis;
        await using var redisStore = await RedisStore.ConnectAsync(redis.StoreConfiguration(), Options(prefix));
        var checks = new Dictionary<string, (long Sum, long Keys)>();
        var serverUsec = new Dictionary<string, (long Script, long Hmget)>();

        async Task Import(BitmapStore store, bool byExternal)
        {
            var import = store.CreateBulkImport();
            foreach (var (e, u, at) in data)
                if (byExternal) await import.AddAsync(ImportEvents[e], external[u], at);
                else await import.AddAsync(ImportEvents[e], u, at);
            await import.FlushAsync();
        }

        async Task<double> OnRedis(string name, bool byExternal, bool premapped)
        {
            await redis.DeleteAsync(prefix + "*");
            if (premapped) await MapAllAsync(redisStore.IdMap("users"), external);
            Measure.Quiesce();
            var before = await redis.CommandStatsFullAsync();
            var sw = Stopwatch.StartNew();
            await Import(redisStore, byExternal);
            var seconds = sw.Elapsed.TotalSeconds;
            var after = await redis.CommandStatsFullAsync();
            serverUsec[name] = (ScriptUsec(after) - ScriptUsec(before), after.GetValueOrDefault("hmget").Usec - before.GetValueOrDefault("hmget").Usec);
            checks[name] = await ChecksumAsync(redisStore);
            return seconds;
        }

        async Task<double> Embedded(string name, bool byExternal, bool premapped)
        {
            using var store = new EmbeddedStore(Options(prefix));
            if (premapped) await MapAllAsync(store.IdMap("users"), external);
            Measure.Quiesce();
            var sw = Stopwatch.StartNew();
            await Import(store, byExternal);
            var seconds = sw.Elapsed.TotalSeconds;
            checks[name] = await ChecksumAsync(store);
            return seconds;
        }

        var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(3),
            new Case("redis numeric", () => OnRedis("redis numeric", false, false)),
            new Case("redis new", () => OnRedis("redis new", true, false)),
            new Case("redis mapped", () => OnRedis("redis mapped", true, true)),
            new Case("embedded numeric", () => Embedded("embedded numeric", false, false)),
            new Case("embedded new", () => Embedded("embedded new", true, false)),
            new Case("embedded mapped", () => Embedded("embedded mapped", true, true)));
        await redis.DeleteAsync(prefix + "*");
        if (checks.Values.Distinct().Count() != 1)
            throw new InvalidOperationException($"the imports wrote different data: {string.Join(", ", checks.Select(c => $"{c.Key}: {c.Value}"))}");

        var t = new Table("import", "median s", "min..max s", "records/s", "time vs numeric (paired)", "Redis server time, last run: scripts / HMGETs (inside scripts too)");
        foreach (var store in new[] { "redis", "embedded" })
            foreach (var (kind, label) in new[] { ("numeric", "by number (no map)"), ("new", "by external id, all new"), ("mapped", "by external id, all already mapped") })
            {
                var name = $"{store} {kind}";
                var (lo, hi) = r.RatioRange(name, $"{store} numeric");
                t.Row($"{store}: {label}", r.Median(name).ToString("0.000"), Spread(r, name, s => s.ToString("0.000")), Fmt.Rate(records / r.Median(name)),
                    $"{Fmt.Ratio(r.Ratio(name, $"{store} numeric"))} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})",
                    store == "redis" ? $"{serverUsec[name].Script / 1000.0:0} ms / {serverUsec[name].Hmget / 1000.0:0} ms" : "");
            }
        t.Print($"bulk import, {ctx.Reps(3)} repetitions side by side after {ctx.Warmup(1)} warm-up, each on an empty store " +
                "(already mapped: the users mapped before the clock starts); checksums of all keys identical");

        var newRate = records / r.Median("redis new");
        var mappedRate = records / r.Median("redis mapped");
        new Table("target", "measured", "verdict")
            .Row(">= 500k records/s, new external ids, Redis", $"{Fmt.Rate(newRate)} records/s ({Fmt.Rate(records / r.Max("redis new"))}..{Fmt.Rate(records / r.Min("redis new"))})", Fmt.Verdict(newRate >= 500e3))
            .Row(">= 1M records/s, external ids already mapped, Redis", $"{Fmt.Rate(mappedRate)} records/s ({Fmt.Rate(records / r.Max("redis mapped"))}..{Fmt.Rate(records / r.Min("redis mapped"))})", Fmt.Verdict(mappedRate >= 1e6))
            .Print("targets");

        await SingleMarksAsync(ctx);
    }

    /// <summary>Microseconds Redis spent in scripts (the id map's get-or-create, HMGETs inside them included) from INFO commandstats.</summary>
    private static long ScriptUsec(Dictionary<string, (long Calls, long Usec)> stats) =>
        stats.GetValueOrDefault("evalsha").Usec + stats.GetValueOrDefault("eval").Usec;

    /// <summary>MarkAsync one at a time: by number, by an external id already mapped, by a new external id.</summary>
    private async Task SingleMarksAsync(BenchContext ctx)
    {
        var marks = ctx.Quick ? 100 : 1000;
        var prefix = BenchContext.Prefix(Name) + "marks:";
        var redis = ctx.Redis;
        await redis.DeleteAsync(prefix + "*");
        var at = new DateTime(2026, 3, 14, 12, 0, 0);
        // A pool of mapped users marked in turn, and a counter of users never seen.
        var pool = Enumerable.Range(0, marks).Select(i => GuidId(2 * UserBase + i)).ToArray();
        long fresh = 3 * UserBase;

        await using var redisStore = await RedisStore.ConnectAsync(redis.StoreConfiguration(), Options(prefix));
        using var embedded = new EmbeddedStore(Options(prefix));
        foreach (var store in new BitmapStore[] { redisStore, embedded }) await store.IdMap("users").GetOrCreateAsync(pool);

        // Numbers 0..marks-1 are the pool's internal ids: by number and by mapped external id set the same bits.
        Func<Task<double>> Run(BitmapStore store, string kind) => () =>
        {
            var i = 0;
            return Measure.PerCall(marks, () => kind switch
            {
                "number" => store.MarkAsync("tap", i++ % marks, at),
                "mapped" => store.MarkAsync("tap", pool[i++ % marks], at),
                _ => store.MarkAsync("tap", GuidId(fresh++), at),
            });
        };
        string[] kinds = ["number", "mapped", "new"];
        var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(5),
            [.. kinds.Select(k => new Case($"redis {k}", Run(redisStore, k))), .. kinds.Select(k => new Case($"embedded {k}", Run(embedded, k)))]);

        // Round trips per mark, counted through the proxy (not timed).
        await using var proxy = new RoundTripProxy(redis.Endpoint);
        await using var counted = await RedisStore.ConnectAsync(redis.StoreConfiguration(proxy.Endpoint), Options(prefix));
        await counted.MarkAsync("tap", GuidId(fresh++), at); // loads the script: steady state below
        var trips = new Dictionary<string, double>();
        foreach (var kind in kinds)
        {
            var before = proxy.RoundTrips;
            await Run(counted, kind)();
            trips[kind] = (proxy.RoundTrips - before) / (double)marks;
        }
        await redis.DeleteAsync(prefix + "*");

        var t = new Table("MarkAsync, one at a time", "median us per mark", "min..max us", "vs by number (paired)", "round trips per mark");
        foreach (var store in new[] { "redis", "embedded" })
            foreach (var (kind, label) in new[] { ("number", "by number"), ("mapped", "by external id, already mapped"), ("new", "by external id, new (creates it)") })
            {
                var name = $"{store} {kind}";
                var (lo, hi) = r.RatioRange(name, $"{store} number");
                t.Row($"{store}: {label}", Fmt.Us(r.Median(name)), Spread(r, name, Fmt.Us),
                    $"{Fmt.Ratio(r.Ratio(name, $"{store} number"))} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})",
                    store == "redis" ? trips[kind].ToString("0.00") : "-");
            }
        t.Print($"{marks:N0} awaited MarkAsync calls per sample (3 keys each: month, week, day), {ctx.Reps(5)} repetitions side by side after {ctx.Warmup(1)} warm-up");
    }
}
