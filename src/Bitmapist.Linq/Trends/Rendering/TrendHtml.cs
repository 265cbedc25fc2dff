using System.Globalization;
using System.Net;
using System.Text;

namespace Bitmapist.Linq.Trends.Rendering;

/// <summary>
/// A trend as HTML: a line chart (inline SVG, <see cref="SvgChart.Line"/>) above the table of its rows. A ratio trend
/// (<see cref="TrendQuery.Of"/>) plots the percent and its table adds the whole; an undefined share (an empty whole)
/// is a gap in the line and an empty cell. Every string from a user (the query, labels, warnings) is HTML-escaped.
/// </summary>
public static class TrendHtml
{
    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The report as one self-contained HTML document (<see cref="ReportPage.Document"/>).</summary>
    public static string Render(TrendTable table, ReportHtmlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        return ReportPage.Document(options ?? new ReportHtmlOptions($"Trend: {table.Query.Text}"), Fragment(table));
    }

    /// <summary>
    /// The report without the page around it: the query line, the chart and the table, styled by classes of
    /// <see cref="ReportPage.Stylesheet"/> only (no inline style), for a host that draws its own page.
    /// </summary>
    public static string Fragment(TrendTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var q = table.Query;
        var sb = new StringBuilder("<section class=\"report trend\">\n");
        var window = q.Window > 1 ? string.Create(CultureInfo.InvariantCulture, $", each row the {q.Window} {ReportPage.Unit(q.By)}s ending with it") : "";
        var values = table.IsRatio ? $"each in % of the whole, {E(q.Of!.Text)} (users in both over the whole's users; empty when the whole has none)" : "each a count of users";
        sb.Append(CultureInfo.InvariantCulture, $"<p>Query: <code class=\"query\">{E(q.Text)}</code><br>");
        sb.Append(CultureInfo.InvariantCulture, $"By {ReportPage.Unit(q.By)}{window}, {table.Rows.Length} rows, {values}. Computed at {table.Now:yyyy-MM-dd HH:mm} UTC.</p>\n");

        var points = table.Rows.Select(r => new ChartPoint(r.Label, table.IsRatio ? r.Percent : r.Count)).ToList();
        sb.Append("<figure class=\"chart\">\n")
            .Append(SvgChart.Line(points, table.IsRatio ? $"Percent by {ReportPage.Unit(q.By)}: {q.Text}" : $"Users by {ReportPage.Unit(q.By)}: {q.Text}", table.IsRatio ? "%" : ""))
            .Append("</figure>\n");

        sb.Append("<table class=\"report trend\">\n<thead><tr><th scope=\"col\" class=\"label\">Period</th><th scope=\"col\">Users</th>");
        if (table.IsRatio) sb.Append("<th scope=\"col\">Whole</th><th scope=\"col\">Percent</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"label\">{E(row.Label)}</td><td>{row.Count}</td>");
            if (table.IsRatio)
                sb.Append(CultureInfo.InvariantCulture, $"<td>{row.Whole}</td><td>{(row.Percent is { } p ? ReportPage.Percent(p) : "")}</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</section>\n");
        return sb.ToString();
    }
}
