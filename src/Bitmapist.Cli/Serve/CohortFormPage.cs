using System.Globalization;
using System.Net;
using System.Text;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Trends.Rendering;

namespace Bitmapist.Cli.Serve;

/// <summary>
/// The console's cohort report (<c>cohort --serve</c>): the form like bitmapist's (the fields of
/// <see cref="CohortForm"/>, submitted by GET and read back by <see cref="Commands.CohortFormReader"/>) above the heat
/// map. It draws what the library's <see cref="CohortHtml"/> draws in a file (hue 200, opacity the retained share
/// rounded to a tenth, the average row last), but with classes from the console's stylesheet instead of inline
/// styles, which the console's Content-Security-Policy does not allow.
/// </summary>
internal static class CohortFormPage
{
    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The report of <paramref name="table"/> with its form and <paramref name="warnings"/>.</summary>
    public static string Render(CohortTable table, IReadOnlyList<EventWarning> warnings)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Cohort: {E(table.Query.Text)}</h1>\n");
        Form(sb, CohortForm.Of(table.Query, table.Now));
        sb.Append(ReportPage.Warnings(warnings.Select(w => w.Message)));
        sb.Append(HeatMap(table));
        return ConsolePage.Layout($"Cohort: {table.Query.Text}", table.Query.Text, sb.ToString());
    }

    /// <summary>The form as submitted, so it can be corrected, and the error (kept as written: a caret lines up).</summary>
    public static string Error(CohortForm form, string message, string title)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Cohort report: {E(title)}</h1>\n");
        Form(sb, form);
        sb.Append(CultureInfo.InvariantCulture, $"<pre class=\"error\" role=\"alert\">{E(message)}</pre>\n");
        return ConsolePage.Layout($"Cohort report: {title}", "", sb.ToString());
    }

    /// <summary>The URL of the form filled in with <paramref name="table"/>'s settings.</summary>
    public static string FormLink(CohortTable table)
    {
        var f = CohortForm.Of(table.Query, table.Now);
        (string, string)[] fields = [("cohort", f.Cohort), ("then", f.Then), ("by", f.By), ("values", f.Values), ("rows", f.Rows),
            ("cols", f.Cols), ("from", f.From), ("retention", f.Retention), ("membership", f.Membership)];
        return "/?" + string.Join('&', fields.Select(p => p.Item1 + "=" + Uri.EscapeDataString(p.Item2)));
    }

    /// <summary>The query line and the heat map with its average row.</summary>
    public static string HeatMap(CohortTable table)
    {
        var sb = new StringBuilder();
        var values = table.Values == CohortValues.Percent ? "% of the cohort" : "users";
        sb.Append(CultureInfo.InvariantCulture, $"<p>Query: <code class=\"query\">{E(table.Query.Text)}</code><br>");
        sb.Append(CultureInfo.InvariantCulture, $"By {E(CohortFormat.Unit(table.Unit))}, cells in {values}, computed at {table.Now:yyyy-MM-dd HH:mm} UTC. An empty cell: no cohort, or no data in that period.</p>\n");
        sb.Append("<table class=\"cohort\">\n<thead><tr><th scope=\"col\">Period</th><th scope=\"col\">Total</th>");
        for (var t = 0; t < table.Columns; t++) sb.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{t}</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"label\">{E(row.Label)}</td><td>{row.Size}</td>");
            for (var t = 0; t < table.Columns; t++)
                Cell(sb, row.Values[t], row.Retained[t] is { } n && row.Size > 0 ? 100.0 * n / row.Size : null, table.Values);
            sb.Append("</tr>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"average\"><td class=\"label\">Average</td><td>{(table.AverageSize is { } s ? s.ToString("0.#", CultureInfo.InvariantCulture) : "")}</td>");
        foreach (var v in table.Average) Cell(sb, v, table.Values == CohortValues.Percent ? v : null, table.Values);
        sb.Append("</tr>\n</tbody>\n</table>\n");
        return sb.ToString();
    }

    /// <summary>A cell with its shade as a class, <c>heat0</c> to <c>heat10</c>: the share in tenths, as CohortHtml rounds it.</summary>
    private static void Cell(StringBuilder sb, double? value, double? share, CohortValues values)
    {
        if (value is null)
        {
            sb.Append("<td class=\"empty\"></td>");
            return;
        }
        var tenths = share is { } p ? (int)Math.Round(Math.Round(Math.Clamp(p, 0, 100) / 100, 1) * 10) : 0;
        sb.Append(CultureInfo.InvariantCulture, $"<td class=\"heat{tenths}\">{CohortFormat.Cell(value, values)}</td>");
    }

    // The library's form, with a class for the console's stylesheet.
    private static void Form(StringBuilder sb, CohortForm f) => sb.Append(CohortHtml.FormHtml(f, "/", "cohort"));
}
