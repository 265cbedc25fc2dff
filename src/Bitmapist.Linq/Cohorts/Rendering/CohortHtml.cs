using System.Globalization;
using System.Net;
using System.Text;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>Options of the HTML report.</summary>
/// <param name="Title">The page title (escaped).</param>
/// <param name="IncludeForm">Adds a form like bitmapist's (events, grouping, counts or percent, rows, columns, start; also
/// retention and first-time cohorts) that submits the statement's parts by GET to <paramref name="FormAction"/>;
/// the fields are those of <see cref="CohortForm"/> (an application reads a submission back itself, as <c>bitmapist cohort --serve</c> does).</param>
/// <param name="FormAction">Where the form submits (empty: the page itself).</param>
/// <param name="Warnings">Warnings shown above the table (escaped), e.g. the messages of
/// <see cref="Stores.BitmapStore.CheckEventsAsync(CohortQuery, IReadOnlyDictionary{string, Query.SetExpr}?, CancellationToken)"/>;
/// none when null.</param>
public sealed record CohortHtmlOptions(string Title = "Cohort report", bool IncludeForm = false, string FormAction = "", IReadOnlyList<string>? Warnings = null);

/// <summary>
/// A self-contained HTML report: one page, inline CSS, no JavaScript, no external resources. Cells are a
/// heat map (hue 200, opacity the retained share rounded to a tenth, as bitmapist draws it); the last row
/// averages each column's non-empty cells. Every string that comes from a user (event names, labels, the
/// query) is HTML-escaped.
/// </summary>
public static class CohortHtml
{
    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The report as an HTML document.</summary>
    public static string Render(CohortTable table, CohortHtmlOptions? options = null)
    {
        options ??= new CohortHtmlOptions();
        var sb = Head(options);
        if (options.IncludeForm) Form(sb, CohortForm.Of(table.Query, table.Now), options.FormAction);
        var values = table.Values == CohortValues.Percent ? "% of the cohort" : "users";
        foreach (var warning in options.Warnings ?? [])
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"warning\" role=\"status\">Warning: {E(warning)}</p>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<p>Query: <code class=\"query\">{E(table.Query.Text)}</code><br>");
        sb.Append(CultureInfo.InvariantCulture, $"By {E(CohortFormat.Unit(table.Unit))}, cells in {values}, computed at {table.Now:yyyy-MM-dd HH:mm} UTC. An empty cell: no cohort, or no data in that period.</p>\n");
        sb.Append("<table class=\"cohort\">\n<thead><tr><th scope=\"col\">Period</th><th scope=\"col\">Total</th>");
        for (var t = 0; t < table.Columns; t++) sb.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{t}</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"label\">{E(row.Label)}</td><td>{row.Size}</td>");
            for (var t = 0; t < table.Columns; t++)
            {
                var share = row.Retained[t] is { } n && row.Size > 0 ? 100.0 * n / row.Size : (double?)null;
                Cell(sb, row.Values[t], share, table.Values);
            }
            sb.Append("</tr>\n");
        }
        var average = table.Average;
        sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"average\"><td class=\"label\">Average</td><td>{(table.AverageSize is { } s ? s.ToString("0.#", CultureInfo.InvariantCulture) : "")}</td>");
        foreach (var v in average) Cell(sb, v, table.Values == CohortValues.Percent ? v : null, table.Values);
        sb.Append("</tr>\n</tbody>\n</table>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The page for a form that could not be run: the form as submitted (so it can be corrected) and the error,
    /// escaped and kept as written (a syntax error's caret lines up).
    /// </summary>
    public static string RenderError(CohortForm form, string error, CohortHtmlOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(error);
        options ??= new CohortHtmlOptions();
        var sb = Head(options);
        Form(sb, form, options.FormAction);
        sb.Append(CultureInfo.InvariantCulture, $"<pre class=\"error\" role=\"alert\">{E(error)}</pre>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>The document up to and including the page heading.</summary>
    private static StringBuilder Head(CohortHtmlOptions options)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{E(options.Title)}</title>\n");
        sb.Append("""
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
            table.cohort { border-collapse: collapse; font-variant-numeric: tabular-nums; }
            table.cohort th, table.cohort td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
            table.cohort th { background: #f4f4f4; }
            table.cohort td.label { text-align: left; white-space: nowrap; }
            table.cohort tr.average td { font-weight: bold; border-top: 2px solid #999; }
            code { background: #f4f4f4; padding: 2px 4px; }
            form { margin-bottom: 1.5em; display: flex; flex-wrap: wrap; gap: .5em 1em; align-items: end; }
            form label { display: flex; flex-direction: column; font-size: .85em; }
            pre.error { color: #a00; background: #fff4f4; border: 1px solid #e0b4b4; padding: .75em; }
            p.warning { color: #7a5a00; background: #fffbe6; border: 1px solid #e6d48a; padding: .5em .75em; }
            </style>

            """);
        sb.Append("</head>\n<body>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{E(options.Title)}</h1>\n");
        return sb;
    }

    private static void Cell(StringBuilder sb, double? value, double? share, CohortValues values)
    {
        if (value is null)
        {
            sb.Append("<td class=\"empty\"></td>");
            return;
        }
        var alpha = share is { } p ? Math.Round(Math.Clamp(p, 0, 100) / 100, 1) : 0;
        // Dark cells get light text so the number stays readable.
        var color = alpha >= 0.6 ? "#fff" : "#222";
        sb.Append(CultureInfo.InvariantCulture,
            $"<td style=\"background: hsla(200, 70%, 40%, {alpha:0.0}); color: {color}\">{CohortFormat.Cell(value, values)}</td>");
    }

    /// <summary>
    /// The form alone (the sets, the grouping, counts or percent, rows, columns, a start date), its fields filled from
    /// <paramref name="form"/>, submitting by GET to <paramref name="action"/>: for a host that draws its own page,
    /// as the CLI's console does under a policy that forbids this report's inline styles.
    /// </summary>
    /// <param name="form">The fields as typed.</param>
    /// <param name="action">Where the form submits.</param>
    /// <param name="cssClass">A class for the form element, or null for none.</param>
    public static string FormHtml(CohortForm form, string action, string? cssClass = null)
    {
        ArgumentNullException.ThrowIfNull(form);
        var sb = new StringBuilder();
        Form(sb, form, action, cssClass);
        return sb.ToString();
    }

    private static void Form(StringBuilder sb, CohortForm f, string action, string? cssClass = null)
    {
        void Select(string label, string name, string current, params (string Value, string Text)[] options)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<label>{label}<select name=\"{name}\">");
            foreach (var (value, text) in options)
                sb.Append(CultureInfo.InvariantCulture, $"<option value=\"{value}\"{(string.Equals(current.Trim(), value, StringComparison.OrdinalIgnoreCase) ? " selected" : "")}>{text}</option>");
            sb.Append("</select></label>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<form method=\"get\" action=\"{E(action)}\"{(cssClass is null ? "" : $" class=\"{E(cssClass)}\"")}>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<label>Cohort set<input name=\"cohort\" value=\"{E(f.Cohort)}\"></label>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<label>Then (return set)<input name=\"then\" value=\"{E(f.Then)}\"></label>\n");
        Select("Group by", "by", f.By, ("day", "day"), ("week", "week"), ("month", "month"), ("year", "year"));
        Select("Show", "values", f.Values, ("percent", "percent"), ("counts", "counts"));
        sb.Append(CultureInfo.InvariantCulture, $"<label>Rows<input name=\"rows\" type=\"number\" min=\"1\" max=\"{CohortQuery.MaxRowsOrColumns}\" value=\"{E(f.Rows)}\"></label>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<label>Columns<input name=\"cols\" type=\"number\" min=\"0\" max=\"{CohortQuery.MaxRowsOrColumns}\" value=\"{E(f.Cols)}\"></label>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<label>Start date<input name=\"from\" type=\"date\" value=\"{E(f.From)}\"></label>\n");
        Select("Retention", "retention", f.Retention, ("n-day", "in that period"), ("unbounded", "in that period or later"));
        Select("Cohort", "membership", f.Membership, ("any", "any time"), ("first", "first time"));
        sb.Append("<button type=\"submit\">Show</button>\n</form>\n");
    }
}
