using System.Globalization;
using System.Text;

namespace Bitmapist.Linq.Reliability.Load;

/// <summary>What one load run measured: the must-be-zero counts (asserted) and the figures (printed).</summary>
internal sealed class LoadFigures
{
    private readonly Dictionary<string, List<double>> _latencies = new(StringComparer.Ordinal);
    private readonly List<string> _wrong = [];

    public int Clients { get; init; }
    public TimeSpan Elapsed { get; set; }
    public long Operations { get; private set; }
    public long Failures { get; private set; }
    public long WrongAnswers { get; private set; }
    public long AcknowledgedMarks { get; set; }
    public long LostMarks { get; set; }
    public long TemporariesLeft { get; set; }
    public double ManagedBytesBefore { get; set; }
    public double ManagedBytesAfter { get; set; }

    /// <summary>The first few wrong answers, described, for the failure message.</summary>
    public IReadOnlyList<string> Wrong
    {
        get { lock (_wrong) return [.. _wrong]; }
    }

    public void Record(string kind, double milliseconds)
    {
        lock (_latencies)
        {
            if (!_latencies.TryGetValue(kind, out var list)) _latencies[kind] = list = [];
            list.Add(milliseconds);
            Operations++;
        }
    }

    public void Failed()
    {
        lock (_latencies) Failures++;
    }

    public void WrongAnswer(string what)
    {
        lock (_wrong)
        {
            WrongAnswers++;
            if (_wrong.Count < 10) _wrong.Add(what);
        }
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    public string Report(string store)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"load on {store}: {Clients} clients for {Elapsed.TotalSeconds:0.0} s ({Infrastructure.Budget.Form})");
        s.AppendLine(inv, $"  operations: {Operations:N0} ({Operations / Elapsed.TotalSeconds:N0}/s held), failed: {Failures}");
        lock (_latencies)
        {
            var all = _latencies.Values.SelectMany(x => x).Order().ToList();
            s.AppendLine(inv, $"  latency all: p50 {Percentile(all, 0.5):0.0} ms, p99 {Percentile(all, 0.99):0.0} ms");
            foreach (var (kind, list) in _latencies.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                var sorted = list.Order().ToList();
                s.AppendLine(inv, $"  {kind,-10} {sorted.Count,7:N0} ops  p50 {Percentile(sorted, 0.5),7:0.0} ms  p99 {Percentile(sorted, 0.99),7:0.0} ms");
            }
        }
        s.AppendLine(inv, $"  wrong answers: {WrongAnswers}, acknowledged marks: {AcknowledgedMarks:N0}, lost: {LostMarks}, temporaries left: {TemporariesLeft}");
        s.AppendLine(inv, $"  client managed heap: {ManagedBytesBefore / 1048576:0.0} MiB -> {ManagedBytesAfter / 1048576:0.0} MiB after the run (forced GC)");
        return s.ToString();
    }
}
