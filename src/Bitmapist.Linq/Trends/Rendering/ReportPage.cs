using System.Globalization;
using System.Net;
using System.Text;

namespace Bitmapist.Linq.Trends.Rendering;

/// <summary>Options of a trend or funnel HTML report.</summary>
/// <param name="Title">The page title and heading (escaped).</param>
/// <param name="Warnings">Warnings shown above the report (escaped), e.g. the messages of the result's
/// <see cref="Statements.StatementResult.Warnings"/>; none when null.</param>
public sealed record ReportHtmlOptions(string Title, IReadOnlyList<string>? Warnings = null);

/// <summary>
/// The page around a trend or funnel report (<see cref="TrendHtml"/>, <see cref="FunnelHtml"/>): one HTML document
/// with its <see cref="Stylesheet"/> inline, no script and no external resource, so the file opens anywhere, offline.
/// The reports' markup styles only through classes, so a host that serves the same <see cref="Stylesheet"/> as a file
/// (the web console, under a Content-Security-Policy without inline style) shows the same report.
/// </summary>
public static class ReportPage
{
    /// <summary>The CSS of the reports' classes (tables, the query line, warnings, charts).</summary>
    public const string Stylesheet = """
        body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
        code { background: #f4f4f4; padding: 2px 4px; }
        table.report { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-top: 1em; }
        table.report th, table.report td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; }
        table.report th { background: #f4f4f4; }
        table.report td.label, table.report th.label { text-align: left; white-space: nowrap; }
        table.report tr.total td { font-weight: bold; border-top: 2px solid #999; }
        table.report span.conversion { color: #666; font-size: .85em; margin-left: .4em; }
        figure.chart { margin: 1em 0; max-width: 100%; overflow-x: auto; }
        figure.chart svg { max-width: 100%; height: auto; }
        p.warning { color: #7a5a00; background: #fffbe6; border: 1px solid #e6d48a; padding: .5em .75em; }
        """;

    private static string E(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A whole document: the title, the warnings, then <paramref name="body"/> (markup, written as it is).</summary>
    public static string Document(ReportHtmlOptions options, string body)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(body);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{E(options.Title)}</title>\n<style>\n{Stylesheet}\n</style>\n</head>\n<body>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>{E(options.Title)}</h1>\n");
        sb.Append(Warnings(options.Warnings ?? []));
        sb.Append(body);
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>Each warning as a <c>p.warning</c>, escaped.</summary>
    public static string Warnings(IEnumerable<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        var sb = new StringBuilder();
        foreach (var warning in warnings)
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"warning\" role=\"status\">Warning: {E(warning)}</p>\n");
        return sb.ToString();
    }

    /// <summary>A percentage as every report writes it: at most two decimals.</summary>
    internal static string Percent(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The unit's name as the reports write it.</summary>
    internal static string Unit(Model.PeriodUnit unit) => unit.ToString().ToLowerInvariant();
}
