using System.CommandLine;
using System.Globalization;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Cli.Rendering;
using Bitmapist.Cli.Serve;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist cohort signup then active --by week --rows 12 --cols 8 [--html report.html]</c>: a cohort
/// (retention) table. The words before the options are the statement's sets, exactly as in
/// <c>cohort SET then SET</c> of the query language; the options are its settings. Prints the table in the
/// output format and, with <c>--html</c>, also writes a self-contained HTML report.
/// </summary>
internal static class CohortCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var sets = new Argument<string[]>("sets")
        {
            Description = "The cohort set, 'then', the return set, in the query language: signup then active, or \"signup & web\" then active.",
            Arity = ArgumentArity.OneOrMore,
        };
        var by = new Option<string>("--by") { Description = "Group rows and columns by day, week, month or year.", DefaultValueFactory = _ => "day", HelpName = "unit" };
        by.AcceptOnlyFromAmong("day", "week", "month", "year");
        var rows = new Option<int?>("--rows") { Description = "Number of rows (default 31, or 3 by year).", HelpName = "N" };
        var cols = new Option<int?>("--cols") { Description = "Columns after the first (default 12).", HelpName = "N" };
        var from = new Option<string?>("--from") { Description = "The first row: a date (2026-03-01, 2026-W09, 2026-03) or an offset from now (-11).", HelpName = "start" };
        var counts = new Option<bool>("--counts") { Description = "Show counts instead of percentages." };
        var unbounded = new Option<bool>("--unbounded") { Description = "Unbounded retention: returned in that period or any later one." };
        var first = new Option<bool>("--first") { Description = "First-time cohorts: users for whom the cohort set never held before the row." };
        var since = new Option<string?>("--since") { Description = "With --first: how far back 'before' reaches (a date; default one year before the first row).", HelpName = "date" };
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML report to this file.", HelpName = "file" };
        var form = new Option<bool>("--form") { Description = "With --html: add a form like bitmapist's to change the query (it submits by GET)." };
        var serve = new Option<int?>("--serve") { Description = "Serve the web console (bitmapist serve) opened on this report and its form at http://127.0.0.1:PORT/ until Ctrl+C (each submission runs a new table).", HelpName = "port" };
        var maxCells = new Option<int>("--max-cells")
        {
            Description = $"With --serve: the most cells (rows x columns) a requested table may have; larger ones get the form back with an error.",
            DefaultValueFactory = _ => ServeLimits.DefaultMaxCells,
            HelpName = "N",
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = $"With --serve: seconds one request may take (waiting for its turn included) before it is stopped and the page says so.",
            DefaultValueFactory = _ => ServeLimits.DefaultTimeout.TotalSeconds,
            HelpName = "seconds",
        };
        var csvStyle = CsvStyleOption.Create();
        var parameters = ParameterOptions.Create();
        var command = new Command("cohort", "A cohort (retention) table: of the users in each row's cohort, how many returned 0, 1, 2... periods later.");
        command.Arguments.Add(sets);
        foreach (var o in new Option[] { by, rows, cols, from, counts, unbounded, first, since, html, form, serve, maxCells, timeout, csvStyle, parameters }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var text = "cohort " + (parse.GetValue(first) ? "first " : "") + string.Join(' ', parse.GetValue(sets) ?? [])
                + " by " + parse.GetValue(by)
                + (parse.GetValue(rows) is { } r ? string.Create(CultureInfo.InvariantCulture, $" rows {r}") : "")
                + (parse.GetValue(cols) is { } c ? string.Create(CultureInfo.InvariantCulture, $" cols {c}") : "")
                + (parse.GetValue(from) is { } f ? " from " + f : "")
                + (parse.GetValue(since) is { } s ? " since " + s : "")
                + (parse.GetValue(unbounded) ? " unbounded" : "")
                + (parse.GetValue(counts) ? " counts" : "");
            CohortStatement statement;
            try
            {
                if (TextQuery.Parse(text) is not [CohortStatement one])
                {
                    context.Error($"expected one cohort statement like 'signup then active', got: {text}");
                    return Cli.Usage;
                }
                statement = one;
            }
            catch (QuerySyntaxException e)
            {
                await context.Err.WriteLineAsync("bitmapist: " + e.Message).ConfigureAwait(false);
                return Cli.Usage;
            }
            var (ok, values) = await ParameterOptions.TryParseAsync(parse.GetValue(parameters), context).ConfigureAwait(false);
            if (!ok) return Cli.Usage;
            if (parse.GetValue(serve) is { } servePort)
            {
                if (servePort is < 1 or > 65535)
                {
                    context.Error($"--serve takes a port from 1 to 65535, not {servePort}.");
                    return Cli.Usage;
                }
                if (parse.GetValue(maxCells) is < 1 or > CohortQuery.MaxCells)
                {
                    context.Error($"--max-cells takes 1 to {CohortQuery.MaxCells} (the most cells any table may have), not {parse.GetValue(maxCells)}.");
                    return Cli.Usage;
                }
                if (parse.GetValue(timeout) is not (> 0 and <= 86_400) and var seconds)
                {
                    context.Error($"--timeout takes seconds, more than 0 and at most 86400 (a day), not {seconds.ToString(CultureInfo.InvariantCulture)}.");
                    return Cli.Usage;
                }
                if (values.Count > 0 || ParameterOptions.FirstUnbound([statement], values) is not null)
                {
                    context.Error("--serve cannot take parameters: the form's sets are typed in full (signup & unique(premium), not signup & @segment).");
                    return Cli.Usage;
                }
            }
            if (ParameterOptions.FirstUnbound([statement], values) is { } missing)
            {
                context.Error($"the cohort uses @{missing} and it has no value: add --param {missing}=SET.");
                return Cli.Usage;
            }
            if (!CommandRunner.TryReadSettings(global, parse, context, ct, out var settings, out var failure)) return failure;
            if (!CsvStyleOption.TryCreateRenderer(parse.GetValue(csvStyle), settings, context, out var renderer)) return Cli.Usage;
            try
            {
                await using var session = await StoreSession.OpenAsync(settings, context, StoreAccess.Read, ct: ct).ConfigureAwait(false);
                if (parse.GetValue(serve) is { } port)
                {
                    var limits = ServeLimits.Default with { MaxCells = parse.GetValue(maxCells), Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)) };
                    return await CohortServer.RunAsync(session.Store, statement.Query, port, limits, context, ct).ConfigureAwait(false);
                }
                var result = await new StatementExecutor(session.Store).ExecuteAsync(statement, values, ct).ConfigureAwait(false);
                var table = ((CohortResult)result).Table;
                // The report first: if it cannot be written, the command fails whole, with nothing on stdout.
                if (parse.GetValue(html) is { } path)
                {
                    var page = CohortHtml.Render(table, new CohortHtmlOptions($"Cohort: {statement.Query.Text}", parse.GetValue(form)));
                    try
                    {
                        await File.WriteAllTextAsync(path, page, ct).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        context.Error($"cannot write the HTML report to '{path}': {e.Message}");
                        return Cli.Failed;
                    }
                }
                await renderer.RenderAsync(result, ct).ConfigureAwait(false);
                StatementRunner.Warn(context, result.Warnings);
                if (parse.GetValue(html) is { } written && settings.Format == OutputFormat.Table)
                    await context.Out.WriteLineAsync($"wrote {written}").ConfigureAwait(false);
                return Cli.Ok;
            }
            catch (Exception e)
            {
                var (message, code) = CommandRunner.Describe(e, ct);
                context.Fail(e, message);
                return code;
            }
        });
        return command;
    }
}
