using System.Numerics;
using System.Runtime.InteropServices;
using Bitmapist.Linq.Benchmarks.Baselines;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// AND+count of three dense 1.25 MB bitmaps on the embedded store (UserSet &amp; ... CountAsync: plan + run)
/// vs the floor: a plain ulong[] loop with BitOperations.PopCount. Also PagedBitmap.AndCount alone (no
/// planning) and the same query on Redis for context.
/// </summary>
internal sealed class EmbeddedSuite : ISuite
{
    private const int Bytes = 1_250_000;

    public string Name => "embedded";
    public string Description => "AND+count of three dense 1.25 MB bitmaps: EmbeddedStore vs a plain ulong[] loop";

    public async Task RunAsync(BenchContext ctx)
    {
        var raw = new[] { Data.RandomBytes(Bytes, 71), Data.RandomBytes(Bytes, 72), Data.RandomBytes(Bytes, 73) };
        var words = raw.Select(b => MemoryMarshal.Cast<byte, ulong>(b).ToArray()).ToArray();
        var prefix = BenchContext.Prefix(Name);
        string[] events = ["a", "b", "c"];
        var day = Period.Day(2026, 1, 1);

        using var embedded = new EmbeddedStore(new StoreOptions().WithPrefix(prefix));
        var paged = raw.Select(b => PagedBitmap.FromRedisBytes(b)).ToArray();
        await embedded.MergeAsync([.. events.Select((e, i) => new Backends.BitmapMerge(embedded.Keys.Key(e, day), paged[i]))], CancellationToken.None);
        var set = embedded.At("a", day) & embedded.At("b", day) & embedded.At("c", day);

        await using var redisStore = await ctx.StoreAsync(prefix);
        for (var i = 0; i < 3; i++) await ctx.Redis.Db.StringSetAsync(redisStore.Keys.Key(events[i], day), raw[i]);
        var redisSet = redisStore.At("a", day) & redisStore.At("b", day) & redisStore.At("c", day);

        var expected = Loop(words[0], words[1], words[2]);
        if (await set.CountAsync() != expected || PagedBitmap.AndCount(paged) != expected || FusedPaged.AndCount(paged) != expected || await redisSet.CountAsync() != expected)
            throw new InvalidOperationException("counts differ");

        var query = new SetQuery(set.ToSetExpr(), ReadKind.Count);
        var r = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(15), 10,
            new Case("loop", () => Task.FromResult(Measure.PerCall(20, () => Loop(words[0], words[1], words[2])))),
            new Case("userset", () => Measure.PerCall(20, () => set.CountAsync())),
            new Case("andcount", () => Task.FromResult(Measure.PerCall(20, () => PagedBitmap.AndCount(paged)))),
            new Case("fused", () => Task.FromResult(Measure.PerCall(20, () => FusedPaged.AndCount(paged)))),
            new Case("plan", () => Task.FromResult(Measure.PerCall(20, () => embedded.Plan(query)))),
            new Case("redis", () => Measure.PerCall(5, () => redisSet.CountAsync())));

        var t = new Table("strategy", "median ms", "min..max ms", "vs ulong[] loop (paired median)", "range");
        void Row(string n, string label)
        {
            var (lo, hi) = r.RatioRange(n, "loop");
            t.Row(label, Fmt.Ms(r.Median(n)), $"{Fmt.Ms(r.Min(n))}..{Fmt.Ms(r.Max(n))}", Fmt.Ratio(r.Ratio(n, "loop")), $"{Fmt.Ratio(lo)}..{Fmt.Ratio(hi)}");
        }
        Row("loop", "plain ulong[] loop, PopCount(a & b & c)");
        Row("userset", "EmbeddedStore: (a & b & c).CountAsync() (plan + run)");
        Row("andcount", "PagedBitmap.AndCount (no planning)");
        Row("fused", "reference: same PagedBitmaps, one fused pass per page (what AndCount could do)");
        Row("plan", "planning only: EmbeddedStore.Plan (bind + optimize + emit)");
        Row("redis", "RedisStore, same query (BITOP AND + BITCOUNT, 1 round trip)");
        t.Print($"embedded: three random 1.25 MB bitmaps (10M bits, 50% density), count = {expected:N0}; {ctx.Reps(15)} repetitions of 10 interleaved slices of 20 calls (Redis: 5) after {ctx.Warmup(2)} warm-up");

        var ratio = r.Ratio("userset", "loop");
        new Table("target", "measured", "verdict")
            .Row("EmbeddedStore within 1.5x of the ulong[] loop", Fmt.Ratio(ratio), Fmt.Verdict(ratio <= 1.5))
            .Print("targets");
    }

    internal static long Loop(ulong[] a, ulong[] b, ulong[] c)
    {
        long n = 0;
        for (var i = 0; i < a.Length; i++) n += BitOperations.PopCount(a[i] & b[i] & c[i]);
        return n;
    }
}
