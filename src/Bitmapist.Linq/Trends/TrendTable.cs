using System.Collections.Immutable;
using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Trends;

/// <summary>One row of a trend: a period and its count (and, for a ratio, the whole and the share).</summary>
/// <param name="Period">The row's period.</param>
/// <param name="Count">Users counted in the row (within the whole, for a ratio).</param>
/// <param name="Whole">For a ratio (<see cref="TrendQuery.Of"/>): users in the row's whole; otherwise null.</param>
/// <param name="Percent">For a ratio: <c>100 * Count / Whole</c>, null when the whole is empty (a share of nobody is undefined); otherwise null.</param>
public sealed record TrendRow(Period Period, long Count, long? Whole = null, double? Percent = null)
{
    /// <summary>The period as labelled in every rendering: <c>2026-03-01</c>, <c>2026-W09</c> (ISO week), <c>2026-03</c>, <c>2026</c>, <c>2026-03-01T13</c>.</summary>
    public string Label => Period.ToString();
}

/// <summary>A computed trend: one row per period, oldest first.</summary>
/// <param name="Query">The statement that made it.</param>
/// <param name="Now">The clock reading that placed the rows.</param>
/// <param name="Rows">The rows, oldest first.</param>
public sealed record TrendTable(TrendQuery Query, DateTime Now, ImmutableArray<TrendRow> Rows)
{
    /// <summary>The period of a row.</summary>
    public PeriodUnit Unit => Query.By;

    /// <summary>True when each row is a share of a whole (<see cref="TrendRow.Percent"/> is the value to show).</summary>
    public bool IsRatio => Query.Of is not null;

    /// <summary>Builds the series from the program's counts.</summary>
    internal static TrendTable From(TrendPlan plan, long[] counts)
    {
        var rows = ImmutableArray.CreateBuilder<TrendRow>(plan.Rows.Length);
        for (var i = 0; i < plan.Rows.Length; i++)
        {
            var count = counts[plan.CountReads[i]];
            if (plan.Query.Of is null)
            {
                rows.Add(new TrendRow(plan.Rows[i], count));
                continue;
            }
            var whole = counts[plan.WholeReads[i]];
            rows.Add(new TrendRow(plan.Rows[i], count, whole, whole == 0 ? null : 100.0 * count / whole));
        }
        return new TrendTable(plan.Query, plan.Now, rows.MoveToImmutable());
    }
}

/// <summary>One funnel: a period and the users left after each step.</summary>
/// <param name="Period">The row's period (where step 1 happened).</param>
/// <param name="Counts">For each step, the users who did it and every step before it; never increasing.</param>
public sealed record FunnelRow(Period Period, ImmutableArray<long> Counts)
{
    /// <summary>The period as labelled in every rendering.</summary>
    public string Label => Period.ToString();

    /// <summary>For each step after the first, <c>100 * Counts[k] / Counts[k-1]</c> (step-to-step conversion), null when the step before is empty.</summary>
    public ImmutableArray<double?> StepConversion =>
        [.. Enumerable.Range(1, Counts.Length - 1).Select(k => Counts[k - 1] == 0 ? (double?)null : 100.0 * Counts[k] / Counts[k - 1])];

    /// <summary><c>100 * last step / first step</c> (overall conversion), null when the first step is empty.</summary>
    public double? Overall => Counts[0] == 0 ? null : 100.0 * Counts[^1] / Counts[0];
}

/// <summary>A computed funnel: one funnel per period, oldest first.</summary>
/// <param name="Query">The statement that made it.</param>
/// <param name="Now">The clock reading that placed the rows.</param>
/// <param name="Rows">The rows, oldest first.</param>
public sealed record FunnelTable(FunnelQuery Query, DateTime Now, ImmutableArray<FunnelRow> Rows)
{
    /// <summary>The period of a row.</summary>
    public PeriodUnit Unit => Query.By;

    /// <summary>Each step as written in the text language (<c>signup</c>, <c>active &amp; unique(premium)</c>).</summary>
    public ImmutableArray<string> Steps => [.. Query.Steps.Select(s => s.Text)];

    /// <summary>For each step, the sum over the rows (every row's funnel added up).</summary>
    public ImmutableArray<long> Totals => [.. Enumerable.Range(0, Query.Steps.Length).Select(k => Rows.Sum(r => r.Counts[k]))];

    /// <summary>Builds the funnels from the program's counts.</summary>
    internal static FunnelTable From(FunnelPlan plan, long[] counts) =>
        new(plan.Query, plan.Now, [.. plan.Rows.Select((p, i) => new FunnelRow(p, [.. plan.StepReads[i].Select(r => counts[r])]))]);
}
