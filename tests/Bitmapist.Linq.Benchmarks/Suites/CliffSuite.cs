using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// The BITOP fan-in cliff of Redis before 8.2: a 31-day union counted with the library on the redis7 profile
/// (chunks of at most 16 sources) vs one 31-source BITOP written directly, with 4 MiB keys. Also the
/// library on the redis8 profile (no chunking), and a bare 16- vs 17-source BITOP to show the cliff itself.
/// </summary>
internal sealed class CliffSuite : ISuite
{
    private const int KeyBytes = 4 << 20;
    private const string Event = "cliff";

    public string Name => "cliff";
    public string Description => "31-day union: redis7 profile (chunks of 16 sources) vs one 31-source BITOP, 4 MiB keys";

    public async Task RunAsync(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var redis = ctx.Redis;
        await using var redis7 = await ctx.StoreAsync(prefix, CapabilityProfile.Redis7);
        await using var redis8 = await ctx.StoreAsync(prefix, CapabilityProfile.Redis8);

        var days = Enumerable.Range(1, 31).Select(d => Period.Day(2026, 1, d)).ToArray();
        var keys = days.Select(p => (RedisKey)redis7.Keys.Key(Event, p)).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            // Sparse enough that the union is not all ones: ~3% of 2^25 ids per day, random.
            var bytes = Data.RedisBytes(Data.BernoulliIds(0.03, (long)KeyBytes * 8, 300 + i), (long)KeyBytes * 8);
            await redis.Db.StringSetAsync(keys[i], bytes);
        }
        var union = SetExpr.Or(days.Select(d => SetExpr.Event(Event, d)));
        var set7 = redis7.Set(union);
        var set8 = redis8.Set(union);
        var plan7 = redis7.Plan(new SetQuery(union, ReadKind.Count)).Program;
        var plan8 = redis8.Plan(new SetQuery(union, ReadKind.Count)).Program;
        var dest = (RedisKey)(prefix + "bitop_raw");

        async Task<long> Raw(RedisKey[] sources)
        {
            var tran = redis.Db.CreateTransaction();
            _ = tran.StringBitOperationAsync(Bitwise.Or, dest, sources);
            var count = tran.StringBitCountAsync(dest);
            _ = tran.KeyDeleteAsync(dest);
            await tran.ExecuteAsync();
            return await count;
        }

        var c7 = await set7.CountAsync();
        var c8 = await set8.CountAsync();
        var cRaw = await Raw(keys);
        if (c7 != c8 || c8 != cRaw) throw new InvalidOperationException($"counts differ: {c7} {c8} {cRaw}");

        var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(7),
            new Case("lib7", () => Measure.PerCall(3, () => set7.CountAsync())),
            new Case("raw31", () => Measure.PerCall(1, () => Raw(keys))),
            new Case("lib8", () => Measure.PerCall(1, () => set8.CountAsync())),
            new Case("raw16", () => Measure.PerCall(3, () => Raw(keys[..16]))),
            new Case("raw17", () => Measure.PerCall(1, () => Raw(keys[..17]))));

        static string Shape(BatchProgram p) => string.Join(" + ", p.Steps.OfType<BitOpStep>().Select(s => $"OR({s.Sources.Length})"));
        var t = new Table("strategy", "BITOPs (sources)", "median ms", "min..max ms", "vs library redis7");
        t.Row("library, redis7 profile (chunked)", Shape(plan7), Fmt.Ms(r.Median("lib7")), $"{Fmt.Ms(r.Min("lib7"))}..{Fmt.Ms(r.Max("lib7"))}", "1.00x");
        t.Row("raw: one 31-source BITOP OR + BITCOUNT", "OR(31)", Fmt.Ms(r.Median("raw31")), $"{Fmt.Ms(r.Min("raw31"))}..{Fmt.Ms(r.Max("raw31"))}", Fmt.Ratio(r.Ratio("raw31", "lib7")));
        t.Row("library, redis8 profile (no chunking)", Shape(plan8), Fmt.Ms(r.Median("lib8")), $"{Fmt.Ms(r.Min("lib8"))}..{Fmt.Ms(r.Max("lib8"))}", Fmt.Ratio(r.Ratio("lib8", "lib7")));
        t.Row("raw: 16-source BITOP OR + BITCOUNT", "OR(16)", Fmt.Ms(r.Median("raw16")), $"{Fmt.Ms(r.Min("raw16"))}..{Fmt.Ms(r.Max("raw16"))}", Fmt.Ratio(r.Ratio("raw16", "lib7")));
        t.Row("raw: 17-source BITOP OR + BITCOUNT", "OR(17)", Fmt.Ms(r.Median("raw17")), $"{Fmt.Ms(r.Min("raw17"))}..{Fmt.Ms(r.Max("raw17"))}", Fmt.Ratio(r.Ratio("raw17", "lib7")));
        t.Print($"cliff: 31 day keys of 4 MiB (2^25 bits, ~3% set), count of the union = {c7:N0}; median of {ctx.Reps(7)} after {ctx.Warmup(1)} warm-up");

        var ratio = r.Ratio("raw31", "lib7");
        var (lo, hi) = r.RatioRange("raw31", "lib7");
        new Table("target", "measured", "verdict")
            .Row("chunked (library) faster than one 31-source BITOP", $"{Fmt.Ratio(ratio)} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})", Fmt.Verdict(ratio > 1))
            .Row("cliff: 17 vs 16 sources", Fmt.Ratio(r.Ratio("raw17", "raw16")), "(reproduction, no target)")
            .Print("targets");
    }
}
