using System.Diagnostics;
using System.Globalization;
using Bitmapist.Cli.Commands;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Bitmapist.Cli.Repl;

/// <summary>Runs one statement: the store's by default, a slow fake in tests.</summary>
internal delegate Task<StatementResult> StatementExecutor(TextStatement statement, CancellationToken ct);

/// <summary>
/// The interactive REPL: reads statements with a <see cref="LineEditor"/> (continuing over lines while a statement is
/// incomplete), runs them with a spinner after <see cref="SpinnerDelay"/>, Ctrl-C cancelling the running statement,
/// and prints results as tables with their timing. <c>let</c> names live as long as the session.
/// </summary>
internal sealed class ReplSession
{
    /// <summary>The REPL's own commands (not statements of the language).</summary>
    public static readonly IReadOnlyList<string> Commands = ["help", "exit", "quit"];

    public const string Prompt = "bitmapist> ";
    public const string ContinuationPrompt = "       ... ";

    /// <summary>Ids shown for <c>ids</c> without a limit (a limit shows up to <see cref="MaxIdsShown"/>).</summary>
    public const int IdsShown = 100;

    public const int MaxIdsShown = 10_000;

    private readonly ITerminal _terminal;
    private readonly StatementExecutor _execute;
    private readonly IAnsiConsole _console;
    private readonly Dictionary<string, SetExpr> _names = new(StringComparer.Ordinal);

    public ReplSession(ITerminal terminal, BitmapStore store, History history, string storeDescription, StatementExecutor? execute = null)
    {
        _terminal = terminal;
        History = history;
        StoreDescription = storeDescription;
        _execute = execute ?? ((s, ct) => StatementRunner.ExecuteAsync(s, store, ct));
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal.Colors ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = terminal.Colors ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(terminal.Out),
        });
        _console.Profile.Width = terminal.Width;
        var completer = new Completer((prefix, ct) => store.ListEventsAsync(prefix, ct), () => _names.Keys);
        Editor = new LineEditor(terminal, history, completer);
    }

    public History History { get; }

    public LineEditor Editor { get; }

    public string StoreDescription { get; }

    /// <summary>How long a statement runs before the spinner shows.</summary>
    public TimeSpan SpinnerDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The names bound by <c>let</c> so far.</summary>
    public IReadOnlyDictionary<string, SetExpr> Names => _names;

    /// <summary>Runs until exit, quit, Ctrl-D, Ctrl-C at an empty prompt or <paramref name="ct"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        _console.MarkupLine($"[bold]bitmapist[/] on {Markup.Escape(StoreDescription)}. Type [bold]help[/] for the statements, [bold]exit[/] or Ctrl-D to leave.");
        var pending = "";
        while (!ct.IsCancellationRequested)
        {
            var read = await Editor.ReadLineAsync(pending.Length == 0 ? Prompt : ContinuationPrompt, ct).ConfigureAwait(false);
            if (read.Status == ReadStatus.EndOfInput && pending.Length == 0) return Cli.Ok;
            if (read.Status == ReadStatus.Interrupted)
            {
                if (pending.Length == 0 && read.Text.Length == 0) return Cli.Ok;
                pending = "";
                continue;
            }
            var line = read.Text;
            if (pending.Length == 0)
            {
                var word = line.Trim().TrimEnd(';').Trim().ToLowerInvariant();
                if (word.Length == 0) continue;
                if (word is "exit" or "quit") return Cli.Ok;
                if (word is "help" or "?")
                {
                    History.Add(line);
                    Help();
                    continue;
                }
            }
            var source = pending.Length == 0 ? line : pending + "\n" + line;
            IReadOnlyList<TextStatement> statements;
            try
            {
                statements = TextQuery.Parse(source, _names);
            }
            catch (QuerySyntaxException e)
            {
                // An unfinished statement (open parenthesis, trailing operator...) continues on the next line;
                // an empty line ends it and shows the error.
                if (IsIncomplete(e) && line.Trim().Length > 0 && read.Status == ReadStatus.Line)
                {
                    pending = source;
                    continue;
                }
                pending = "";
                Remember(source);
                _console.MarkupLine("[red]" + Markup.Escape(e.Message) + "[/]");
                continue;
            }
            pending = "";
            Remember(source);
            foreach (var statement in statements)
            {
                if (ct.IsCancellationRequested) break;
                if (statement is LetStatement let)
                {
                    _names[let.Name] = let.Set;
                    _console.MarkupLine($"[grey]{Markup.Escape(let.Name)} = {Markup.Escape(let.Set.Text)}[/]");
                    continue;
                }
                if (!await RunAsync(statement, ct).ConfigureAwait(false)) break; // after a failure or Ctrl-C, skip the rest of the line
            }
            if (read.Status == ReadStatus.EndOfInput) return Cli.Ok;
        }
        return Cli.Cancelled;
    }

    /// <summary>True when the error is at the end of the text: more input could complete the statement.</summary>
    internal static bool IsIncomplete(QuerySyntaxException e) =>
        e.Problem.EndsWith("the end of the query", StringComparison.Ordinal);

    private void Remember(string source)
    {
        // One history entry per statement, on one line, unless a comment would swallow the lines after it.
        var lines = source.Split('\n');
        if (lines.Any(l => l.Contains('#', StringComparison.Ordinal) || l.Contains("--", StringComparison.Ordinal)))
            foreach (var l in lines) History.Add(l);
        else History.Add(string.Join(' ', lines.Select(l => l.Trim()).Where(l => l.Length > 0)));
    }

    /// <summary>Runs one statement, watching for Ctrl-C and showing a spinner while it is slow; false when it failed.</summary>
    private async Task<bool> RunAsync(TextStatement statement, CancellationToken ct)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clock = Stopwatch.StartNew();
        var work = Task.Run(() => Materialize(statement, cancel.Token), CancellationToken.None);
        using var stopWatching = new CancellationTokenSource();
        var keys = ReadKey(stopWatching.Token);
        var spinner = 0;
        var cancelled = false;
        while (!work.IsCompleted)
        {
            var tick = Task.Delay(TimeSpan.FromMilliseconds(80), CancellationToken.None);
            var done = await Task.WhenAny(work, keys, tick).ConfigureAwait(false);
            if (done == keys)
            {
                var key = await keys.ConfigureAwait(false);
                if (key is null)
                {
                    Editor.Close();
                    keys = Task.Delay(Timeout.Infinite, stopWatching.Token).ContinueWith(_ => (ConsoleKeyInfo?)null, TaskScheduler.Default);
                }
                else
                {
                    if (IsControlC(key.Value))
                    {
                        cancelled = true;
                        await cancel.CancelAsync().ConfigureAwait(false);
                    }
                    else Editor.TypeAhead(key.Value);
                    keys = ReadKey(stopWatching.Token);
                }
            }
            if (!work.IsCompleted && clock.Elapsed >= SpinnerDelay)
            {
                var frame = Frames[spinner++ % Frames.Length];
                _terminal.Out.Write($"\r{frame} running {Elapsed(clock.Elapsed)} (Ctrl-C cancels)\x1b[K");
                _terminal.Out.Flush();
            }
        }
        await stopWatching.CancelAsync().ConfigureAwait(false);
        try
        {
            // A key read as the statement ended belongs to the next prompt.
            if (await keys.ConfigureAwait(false) is { } late && !IsControlC(late)) Editor.TypeAhead(late);
        }
        catch (OperationCanceledException)
        {
        }
        if (spinner > 0)
        {
            _terminal.Out.Write("\r\x1b[K");
            _terminal.Out.Flush();
        }
        clock.Stop();
        try
        {
            var result = await work.ConfigureAwait(false);
            Render(result);
            foreach (var warning in result.Warnings) _console.MarkupLine("[yellow]warning:[/] " + Markup.Escape(warning.Message));
            _console.MarkupLine($"[grey]({Elapsed(clock.Elapsed)})[/]");
            return true;
        }
        catch (OperationCanceledException) when (cancelled || ct.IsCancellationRequested)
        {
            _console.MarkupLine($"[yellow]Cancelled[/] [grey]after {Elapsed(clock.Elapsed)}[/]");
            return false;
        }
        catch (Exception e)
        {
            var (message, _) = CommandRunner.Describe(e, cancel.Token);
            _console.MarkupLine("[red]" + Markup.Escape(message) + "[/]");
            return false;
        }
    }

    private static readonly string[] Frames = ["|", "/", "-", "\\"];

    private Task<ConsoleKeyInfo?> ReadKey(CancellationToken ct) => _terminal.ReadKeyAsync(ct).AsTask();

    internal static bool IsControlC(ConsoleKeyInfo key) =>
        key.KeyChar == '\x03' || (key.Key == ConsoleKey.C && (key.Modifiers & ConsoleModifiers.Control) != 0);

    internal static string Elapsed(TimeSpan t) => t.TotalSeconds >= 1
        ? t.TotalSeconds.ToString("0.00 's'", CultureInfo.InvariantCulture)
        : t.TotalMilliseconds.ToString("0.0 'ms'", CultureInfo.InvariantCulture);

    /// <summary>A result with its ids read (up to what is shown), so the work and its timing end together.</summary>
    private sealed record ReadIds(IReadOnlyList<long> Ids, bool More, int? Limit) : StatementResult;

    private async Task<StatementResult> Materialize(TextStatement statement, CancellationToken ct)
    {
        var result = await _execute(statement, ct).ConfigureAwait(false);
        if (result is not IdsResult ids) return result;
        var shown = Math.Min(ids.Limit ?? IdsShown, MaxIdsShown);
        var list = new List<long>();
        var more = false;
        await foreach (var id in ids.Ids.WithCancellation(ct).ConfigureAwait(false))
        {
            if (list.Count == shown)
            {
                more = true;
                break;
            }
            list.Add(id);
        }
        return new ReadIds(list, more, ids.Limit) { Warnings = ids.Warnings };
    }

    private void Render(StatementResult result)
    {
        switch (result)
        {
            case CountResult c:
                _console.Write(Table(["count"], [[Number(c.Count)]]));
                break;
            case ContainsResult c:
                _console.Write(Table(["id", "in"], [[c.Id.ToString(CultureInfo.InvariantCulture), c.Contains ? "true" : "false"]]));
                break;
            case PercentResult p:
                _console.Write(Table(["percent", "part", "whole"], [[p.Percent is { } share ? StatementRunner.Text(share) + " %" : StatementRunner.Undefined + " (the whole is empty)", Number(p.Part), Number(p.Whole)]]));
                break;
            case EventsResult e:
                if (e.Names.Count == 0) _console.MarkupLine("[grey]no events[/]");
                else _console.Write(Table(["event"], e.Names.Select(n => new[] { n }).ToList()));
                break;
            case ExplainResult e:
                _console.Write(new Panel(new Text(e.Plan.TrimEnd('\n'))) { Header = new PanelHeader("plan"), Border = BoxBorder.Rounded });
                break;
            case ReadIds i:
                RenderIds(i);
                break;
            case CohortResult c:
                RenderCohort(c.Table);
                break;
        }
    }

    /// <summary>A cohort table with heat-map cells: the darker the blue, the larger the share that returned.</summary>
    private void RenderCohort(Linq.Cohorts.CohortTable table)
    {
        var grid = new Table { Border = TableBorder.Rounded };
        grid.AddColumn(new TableColumn(table.Unit.ToString().ToLowerInvariant()));
        grid.AddColumn(new TableColumn("total") { Alignment = Justify.Right });
        for (var t = 0; t < table.Columns; t++) grid.AddColumn(new TableColumn(t.ToString(CultureInfo.InvariantCulture)) { Alignment = Justify.Right });
        string Cell(double? value, double? share)
        {
            if (value is null) return "";
            var text = Markup.Escape(Linq.Cohorts.Rendering.CohortFormat.Cell(value, table.Values));
            if (share is not { } p) return text;
            var shade = (int)Math.Round(Math.Clamp(p, 0, 100) / 100 * 5); // 0..5 steps of blue
            return shade == 0 ? text : $"[{(shade >= 3 ? "white" : "black")} on {Shades[shade]}]{text}[/]";
        }
        foreach (var row in table.Rows)
            grid.AddRow([Markup.Escape(row.Label), Number(row.Size), .. row.Retained.Select((n, t) =>
                Cell(row.Values[t], n is { } x && row.Size > 0 ? 100.0 * x / row.Size : null))]);
        grid.AddRow(["[bold]average[/]", table.AverageSize is { } a ? a.ToString("0.#", CultureInfo.InvariantCulture) : "",
            .. table.Average.Select(v => v is { } x ? Cell(Math.Round(x, 2), table.Values == Linq.Cohorts.CohortValues.Percent ? x : null) : "")]);
        _console.Write(grid);
        _console.MarkupLine(table.Values == Linq.Cohorts.CohortValues.Percent
            ? "[grey]% of each row's cohort who returned t periods later; empty: no cohort, or no data in that period[/]"
            : "[grey]users of each row's cohort who returned t periods later; empty: no cohort, or no data in that period[/]");
    }

    private static readonly string[] Shades = ["default", "lightcyan1", "paleturquoise1", "skyblue1", "deepskyblue3", "dodgerblue3"];

    private void RenderIds(ReadIds i)
    {
        if (i.Ids.Count == 0)
        {
            _console.MarkupLine("[grey]no ids[/]");
            return;
        }
        const int perRow = 10;
        var rows = i.Ids.Chunk(perRow).Select(c => c.Select(id => id.ToString(CultureInfo.InvariantCulture)).ToArray()).ToList();
        var grid = new Table { Border = TableBorder.Rounded, ShowHeaders = false };
        for (var c = 0; c < Math.Min(perRow, i.Ids.Count); c++) grid.AddColumn(new TableColumn("") { Alignment = Justify.Right });
        foreach (var row in rows) grid.AddRow([.. row, .. Enumerable.Repeat("", grid.Columns.Count - row.Length)]);
        _console.Write(grid);
        var last = i.Ids[^1].ToString(CultureInfo.InvariantCulture);
        _console.MarkupLine(i.More
            ? $"[grey]{i.Ids.Count} ids shown, more follow: add limit N, or after {last} for the next page[/]"
            : $"[grey]{i.Ids.Count} ids[/]");
    }

    private static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static Table Table(IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        var table = new Table { Border = TableBorder.Rounded };
        for (var i = 0; i < columns.Count; i++)
        {
            // Numbers line up on the right, names on the left.
            var numeric = rows.All(r => r[i].Length > 0 && (char.IsAsciiDigit(r[i][0]) || r[i] is "true" or "false"));
            table.AddColumn(new TableColumn(Markup.Escape(columns[i])) { Alignment = numeric ? Justify.Right : Justify.Left });
        }
        foreach (var r in rows) table.AddRow(r.Select(v => (IRenderable)new Text(v)).ToArray());
        return table;
    }

    private void Help()
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle("statements (grammar/README.md has them all)") };
        table.AddColumn("statement");
        table.AddColumn("example");
        foreach (var (statement, example) in HelpRows) table.AddRow(new Text(statement), new Text(example));
        _console.Write(table);
        _console.MarkupLine(Markup.Escape(SetsHelp));
        _console.MarkupLine(Markup.Escape(
            "Keys: Tab completes keywords, functions and events; Up/Down history; Ctrl-A/E start/end; Ctrl-U/K/W delete; " +
            "Ctrl-L clears; Ctrl-C cancels the running statement or the line (at an empty prompt it exits); Ctrl-D or exit/quit leaves. " +
            "An unfinished statement continues on the next line; an empty line ends it."));
    }

    /// <summary>The line of help on sets and operators (interactive and piped).</summary>
    internal const string SetsHelp =
        "Sets: year/month/week/day/hour(event[, date | offset | a..b]), all day(event, -6..0), event during a..b, unique(event), " +
        "{1, 2}, users, key('raw'), let names; operators or |, xor ^, and &, -, not ! ~.";

    internal static readonly IReadOnlyList<(string Statement, string Example)> HelpRows =
    [
        ("count SET", "count month(active) & week('song:played')"),
        ("SET (a count)", "day(active, -6..0) - unique(premium)"),
        ("ids SET [limit N] [after ID]", "ids week(active) limit 10 after 41"),
        ("ID in SET", "42 in month(active, 2026-11)"),
        ("percent SET of SET", "percent month(active) of month(signup, -1)"),
        ("cohort SET then SET by UNIT [...]", "cohort signup then active by week cols 6"),
        ("explain STATEMENT", "explain count all day(active, -6..0)"),
        ("events [PREFIX]", "events song"),
        ("let NAME = SET", "let retained = month(active) & month(active, -1)"),
        ("help, exit, quit", "help"),
    ];
}
