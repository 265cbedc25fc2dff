using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Trends.Rendering;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist query '...' --html FILE</c>: the statement that makes a report (a trend, a funnel or a cohort) written as
/// one self-contained HTML file (the library's <see cref="TrendHtml"/>, <see cref="FunnelHtml"/>, <see cref="CohortHtml"/>:
/// the chart or heat map and the table, inline CSS, no script), next to the results printed as usual.
/// </summary>
internal sealed class HtmlReport(string path)
{
    private readonly List<StatementResult> _reports = [];

    /// <summary>The file it writes.</summary>
    public string Path { get; } = path;

    /// <summary>The HTML document of <paramref name="result"/>, its warnings above it; null for a result with no report.</summary>
    public static string? Render(StatementResult result)
    {
        var warnings = result.Warnings.Select(w => w.Message).ToList();
        return result switch
        {
            TrendResult t => TrendHtml.Render(t.Table, new ReportHtmlOptions($"Trend: {t.Table.Query.Text}", warnings)),
            FunnelResult f => FunnelHtml.Render(f.Table, new ReportHtmlOptions($"Funnel: {f.Table.Query.Text}", warnings)),
            CohortResult c => CohortHtml.Render(c.Table, new CohortHtmlOptions($"Cohort: {c.Table.Query.Text}", Warnings: warnings)),
            _ => null,
        };
    }

    /// <summary>Keeps <paramref name="result"/> when it has a report (<see cref="StatementRunner"/>'s observer).</summary>
    public void Observe(StatementResult result)
    {
        if (result is TrendResult or FunnelResult or CohortResult) _reports.Add(result);
    }

    /// <summary>Writes the one report the statements made; with none or several, says so and writes nothing. Returns the exit code.</summary>
    public async Task<int> WriteAsync(CliContext context, bool announce, CancellationToken ct)
    {
        if (_reports.Count != 1)
        {
            context.Error(_reports.Count == 0
                ? $"--html writes the report of a trend, funnel or cohort statement, and these statements made none: nothing was written to '{Path}'. Add one, e.g. trend active by day rows 30."
                : $"--html writes one report, and these statements made {_reports.Count} (trends, funnels or cohorts): nothing was written to '{Path}'. Run each with its own --html file.");
            return Cli.Usage;
        }
        try
        {
            await File.WriteAllTextAsync(Path, Render(_reports[0]), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Error($"cannot write the report to '{Path}': {e.Message}");
            return Cli.Failed;
        }
        if (announce) await context.Out.WriteLineAsync($"wrote {Path}").ConfigureAwait(false);
        return Cli.Ok;
    }
}
