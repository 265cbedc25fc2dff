using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// TextQuery.Parse timed: the 20,000 random and mutated texts of the fuzz test one by one (the spread, and the
/// slowest), then each way a query can grow at sizes 4 times apart (how time follows length). In memory, no
/// Redis. The unit test bounds the growth in allocated bytes, which a busy machine cannot disturb; times are here.
/// </summary>
internal sealed class ParseSuite : ISuite
{
    private const int FuzzSeed = 20261128;
    private const int FuzzCount = 20000;

    public string Name => "parse";
    public string Description => $"TextQuery.Parse: {FuzzCount:N0} fuzz texts one by one, and parse time against query length";

    public async Task RunAsync(BenchContext ctx)
    {
        Fuzz(ctx);
        await Growth(ctx);
    }

    private static void Parse(string text)
    {
        try
        {
            TextQuery.Parse(text);
        }
        catch (QuerySyntaxException)
        {
        }
    }

    private static void Fuzz(BenchContext ctx)
    {
        var texts = QueryFuzz.Texts(FuzzSeed, FuzzCount).ToArray();
        foreach (var text in texts) Parse(text); // JIT and caches
        var passes = ctx.Reps(3);
        var t = new Table("pass", "total ms", "median us", "p99 us", "p99.9 us", "max ms", "slowest text", "GCs (gen0/1/2)");
        var slowestOfAll = 0.0;
        for (var pass = 1; pass <= passes; pass++)
        {
            Measure.Quiesce();
            var gcs = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var seconds = new double[texts.Length];
            var total = Stopwatch.StartNew();
            for (var i = 0; i < texts.Length; i++)
            {
                var start = Stopwatch.GetTimestamp();
                Parse(texts[i]);
                seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            total.Stop();
            var order = Enumerable.Range(0, texts.Length).OrderBy(i => seconds[i]).ToArray();
            double At(double q) => seconds[order[(int)Math.Min(order.Length - 1, Math.Floor(q * order.Length))]];
            var slowest = order[^1];
            slowestOfAll = Math.Max(slowestOfAll, seconds[slowest]);
            t.Row(pass, Fmt.Ms(total.Elapsed.TotalSeconds), Fmt.Us(At(0.5)), Fmt.Us(At(0.99)), Fmt.Us(At(0.999)), Fmt.Ms(seconds[slowest]),
                Quote(texts[slowest]),
                $"{GC.CollectionCount(0) - gcs.Item1}/{GC.CollectionCount(1) - gcs.Item2}/{GC.CollectionCount(2) - gcs.Item3}");
        }
        t.Print($"{FuzzCount:N0} fuzz texts (seed {FuzzSeed}), each parse timed alone, after one unmeasured pass");
        new Table("target", "measured", "verdict")
            .Row("slowest of the fuzz parses < 100 ms (the bound the unit test used to assert)", Fmt.Ms(slowestOfAll) + " ms", Fmt.Verdict(slowestOfAll < 0.1))
            .Print("target (informative: one GC pause or a busy neighbour can miss it)");
    }

    private static async Task Growth(BenchContext ctx)
    {
        var t = new Table("shape", "n", "chars", "median us", "min us", "x median vs n/4", "x min vs n/4", "bytes allocated", "x bytes vs n/4");
        foreach (var (name, nested, text) in QueryFuzz.Shapes)
        {
            int[] sizes = nested ? [3, 12, 48, 192] : [4, 16, 64, 256, 1024];
            var texts = sizes.Select(text).ToArray();
            foreach (var s in texts) Parse(s);
            // Enough calls per sample for a few milliseconds, so the timer's resolution does not matter.
            var calls = texts.Select(s => Math.Clamp((int)(0.005 / Math.Max(Measure.PerCall(1, () => Parse(s)), 1e-7)), 1, 10000)).ToArray();
            var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(7),
                [.. texts.Select((s, i) => new Case(sizes[i].ToString(), () => Task.FromResult(Measure.PerCall(calls[i], () => Parse(s)))))]);
            for (var i = 0; i < sizes.Length; i++)
            {
                var bytes = Allocated(texts[i]);
                var n = sizes[i].ToString();
                var before = i == 0 ? "" : sizes[i - 1].ToString();
                t.Row(name, n, texts[i].Length, Fmt.Us(r.Median(n)), Fmt.Us(r.Min(n)),
                    i == 0 ? "" : Fmt.Ratio(r.Ratio(n, before)), i == 0 ? "" : Fmt.Ratio(r.Min(n) / r.Min(before)),
                    Fmt.N(bytes), i == 0 ? "" : Fmt.Ratio(bytes / (double)Allocated(texts[i - 1])));
            }
        }
        t.Print($"parse time against query length: sizes 4 times apart (linear: x4, quadratic: x16); {ctx.Reps(7)} interleaved repetitions (on a busy machine the minimum is the steadier figure)");
    }

    private static long Allocated(string text)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Parse(text);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static string Quote(string text)
    {
        var one = text.Replace("\n", "\\n", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal);
        return one.Length <= 60 ? one : one[..57] + "...";
    }
}
