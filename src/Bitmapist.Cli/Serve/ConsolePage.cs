using System.Globalization;
using System.Net;
using System.Text;
using Bitmapist.Cli.Repl;
using Bitmapist.Grammar;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Trends.Rendering;

namespace Bitmapist.Cli.Serve;

/// <summary>
/// The console's pages: the query box on top of every page (with the REPL's completion words as suggestions), then
/// the results of the statements, each under its statement with a link that runs it again: values and lists as
/// tables, a trend as a line chart and a funnel as bars (<see cref="TrendHtml"/>, <see cref="FunnelHtml"/>), a cohort
/// as the heat map (<see cref="CohortFormPage"/>), explain as preformatted text. Styles and script come from
/// <see cref="ConsoleAssets"/> by URL, never inline; every text is HTML-escaped.
/// </summary>
internal static class ConsolePage
{
    /// <summary>Statements to start from, each a link on the start page.</summary>
    public static readonly IReadOnlyList<string> Examples =
    [
        "count month(active)",
        "ids month(active) & unique(premium) limit 20",
        "percent month(active) of month(active, -1)",
        "trend active by day rows 30",
        "trend active by day rows 30 window 7",
        "trend active by day rows 30 of active by month",
        "funnel signup then active by day rows 14 within 7",
        "cohort signup then active by week rows 8 cols 6",
        "explain count month(active) & week(active)",
        "events",
    ];

    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>The link that runs <paramref name="text"/>: <c>/?q=...</c>, escaped for an attribute.</summary>
    public static string Link(string text) => E("/?q=" + Uri.EscapeDataString(text));

    /// <summary>The start page: the box, empty, and the examples.</summary>
    public static string Home()
    {
        var sb = new StringBuilder("<section class=\"help\">\n<p>Type statements of the query language (several separated by <code>;</code>, <code>let</code> names included) and press Enter. Start from one of these:</p>\n<ul class=\"examples\">\n");
        foreach (var example in Examples) sb.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{Link(example)}\"><code>{E(example)}</code></a></li>\n");
        sb.Append("</ul>\n</section>\n");
        return Layout("bitmapist console", "", sb.ToString());
    }

    /// <summary>A query that has no result: the box keeps it, the message says why (kept as written: a caret lines up).</summary>
    public static string Error(string text, string title, string message) =>
        Layout($"bitmapist console: {title}", text, $"<pre class=\"error\" role=\"alert\">{E(message)}</pre>\n");

    /// <summary>The results of a query's statements, in order.</summary>
    public static string Results(string text, IReadOnlyList<Shown> shown, int maxIds)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<p class=\"permalink\"><a href=\"{Link(text)}\">Link to these results</a> (runs the query again)</p>\n");
        foreach (var s in shown)
        {
            if (s.Result is NoResult) continue;
            sb.Append("<section class=\"result\">\n");
            sb.Append(CultureInfo.InvariantCulture, $"<h2><a href=\"{Link(s.Statement.Text)}\" title=\"Run this statement alone\"><code>{E(s.Statement.Text)}</code></a></h2>\n");
            sb.Append(ReportPage.Warnings(s.Result.Warnings.Select(w => w.Message)));
            Result(sb, s, maxIds);
            sb.Append("</section>\n");
        }
        return Layout($"bitmapist: {(text.Length > 80 ? text[..80] + "..." : text)}", text, sb.ToString());
    }

    private static void Result(StringBuilder sb, Shown shown, int maxIds)
    {
        switch (shown.Result)
        {
            case CountResult c:
                Value(sb, "count", c.Count.ToString("#,0", CultureInfo.InvariantCulture));
                break;
            case ContainsResult { ExternalId: not null } c:
                Table(sb, ["id", "contains"], [[c.User, c.Contains ? "true" : "false"]]);
                break;
            case ContainsResult c:
                Value(sb, "contains", c.Contains ? "true" : "false");
                break;
            case PercentResult p:
                Table(sb, ["percent", "part", "whole"],
                    [[p.Percent is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : "undefined (the whole is empty)", p.Part.ToString(CultureInfo.InvariantCulture), p.Whole.ToString(CultureInfo.InvariantCulture)]]);
                break;
            case IdsResult i:
                Ids(sb, (QueryStatement)shown.Statement, i, shown.Ids!, shown.Mapped, maxIds);
                break;
            case EventsResult e:
                if (e.Names.Count == 0) sb.Append("<p>No events.</p>\n");
                sb.Append("<ul class=\"events\">\n");
                foreach (var name in e.Names)
                    sb.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{Link("describe " + Completer.Quote(name))}\">{E(name)}</a></li>\n");
                sb.Append("</ul>\n");
                break;
            case ExplainResult e:
                sb.Append(CultureInfo.InvariantCulture, $"<pre class=\"explain\">{E(e.Plan)}</pre>\n");
                break;
            case CohortResult c:
                sb.Append(CohortFormPage.HeatMap(c.Table));
                sb.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{E(CohortFormPage.FormLink(c.Table))}\">Change it with the cohort form</a></p>\n");
                break;
            case TrendResult t:
                sb.Append(TrendHtml.Fragment(t.Table));
                break;
            case FunnelResult f:
                sb.Append(FunnelHtml.Fragment(f.Table));
                break;
            case TableResult t:
                foreach (var (name, value) in t.Facts) sb.Append(CultureInfo.InvariantCulture, $"<p class=\"fact\">{E(name)}: {E(Text(value))}</p>\n");
                Table(sb, t.Columns, [.. t.Rows.Select(r => (IReadOnlyList<string>)[.. r.Select(Text)])]);
                break;
            default:
                sb.Append(CultureInfo.InvariantCulture, $"<p class=\"error\">The console cannot show a {E(shown.Result.GetType().Name)} yet: run it with bitmapist query.</p>\n");
                break;
        }
    }

    private static string Text(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static void Value(StringBuilder sb, string name, string value) => Table(sb, [name], [[value]]);

    private static void Table(StringBuilder sb, IReadOnlyList<string> columns, IReadOnlyList<IReadOnlyList<string>> rows)
    {
        sb.Append("<table class=\"report value\">\n<thead><tr>");
        foreach (var c in columns) sb.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{E(c)}</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            foreach (var v in row) sb.Append(CultureInfo.InvariantCulture, $"<td>{E(v)}</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n");
    }

    /// <summary>
    /// One page of ids; when more follow, a link to the next page (the same statement, after the last id shown). With an
    /// id map (<paramref name="mapped"/>), the external ids in order of internal id, <c>#123</c> for an id that has none.
    /// </summary>
    private static void Ids(StringBuilder sb, QueryStatement statement, IdsResult result, IReadOnlyList<long> ids, IReadOnlyList<MappedId>? mapped, int maxIds)
    {
        var pageSize = Math.Min(result.Paging.Limit ?? int.MaxValue, maxIds);
        var shown = ids.Take(pageSize).ToList();
        var more = ids.Count > pageSize && (result.Paging.Limit is null || result.Paging.Limit > pageSize);
        sb.Append(CultureInfo.InvariantCulture, $"<p>{shown.Count} ids{(more ? string.Create(CultureInfo.InvariantCulture, $", the first page (the console shows at most {maxIds} at a time)") : "")}.</p>\n");
        sb.Append("<ol class=\"ids\">\n");
        if (mapped is null) foreach (var id in shown) sb.Append(CultureInfo.InvariantCulture, $"<li>{id}</li>\n");
        else foreach (var id in mapped.Take(pageSize))
                sb.Append(CultureInfo.InvariantCulture, $"<li{(id.ExternalId is null ? " class=\"unmapped\" title=\"no external id\"" : "")}>{E(id.Display)}</li>\n");
        sb.Append("</ol>\n");
        if (more)
        {
            var left = result.Paging.Limit is { } limit ? limit - pageSize : (int?)null;
            var next = QueryStatement.Ids(statement.Query.Set, new Linq.Paging(left is null ? maxIds : left, shown[^1]));
            sb.Append(CultureInfo.InvariantCulture, $"<p><a class=\"next\" href=\"{Link(next.Text)}\">Next page</a></p>\n");
        }
    }

    /// <summary>
    /// A whole page: the query box holding <paramref name="query"/>, then <paramref name="main"/> (markup). The
    /// box's submit is an <c>input</c>, so a form in the page (the cohort form) is the page's only submit button.
    /// </summary>
    public static string Layout(string title, string query, string main)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>\n");
        sb.Append("<link rel=\"stylesheet\" href=\"/console.css\">\n<script src=\"/console.js\" defer></script>\n</head>\n<body>\n<header>\n");
        sb.Append("<a class=\"home\" href=\"/\">bitmapist</a>\n");
        sb.Append("<form method=\"get\" action=\"/\" class=\"query\" role=\"search\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<input type=\"text\" id=\"q\" name=\"q\" value=\"{E(query)}\" list=\"suggest\" aria-label=\"Query\" placeholder=\"trend active by day rows 30\" autocomplete=\"off\" spellcheck=\"false\" autofocus>\n");
        sb.Append("<input type=\"submit\" value=\"Run\">\n</form>\n<datalist id=\"suggest\">\n");
        foreach (var word in Suggestions) sb.Append(CultureInfo.InvariantCulture, $"<option value=\"{E(word)}\"></option>\n");
        sb.Append("</datalist>\n</header>\n<main>\n");
        sb.Append(main);
        sb.Append("</main>\n</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The suggestions before anything is typed (the script asks <c>/complete</c> for the word being typed): the
    /// REPL's completion words that start a statement (<see cref="Completer.Keywords"/>, not its own commands).
    /// </summary>
    private static readonly IReadOnlyList<string> Suggestions =
        [.. Completer.Keywords.Where(k => QueryGrammar.StatementKeywords.Contains(k) && !ReplSession.Commands.Contains(k)).Select(k => k + " ")];
}
