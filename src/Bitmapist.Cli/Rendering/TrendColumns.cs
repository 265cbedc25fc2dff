using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Trends;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// A trend's columns as the table and CSV formats print them: the period (named by the unit) and the count, then for
/// a ratio (<c>of ...</c>) the whole and the percent. One place, so the two formats keep the same columns.
/// </summary>
internal static class TrendColumns
{
    /// <summary>The header row: <c>day, count</c> or <c>day, count, whole, percent</c>.</summary>
    public static IReadOnlyList<string> Header(TrendTable table) =>
        table.IsRatio ? [CohortFormat.Unit(table.Unit), "count", "whole", "percent"] : [CohortFormat.Unit(table.Unit), "count"];

    /// <summary>One row's cells; <paramref name="undefined"/> stands for the percent of an empty whole.</summary>
    public static IReadOnlyList<string> Cells(TrendTable table, TrendRow row, string undefined) => table.IsRatio
        ? [row.Label, Output.Text(row.Count), Output.Text(row.Whole), row.Percent is { } p ? ResultRenderer.Percent(p) : undefined]
        : [row.Label, Output.Text(row.Count)];
}
