using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Baselines;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Listing the ids of a 2^27-bit bitmap (16 MiB) holding 1M random ids: the word-at-a-time decoder vs a
/// bit-by-bit loop, in memory; then end to end through UserSet.IdsAsync on Redis and on the embedded store.
/// </summary>
internal sealed class DecodeSuite : ISuite
{
    private const int Bits = 1 << 27;
    private const int IdCount = 1_000_000;

    public string Name => "decode";
    public string Description => $"enumerating the ids of a 2^27-bit bitmap holding {IdCount:N0} random ids";

    public async Task RunAsync(BenchContext ctx)
    {
        var ids = Data.RandomSortedIds(IdCount, Bits, seed: 27);
        var bytes = Data.RedisBytes(ids, Bits);
        long expectedSum = 0;
        foreach (var id in ids) expectedSum += id;
        var list = new List<uint>(IdCount);

        void Check(long count, long sum, string who)
        {
            if (count != IdCount || sum != expectedSum) throw new InvalidOperationException($"{who} decoded {count} ids (sum {sum}), expected {IdCount} (sum {expectedSum})");
        }
        void CheckList(string who) => Check(list.Count, list.Sum(x => (long)x), who);

        // ---- in memory: decoder vs naive
        var paged = PagedBitmap.FromRedisBytes(bytes);
        var mem = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(7), 3,
            new Case("decoder", () => Task.FromResult(Measure.PerCall(3, () => { list.Clear(); RedisBitmapDecoder.AppendIds(bytes, 0, list); }))),
            new Case("naive", () => Task.FromResult(Measure.PerCall(1, () => { list.Clear(); NaiveDecoder.AppendIds(bytes, 0, list); }))),
            new Case("paged", () => Task.FromResult(Measure.PerCall(3, () => { list.Clear(); foreach (var id in paged.Ids()) list.Add(id); }))));
        list.Clear(); RedisBitmapDecoder.AppendIds(bytes, 0, list); CheckList("decoder");
        list.Clear(); NaiveDecoder.AppendIds(bytes, 0, list); CheckList("naive");
        list.Clear(); foreach (var id in paged.Ids()) list.Add(id); CheckList("PagedBitmap.Ids");

        var t = new Table("decoder (16 MiB in memory -> List<uint>)", "median ms", "min..max ms", "ids/s", "vs naive");
        foreach (var (n, label) in new[] { ("decoder", "RedisBitmapDecoder.AppendIds (word at a time)"), ("naive", "naive bit-by-bit loop"), ("paged", "PagedBitmap.Ids() (embedded bitmap, IEnumerable)") })
            t.Row(label, Fmt.Ms(mem.Median(n)), $"{Fmt.Ms(mem.Min(n))}..{Fmt.Ms(mem.Max(n))}", Fmt.Rate(IdCount / mem.Median(n)), Fmt.Ratio(mem.Ratio("naive", n)));
        t.Print($"decode in memory, {ctx.Reps(7)} repetitions of 3 interleaved slices after {ctx.Warmup(1)} warm-up");

        // ---- end to end
        var prefix = BenchContext.Prefix(Name);
        var key = prefix + "ids";
        await ctx.Redis.Db.StringSetAsync(key, bytes);
        await using var redisStore = await ctx.StoreAsync(prefix);
        using var embedded = new EmbeddedStore(new StoreOptions().WithPrefix(prefix));
        await embedded.MergeAsync([new(key, PagedBitmap.FromRedisBytes(bytes))], CancellationToken.None);

        async Task<(long Count, long Sum)> Enumerate(BitmapStore store)
        {
            long n = 0, sum = 0;
            await foreach (var id in store.Set(SetExpr.Key(key)).IdsAsync()) { n++; sum += id; }
            return (n, sum);
        }
        async Task<double> Timed(BitmapStore store, string who)
        {
            var sw = Stopwatch.StartNew();
            var (n, sum) = await Enumerate(store);
            var s = sw.Elapsed.TotalSeconds;
            Check(n, sum, who);
            return s;
        }
        async Task<double> GetAndDecode()
        {
            var sw = Stopwatch.StartNew();
            byte[] value = (await ctx.Redis.Db.StringGetAsync(key))!;
            list.Clear();
            RedisBitmapDecoder.AppendIds(value, 0, list);
            var s = sw.Elapsed.TotalSeconds;
            CheckList("GET + decoder");
            return s;
        }

        async Task<double> PagesOnly()
        {
            // What RedisIdSource does minus the per-id async enumeration: GETRANGE pages of 64 KiB, decoded.
            var sw = Stopwatch.StartNew();
            list.Clear();
            for (long offset = 0; ; offset += 64 * 1024)
            {
                byte[]? page = await ctx.Redis.Db.StringGetRangeAsync(key, offset, offset + 64 * 1024 - 1);
                if (page is null || page.Length == 0) break;
                RedisBitmapDecoder.AppendIds(page, offset, list);
                if (page.Length < 64 * 1024) break;
            }
            var s = sw.Elapsed.TotalSeconds;
            CheckList("GETRANGE pages + decoder");
            return s;
        }
        var e2e = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(7),
            new Case("redis", () => Timed(redisStore, "UserSet.IdsAsync on Redis")),
            new Case("embedded", () => Timed(embedded, "UserSet.IdsAsync embedded")),
            new Case("get", GetAndDecode),
            new Case("pages", PagesOnly));

        // Round trips of one Redis enumeration, counted through a proxy (not timed).
        await using var proxy = new RoundTripProxy(ctx.Redis.Endpoint);
        await using var counted = await ctx.StoreAsync(prefix, endpoint: proxy.Endpoint);
        await Enumerate(counted);
        var rt0 = proxy.RoundTrips;
        await Enumerate(counted);
        var roundTrips = proxy.RoundTrips - rt0;

        var t2 = new Table("end to end (count every id)", "median ms", "min..max ms", "ids/s", "round trips");
        t2.Row("UserSet.IdsAsync, Redis (GETRANGE pages of 64 KiB)", Fmt.Ms(e2e.Median("redis")), $"{Fmt.Ms(e2e.Min("redis"))}..{Fmt.Ms(e2e.Max("redis"))}", Fmt.Rate(IdCount / e2e.Median("redis")), roundTrips);
        t2.Row("UserSet.IdsAsync, embedded", Fmt.Ms(e2e.Median("embedded")), $"{Fmt.Ms(e2e.Min("embedded"))}..{Fmt.Ms(e2e.Max("embedded"))}", Fmt.Rate(IdCount / e2e.Median("embedded")), 0);
        t2.Row("reference: one GET of 16 MiB + RedisBitmapDecoder", Fmt.Ms(e2e.Median("get")), $"{Fmt.Ms(e2e.Min("get"))}..{Fmt.Ms(e2e.Max("get"))}", Fmt.Rate(IdCount / e2e.Median("get")), 1);
        t2.Row("reference: GETRANGE pages of 64 KiB + RedisBitmapDecoder into a List (no per-id async)", Fmt.Ms(e2e.Median("pages")), $"{Fmt.Ms(e2e.Min("pages"))}..{Fmt.Ms(e2e.Max("pages"))}", Fmt.Rate(IdCount / e2e.Median("pages")), 256);
        t2.Print($"decode end to end, {ctx.Reps(7)} repetitions after {ctx.Warmup(1)} warm-up");

        var rate = IdCount / mem.Median("decoder");
        new Table("target", "measured", "verdict")
            .Row(">= 50M ids/s (RedisBitmapDecoder)", Fmt.Rate(rate) + " ids/s", Fmt.Verdict(rate >= 50e6))
            .Row("vs naive bit-by-bit", Fmt.Ratio(mem.Ratio("naive", "decoder")), "(no target)")
            .Print("targets");
    }
}
