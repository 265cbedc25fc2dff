using System.Globalization;

namespace Bitmapist.Linq.Reliability.BadInput;

/// <summary>Per-input times and outcomes of one fuzz run: the slowest input is reported, and asserted against a generous bound.</summary>
internal sealed class FuzzFigures(string name)
{
    /// <summary>The documented bound on one input (docs/reliability.md): generous, for a shared 2-core machine.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    public int Inputs { get; private set; }
    public TimeSpan Slowest { get; private set; }
    public string SlowestInput { get; private set; } = "";

    private readonly Dictionary<string, string> _examples = new(StringComparer.Ordinal);

    /// <param name="input">The input.</param>
    /// <param name="outcome">Its kind of outcome (exit code, HTTP status).</param>
    /// <param name="elapsed">How long it took.</param>
    /// <param name="problem">What was wrong with the outcome, or null.</param>
    /// <param name="detail">What the outcome said (stderr), shown once per kind of outcome in the report.</param>
    public void Add(string input, string outcome, TimeSpan elapsed, string? problem, string? detail = null)
    {
        Inputs++;
        if (detail is not null) _examples.TryAdd(outcome, $"{Shown(input)} -> {Shown(detail.Trim())}");
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
        if (elapsed > Slowest) (Slowest, SlowestInput) = (elapsed, input);
        if (problem is not null && _problems.Count < 10) _problems.Add($"{problem} for input {Shown(input)}");
    }

    private static string Shown(string s) => (s.Length > 200 ? s[..200] + "..." : s).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    public string Report() =>
        string.Create(CultureInfo.InvariantCulture, $"fuzz {name}: {Inputs:N0} inputs ({Infrastructure.Budget.Form}); outcomes: {string.Join(", ", _outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"))}; slowest {Slowest.TotalMilliseconds:0} ms: {Shown(SlowestInput)}")
        + string.Concat(_examples.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"\n  e.g. {e.Key}: {e.Value}"));

    public void ShouldHoldUp()
    {
        _problems.ShouldBeEmpty();
        Inputs.ShouldBeGreaterThan(0);
        Slowest.ShouldBeLessThan(Bound, $"the slowest input took {Slowest.TotalSeconds:0.0} s: {Shown(SlowestInput)}");
    }
}
