using System.CommandLine;
using System.Globalization;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist query "&lt;statements&gt;"</c> or <c>bitmapist query -f &lt;file&gt;</c>: runs statements of the text query
/// language (grammar/README.md) and prints one result per statement; with <c>--format json</c>, one JSON object per line.
/// </summary>
internal static class QueryCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var text = new Argument<string?>("statements")
        {
            Description = "Statements separated by ';' or new lines, e.g. \"count month(active) & week('song:played')\".",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var file = new Option<string?>("--file", "-f") { Description = "Read the statements from this file.", HelpName = "file" };
        var html = new Option<string?>("--html") { Description = "Also write the report of the trend, funnel or cohort statement (chart or heat map and table) to this self-contained HTML file.", HelpName = "file" };
        var parameters = ParameterOptions.Create();
        var csvStyle = CsvStyleOption.Create();
        var command = new Command("query", "Run statements of the query language: " +
            string.Join(", ", Bitmapist.Grammar.QueryGrammar.Keywords.Where(k => k.Help is not null).Select(k => k.Word)) + ".");
        command.Arguments.Add(text);
        command.Options.Add(file);
        command.Options.Add(html);
        command.Options.Add(parameters);
        command.Options.Add(csvStyle);
        command.SetAction(async (parse, ct) =>
        {
            var source = parse.GetValue(text);
            var path = parse.GetValue(file);
            if ((source is null) == (path is null))
            {
                context.Error("give the statements as an argument or with -f <file>, not both.");
                return Cli.Usage;
            }
            if (path is not null)
            {
                try
                {
                    // A character takes at most 4 bytes in any encoding File.ReadAllText reads: a larger file is certainly too
                    // long, and reading it whole to say so took seconds and gigabytes (a CSV given by mistake).
                    if (new FileInfo(path) is { Exists: true, Length: var bytes } && bytes > 4L * (TextQuery.MaxQueryLength + 1))
                    {
                        context.Error(string.Create(CultureInfo.InvariantCulture,
                            $"'{path}' is {bytes:N0} bytes: more than a query's {TextQuery.MaxQueryLength:N0} characters can take. Give a file of statements; to load events, use bitmapist import."));
                        return Cli.Usage;
                    }
                    source = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    context.Error($"cannot read '{path}': {e.Message}");
                    return Cli.Failed;
                }
            }
            var (ok, values) = await ParameterOptions.TryParseAsync(parse.GetValue(parameters), context).ConfigureAwait(false);
            if (!ok) return Cli.Usage;
            if (!CommandRunner.TryReadSettings(global, parse, context, ct, out var settings, out var failure)) return failure;
            if (!CsvStyleOption.TryCreateRenderer(parse.GetValue(csvStyle), settings, context, out var renderer)) return Cli.Usage;
            var report = parse.GetValue(html) is { } htmlPath ? new HtmlReport(htmlPath) : null;
            var code = await StatementRunner.RunScriptAsync(source!, path, settings, context, ct, values, renderer, report is null ? null : report.Observe).ConfigureAwait(false);
            if (code == Cli.Ok && report is not null) code = await report.WriteAsync(context, settings.Format == OutputFormat.Table, ct).ConfigureAwait(false);
            // 'help' or 'exit' alone is someone who expected the REPL: the syntax error alone does not say where those words work.
            if (code == Cli.Usage && source!.Trim().ToLowerInvariant() is "help" or "?" or "exit" or "quit")
                context.Error($"'{source.Trim()}' is a command of the interactive REPL (run bitmapist repl, or bitmapist with no command), not a statement: query runs statements such as count month(active).");
            return code;
        });
        return command;
    }
}
