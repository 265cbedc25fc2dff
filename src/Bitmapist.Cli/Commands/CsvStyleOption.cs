using System.CommandLine;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>--csv-style plain|bitmapist</c> of <c>cohort</c> and <c>query</c>: with <c>--format csv</c>, <c>bitmapist</c> writes
/// cohort tables as bitmapist's own CSV export does, byte for byte (its date labels, Python's number formatting; see
/// <see cref="CohortCsvStyle.Bitmapist"/>), so the file can be compared with, or replace, one exported by bitmapist.
/// Other results print as <c>--format csv</c> always prints them.
/// </summary>
internal static class CsvStyleOption
{
    public static Option<string> Create() => new Option<string>("--csv-style")
    {
        Description = "With --format csv: how cohort tables are written. plain (the default: ISO period labels such as 2026-03-01 and " +
            "2026-W09, numbers as the other formats show them) or bitmapist (bitmapist's own CSV byte for byte: labels such as " +
            "'02 Mar 2026' and 'Week 09 04 Mar', percentages such as 50.0 and 33.33).",
        DefaultValueFactory = _ => "plain",
        HelpName = "style",
    }.AcceptOnlyFromAmong("plain", "bitmapist");

    /// <summary>
    /// The renderer of <paramref name="settings"/>' format with the style <paramref name="style"/> applied; false (after
    /// saying why) when a bitmapist style is asked for another format than csv, where it would do nothing.
    /// </summary>
    public static bool TryCreateRenderer(string? style, CliSettings settings, CliContext context, out ResultRenderer renderer)
    {
        renderer = ResultRenderer.For(settings.Format, context.Out);
        if (style is null or "plain") return true;
        if (settings.Format != OutputFormat.Csv)
        {
            context.Error($"--csv-style {style} shapes CSV output, and the output format is {settings.Format.ToString().ToLowerInvariant()}: add --format csv, or leave --csv-style out.");
            return false;
        }
        renderer = new BitmapistCohortCsv(renderer, context.Out);
        return true;
    }

    /// <summary>CSV where cohort tables are bitmapist's own; every other result goes to the plain CSV renderer.</summary>
    private sealed class BitmapistCohortCsv(ResultRenderer csv, TextWriter stdout) : ResultRenderer(stdout)
    {
        public override Task RenderAsync(StatementResult result, CancellationToken ct)
        {
            if (result is not CohortResult c) return csv.RenderAsync(result, ct);
            Output.Writer.Write(CohortCsv.Render(c.Table, CohortCsvStyle.Bitmapist));
            return Task.CompletedTask;
        }
    }
}
