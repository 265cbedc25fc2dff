using System.Collections.Immutable;
using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Cohorts;

/// <summary>One row of a cohort table: a period, its cohort size and its cells.</summary>
/// <param name="Period">The row's period.</param>
/// <param name="Size">Users in the row's cohort.</param>
/// <param name="Retained">For each column t, the cohort's users who returned in period + t; null for an empty cell (an empty cohort, or no data in that period).</param>
/// <param name="Values">The cells: percentages of <see cref="Size"/>, unrounded and computed as bitmapist computes them,
/// <c>(n / size) * 100</c> in that order (which differs from <c>100 * n / size</c> in the last bit for about one cell in four),
/// or counts; null where empty. Renderings round a percentage as bitmapist does (<see cref="Rendering.CohortFormat.Cell"/>).</param>
public sealed record CohortRow(Period Period, long Size, ImmutableArray<long?> Retained, ImmutableArray<double?> Values)
{
    /// <summary>The period as labelled in every rendering: <c>2026-03-01</c>, <c>2026-W09</c> (ISO week), <c>2026-03</c>, <c>2026</c>.</summary>
    public string Label => Period.ToString();
}

/// <summary>
/// A computed cohort table: rows oldest first, <see cref="Columns"/> cells per row, and the average row.
/// A cell is empty (null) when the row's cohort is empty or nobody at all did the return set in that period
/// (for instance the future); it is a numeric 0 when the period has data but none of the cohort returned.
/// </summary>
/// <param name="Query">The statement that made it.</param>
/// <param name="Now">The clock reading that placed the rows.</param>
/// <param name="Rows">The rows, oldest first.</param>
public sealed record CohortTable(CohortQuery Query, DateTime Now, ImmutableArray<CohortRow> Rows)
{
    /// <summary>The grouping.</summary>
    public PeriodUnit Unit => Query.By;

    /// <summary>Percentages or counts.</summary>
    public CohortValues Values => Query.Values;

    /// <summary>Cells per row (columns 0 to <see cref="CohortQuery.Cols"/>).</summary>
    public int Columns => Query.Cols + 1;

    /// <summary>
    /// For each column, the mean of its non-empty cells (zeros count, empty cells do not); null when the whole column is empty.
    /// Summed top to bottom, then divided, as bitmapist's report does, so the two agree to the last bit.
    /// </summary>
    public ImmutableArray<double?> Average =>
    [
        .. Enumerable.Range(0, Columns).Select(t =>
        {
            var (total, count) = (0.0, 0);
            foreach (var row in Rows)
            {
                if (row.Values[t] is not { } v) continue;
                total += v;
                count++;
            }
            return count == 0 ? (double?)null : total / count;
        }),
    ];

    /// <summary>The mean cohort size over the rows (null for a table without rows).</summary>
    public double? AverageSize => Rows.IsEmpty ? null : Rows.Average(r => (double)r.Size);

    /// <summary>
    /// <c>n</c> as a percentage of <c>size</c>, as bitmapist computes it: <c>(float(n) / float(size)) * 100</c>. The order
    /// matters: <c>100.0 * n / size</c> rounds differently (23 of 160 is 14.374999999999998 here, 14.375 there, and the
    /// two show 14.37 and 14.38 at two decimals).
    /// </summary>
    internal static double Percent(long n, long size) => (double)n / size * 100;

    /// <summary>Builds the table from the program's counts.</summary>
    internal static CohortTable From(CohortPlan plan, long[] counts)
    {
        var query = plan.Query;
        var rows = ImmutableArray.CreateBuilder<CohortRow>(plan.Rows.Length);
        for (var i = 0; i < plan.Rows.Length; i++)
        {
            var size = counts[plan.SizeReads[i]];
            var retained = new long?[query.Cols + 1];
            var values = new double?[query.Cols + 1];
            for (var t = 0; t <= query.Cols; t++)
            {
                if (size == 0 || counts[plan.ReturnReads[i][t]] == 0) continue;
                var n = counts[plan.CellReads[i][t]];
                retained[t] = n;
                values[t] = query.Values == CohortValues.Percent ? Percent(n, size) : n;
            }
            rows.Add(new CohortRow(plan.Rows[i], size, [.. retained], [.. values]));
        }
        return new CohortTable(query, plan.Now, rows.MoveToImmutable());
    }
}
