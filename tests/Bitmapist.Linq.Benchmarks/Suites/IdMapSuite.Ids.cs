using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;

namespace Bitmapist.Linq.Benchmarks.Suites;

// Part 3: reading a set's ids, alone and mapped back to external ids (IdMap.FindExternalAsync per page).
internal sealed partial class IdMapSuite
{
    private const int IdsPage = 10_000;

    private async Task IdsAsync(BenchContext ctx)
    {
        var n = ctx.Quick ? 100_000 : 1_000_000;
        var prefix = BenchContext.Prefix(Name) + "ids:";
        var redis = ctx.Redis;
        await redis.DeleteAsync(prefix + "*");
        await using var redisStore = await RedisStore.ConnectAsync(redis.StoreConfiguration(), Options(prefix));
        using var embedded = new EmbeddedStore(Options(prefix));
        var chars = 0L;
        foreach (var store in new BitmapStore[] { redisStore, embedded })
            chars = await ImportUsersAsync(store, n);
        Console.WriteLine($"\nids: a unique flag set for {n:N0} users imported by external id (internal ids 0..{n - 1}); read back in ascending " +
                          $"order (UserSet.IdsAsync), alone or mapped back to external ids in pages of {IdsPage:N0} (IdMap.FindExternalAsync).");

        async Task<double> Plain(BitmapStore store)
        {
            var sw = Stopwatch.StartNew();
            long count = 0, sum = 0;
            await foreach (var id in store.Unique("seen").IdsAsync()) { count++; sum += id; }
            var seconds = sw.Elapsed.TotalSeconds;
            if (count != n || sum != (long)n * (n - 1) / 2) throw new InvalidOperationException($"read {count} ids (sum {sum}), expected {n}");
            return seconds;
        }

        // Pages mapped back one after another (what a simple reader does), or with up to 4 pages' lookups in flight
        // while the next ids are read.
        async Task<double> MappedBack(BitmapStore store, int inFlight)
        {
            var map = store.IdMap("users");
            var sw = Stopwatch.StartNew();
            long count = 0, length = 0;
            var pending = new Queue<Task<string?[]>>();
            var page = new List<uint>(IdsPage);
            async Task Drain(int keep)
            {
                while (pending.Count > keep)
                    foreach (var e in await pending.Dequeue()) { count++; length += e?.Length ?? 0; }
            }
            await foreach (var id in store.Unique("seen").IdsAsync())
            {
                page.Add((uint)id);
                if (page.Count < IdsPage) continue;
                pending.Enqueue(map.FindExternalAsync(page));
                page = new List<uint>(IdsPage);
                await Drain(inFlight - 1);
            }
            if (page.Count > 0) pending.Enqueue(map.FindExternalAsync(page));
            await Drain(0);
            var seconds = sw.Elapsed.TotalSeconds;
            if (count != n || length != chars) throw new InvalidOperationException($"mapped {count} ids back to {length} characters, expected {n} and {chars}");
            return seconds;
        }

        var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(5),
            new Case("redis ids", () => Plain(redisStore)),
            new Case("redis mapped", () => MappedBack(redisStore, 1)),
            new Case("redis overlapped", () => MappedBack(redisStore, 4)),
            new Case("embedded ids", () => Plain(embedded)),
            new Case("embedded mapped", () => MappedBack(embedded, 1)),
            new Case("embedded overlapped", () => MappedBack(embedded, 4)));

        // Round trips, counted through the proxy (not timed).
        await using var proxy = new RoundTripProxy(redis.Endpoint);
        await using var counted = await RedisStore.ConnectAsync(redis.StoreConfiguration(proxy.Endpoint), Options(prefix));
        var trips = new Dictionary<string, long>();
        foreach (var (kind, run) in new (string, Func<Task<double>>)[] { ("ids", () => Plain(counted)), ("mapped", () => MappedBack(counted, 1)), ("overlapped", () => MappedBack(counted, 4)) })
        {
            var before = proxy.RoundTrips;
            await run();
            trips[kind] = proxy.RoundTrips - before;
        }
        await redis.DeleteAsync(prefix + "*");

        var t = new Table("read every id of the set", "median ms", "min..max ms", "ids/s", "time vs ids alone (paired)", "round trips");
        foreach (var store in new[] { "redis", "embedded" })
            foreach (var (kind, label) in new[] { ("ids", "ids alone (UserSet.IdsAsync)"), ("mapped", "ids + FindExternalAsync per page, awaited in turn"), ("overlapped", "ids + FindExternalAsync per page, 4 pages in flight") })
            {
                var name = $"{store} {kind}";
                var (lo, hi) = r.RatioRange(name, $"{store} ids");
                t.Row($"{store}: {label}", Fmt.Ms(r.Median(name)), Spread(r, name, Fmt.Ms), Fmt.Rate(n / r.Median(name)),
                    $"{Fmt.Ratio(r.Ratio(name, $"{store} ids"))} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})", store == "redis" ? trips[kind] : "-");
            }
        t.Print($"{n:N0} ids, {ctx.Reps(5)} repetitions side by side after {ctx.Warmup(1)} warm-up");
    }

    /// <summary>Imports a unique flag "seen" for <paramref name="n"/> new users by external id; returns the characters of their ids.</summary>
    private static async Task<long> ImportUsersAsync(BitmapStore store, int n)
    {
        var import = store.CreateBulkImport();
        long chars = 0;
        for (var i = 0; i < n; i++)
        {
            var id = GuidId(4 * UserBase + i);
            chars += id.Length;
            await import.AddUniqueAsync("seen", id);
        }
        await import.FlushAsync();
        return chars;
    }
}
