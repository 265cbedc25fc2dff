using System.Globalization;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>
/// The fields of the HTML report's form (<see cref="CohortHtmlOptions.IncludeForm"/>), as typed: the two sets in
/// the query language, the grouping, percent or counts, rows, columns, a start date, the retention and the
/// membership. The report draws the form from these (<see cref="Of"/> fills it in from a query). Reading a
/// submitted form back into a query belongs to the application that serves the report: <c>bitmapist cohort
/// --serve</c> does it in its own <c>CohortFormReader</c> (src/Bitmapist.Cli/Commands).
/// </summary>
/// <param name="Cohort">The cohort set (bare event names are the row's period), e.g. <c>signup &amp; web</c>.</param>
/// <param name="Then">The return set, e.g. <c>active</c>.</param>
/// <param name="By"><c>day</c>, <c>week</c>, <c>month</c> or <c>year</c>.</param>
/// <param name="Values"><c>percent</c> or <c>counts</c>.</param>
/// <param name="Rows">Number of rows, or empty for the default.</param>
/// <param name="Cols">Columns after the first, or empty for the default.</param>
/// <param name="From">The first row as a date (<c>2026-03-01</c>, moved to the period that contains it), or empty for a table ending now.</param>
/// <param name="Retention"><c>n-day</c> (returned in that period) or <c>unbounded</c> (in that period or later).</param>
/// <param name="Membership"><c>any</c> or <c>first</c> (first-time cohorts).</param>
public sealed record CohortForm(
    string Cohort,
    string Then,
    string By = "day",
    string Values = "percent",
    string Rows = "",
    string Cols = "",
    string From = "",
    string Retention = "n-day",
    string Membership = "any")
{
    /// <summary>
    /// The form filled in with <paramref name="query"/>'s settings. The form's start is a date: a start given as an
    /// offset (<c>from -11</c>) is turned into the date it stands for at <paramref name="now"/>, or left empty
    /// (a table ending at the current period) without one.
    /// </summary>
    public static CohortForm Of(CohortQuery query, DateTime? now = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        return new CohortForm(
            query.Cohort.Text,
            query.Return.Text,
            CohortFormat.Unit(query.By),
            query.Values == CohortValues.Counts ? "counts" : "percent",
            query.RowCount.ToString(CultureInfo.InvariantCulture),
            query.Cols.ToString(CultureInfo.InvariantCulture),
            query.From switch
            {
                { IsRelative: false } f => f.Fixed!.Value.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                { } relative when now is { } at => relative.Resolve(at).Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                _ => "",
            },
            query.Retention == RetentionMode.Unbounded ? "unbounded" : "n-day",
            query.Membership == CohortMembership.FirstTime ? "first" : "any");
    }
}
