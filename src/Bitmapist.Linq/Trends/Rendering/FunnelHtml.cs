using System.Globalization;
using System.Net;
using System.Text;

namespace Bitmapist.Linq.Trends.Rendering;

/// <summary>
/// A funnel as HTML: horizontal bars of every step's users over all rows (<see cref="FunnelTable.Totals"/>, inline
/// SVG, <see cref="SvgChart.Bars"/>), each with its step-to-step conversion, above the table of the rows (one funnel
/// per period, each step's users and its conversion from the step before, then the overall conversion). Every
/// string from a user (the query, the steps, labels, warnings) is HTML-escaped.
/// </summary>
public static class FunnelHtml
{
    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The report as one self-contained HTML document (<see cref="ReportPage.Document"/>).</summary>
    public static string Render(FunnelTable table, ReportHtmlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        return ReportPage.Document(options ?? new ReportHtmlOptions($"Funnel: {table.Query.Text}"), Fragment(table));
    }

    /// <summary>Step-to-step conversion as the reports write it: <c>60%</c>, or empty when the step before is empty.</summary>
    private static string Conversion(long count, long before) => before == 0 ? "" : ReportPage.Percent(100.0 * count / before) + "%";

    /// <summary>
    /// The report without the page around it: the query line, the bars and the table, styled by classes of
    /// <see cref="ReportPage.Stylesheet"/> only (no inline style), for a host that draws its own page.
    /// </summary>
    public static string Fragment(FunnelTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var q = table.Query;
        var steps = table.Steps;
        var sb = new StringBuilder("<section class=\"report funnel\">\n");
        var within = q.Within == 1
            ? $"every step in the row's {ReportPage.Unit(q.By)}"
            : string.Create(CultureInfo.InvariantCulture, $"later steps within {q.Within} {ReportPage.Unit(q.By)}s from the row's");
        sb.Append(CultureInfo.InvariantCulture, $"<p>Query: <code class=\"query\">{E(q.Text)}</code><br>");
        sb.Append(CultureInfo.InvariantCulture, $"By {ReportPage.Unit(q.By)}, {table.Rows.Length} rows, {within}; each step counts the users of the step before who did it. Bitmaps hold no time inside a period: steps in one period count whichever came first. Computed at {table.Now:yyyy-MM-dd HH:mm} UTC.</p>\n");

        var totals = table.Totals;
        var bars = new List<ChartPoint>();
        for (var k = 0; k < steps.Length; k++)
            bars.Add(new ChartPoint(string.Create(CultureInfo.InvariantCulture, $"{k + 1}. {steps[k]}"), totals[k],
                k == 0 ? null : totals[k - 1] == 0 ? "no users in the step before" : $"{Conversion(totals[k], totals[k - 1])} of the step before"));
        var title = table.Rows.Length == 1 ? $"Users at each step: {q.Text}" : $"Users at each step, all {table.Rows.Length} rows added up: {q.Text}";
        sb.Append("<figure class=\"chart\">\n").Append(SvgChart.Bars(bars, title)).Append("</figure>\n");

        sb.Append("<table class=\"report funnel\">\n<thead><tr><th scope=\"col\" class=\"label\">Period</th>");
        for (var k = 0; k < steps.Length; k++)
            sb.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{k + 1}. {E(steps[k])}</th>");
        sb.Append("<th scope=\"col\">Overall</th></tr></thead>\n<tbody>\n");
        void Row(string label, IReadOnlyList<long> counts, string cssClass)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr{cssClass}><td class=\"label\">{E(label)}</td>");
            for (var k = 0; k < counts.Count; k++)
            {
                sb.Append(CultureInfo.InvariantCulture, $"<td>{counts[k]}");
                if (k > 0 && Conversion(counts[k], counts[k - 1]) is { Length: > 0 } c)
                    sb.Append(CultureInfo.InvariantCulture, $"<span class=\"conversion\">{c}</span>");
                sb.Append("</td>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<td>{Conversion(counts[^1], counts[0])}</td></tr>\n");
        }
        foreach (var row in table.Rows) Row(row.Label, row.Counts, "");
        if (table.Rows.Length > 1) Row("All rows", totals, " class=\"total\"");
        sb.Append("</tbody>\n</table>\n</section>\n");
        return sb.ToString();
    }
}
