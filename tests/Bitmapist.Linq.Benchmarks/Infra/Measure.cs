using System.Diagnostics;
using System.Globalization;

namespace Bitmapist.Linq.Benchmarks.Infra;

/// <summary>One contender of a side-by-side measurement: runs once and returns the seconds to count (setup excluded).</summary>
internal sealed record Case(string Name, Func<Task<double>> Run);

/// <summary>Per-case timings of one measurement, plus the paired ratios between cases.</summary>
internal sealed class Results(IReadOnlyList<string> names, List<double>[] samples)
{
    public IReadOnlyList<string> Names { get; } = names;

    public double[] Samples(string name) => [.. samples[Index(name)]];

    public double Median(string name) => Stats.Median(samples[Index(name)]);

    public double Min(string name) => samples[Index(name)].Min();

    public double Max(string name) => samples[Index(name)].Max();

    /// <summary>Median over repetitions of time(<paramref name="slow"/>) / time(<paramref name="fast"/>) measured in the same repetition.</summary>
    public double Ratio(string slow, string fast) =>
        Stats.Median(samples[Index(slow)].Zip(samples[Index(fast)], (s, f) => s / f).ToList());

    public (double Lo, double Hi) RatioRange(string slow, string fast)
    {
        var r = samples[Index(slow)].Zip(samples[Index(fast)], (s, f) => s / f).ToList();
        return (r.Min(), r.Max());
    }

    private int Index(string name)
    {
        for (var i = 0; i < Names.Count; i++) if (Names[i] == name) return i;
        throw new ArgumentException(name);
    }
}

internal static class Measure
{
    /// <summary>
    /// Runs every case <paramref name="warmup"/> times unmeasured, then <paramref name="reps"/> measured
    /// repetitions; in each repetition every case runs once, the order rotating so no case always goes first.
    /// </summary>
    public static Task<Results> SideBySide(int warmup, int reps, params Case[] cases) => SideBySide(warmup, reps, 1, cases);

    /// <summary>
    /// As above, but each repetition is <paramref name="slices"/> rounds in which every case runs once (order
    /// rotating); a case's sample is the mean of its slices. Fine interleaving makes the cases share the
    /// machine's noise, which matters for sub-millisecond work on a shared box.
    /// </summary>
    public static async Task<Results> SideBySide(int warmup, int reps, int slices, params Case[] cases)
    {
        for (var w = 0; w < warmup; w++)
            for (var s = 0; s < slices; s++)
                foreach (var c in cases) await c.Run();
        var samples = cases.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r < reps; r++)
        {
            var acc = new double[cases.Length];
            for (var s = 0; s < slices; s++)
                for (var k = 0; k < cases.Length; k++)
                {
                    var i = (k + r + s) % cases.Length;
                    acc[i] += await cases[i].Run();
                }
            for (var i = 0; i < cases.Length; i++) samples[i].Add(acc[i] / slices);
        }
        return new Results([.. cases.Select(c => c.Name)], samples);
    }

    /// <summary>Seconds per call of <paramref name="body"/>, run <paramref name="times"/> times in a row.</summary>
    public static async Task<double> PerCall(int times, Func<Task> body)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < times; i++) await body();
        return sw.Elapsed.TotalSeconds / times;
    }

    public static double PerCall(int times, Action body)
    {
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < times; i++) body();
        return sw.Elapsed.TotalSeconds / times;
    }

    /// <summary>Full blocking GC, so a measurement does not pay for the previous one's garbage.</summary>
    public static void Quiesce()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>Number formatting for the tables.</summary>
internal static class Fmt
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Ms(double seconds)
    {
        var ms = seconds * 1000;
        return ms.ToString(ms >= 100 ? "0" : ms >= 10 ? "0.0" : ms >= 1 ? "0.00" : "0.000", Inv);
    }

    public static string Us(double seconds) => (seconds * 1e6).ToString(seconds * 1e6 >= 100 ? "0" : "0.0", Inv);

    public static string Ratio(double r) => r.ToString(r >= 100 ? "0" : r >= 10 ? "0.0" : "0.00", Inv) + "x";

    public static string Rate(double perSecond) => perSecond switch
    {
        >= 1e9 => (perSecond / 1e9).ToString("0.00", Inv) + " G",
        >= 1e6 => (perSecond / 1e6).ToString("0.0", Inv) + " M",
        >= 1e3 => (perSecond / 1e3).ToString("0.0", Inv) + " k",
        _ => perSecond.ToString("0", Inv),
    };

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 20 => (bytes / (double)(1 << 20)).ToString("0.00", Inv) + " MiB",
        >= 1L << 10 => (bytes / 1024.0).ToString("0.0", Inv) + " KiB",
        _ => bytes.ToString(Inv) + " B",
    };

    public static string N(double v) => v.ToString(Math.Abs(v - Math.Round(v)) < 1e-9 ? "#,0" : "#,0.00", Inv);

    public static string Verdict(bool met) => met ? "MET" : "MISSED";
}

/// <summary>A markdown table printed to the console.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public Table Row(params object[] cells)
    {
        _rows.Add([.. cells.Select(c => c?.ToString() ?? "")]);
        return this;
    }

    public void Print(string? title = null)
    {
        if (title is not null) Console.WriteLine($"\n{title}\n");
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Select(r => i < r.Length ? r[i].Length : 0).DefaultIfEmpty(0).Max())).ToArray();
        string Line(IReadOnlyList<string> cells) =>
            "| " + string.Join(" | ", widths.Select((w, i) => (i < cells.Count ? cells[i] : "").PadRight(w))) + " |";
        Console.WriteLine(Line(headers));
        Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var r in _rows) Console.WriteLine(Line(r));
        Console.Out.Flush();
    }
}
