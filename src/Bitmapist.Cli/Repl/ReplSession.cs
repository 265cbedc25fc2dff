using System.Diagnostics;
using System.Globalization;
using Bitmapist.Cli.Commands;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Bitmapist.Cli.Repl;

/// <summary>Runs one statement: the library's <see cref="StatementExecutor"/> on the store by default, a slow one in tests.</summary>
internal delegate Task<StatementResult> RunStatement(TextStatement statement, CancellationToken ct);

/// <summary>
/// The interactive REPL: reads statements with a <see cref="LineEditor"/> (continuing over lines while a statement is
/// incomplete), runs them with a spinner after <see cref="SpinnerDelay"/>, Ctrl-C cancelling the running statement,
/// and prints results as tables with their timing. <c>let</c> names live as long as the session.
/// </summary>
internal sealed class ReplSession
{
    /// <summary>The REPL's own commands (not statements of the language).</summary>
    public static readonly IReadOnlyList<string> Commands = ["help", "exit", "quit", "set", "unset", "universe"];

    public const string Prompt = "bitmapist> ";
    public const string ContinuationPrompt = "       ... ";

    private readonly ITerminal _terminal;
    private readonly RunStatement _execute;
    private readonly BitmapStore _opened;
    private BitmapStore _store;
    private StatementExecutor _executor;
    private readonly ReplRenderer _renderer;
    private readonly IAnsiConsole _console;
    private readonly Dictionary<string, SetExpr> _names = new(StringComparer.Ordinal);

    public ReplSession(ITerminal terminal, BitmapStore store, History history, string storeDescription, RunStatement? execute = null)
    {
        _terminal = terminal;
        History = history;
        StoreDescription = storeDescription;
        _opened = _store = store;
        _executor = new StatementExecutor(store);
        _execute = execute ?? ((s, ct) => _executor.ExecuteAsync(s, null, ct));
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal.Colors ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = terminal.Colors ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(terminal.Out),
        });
        _console.Profile.Width = terminal.Width;
        _renderer = new ReplRenderer(_console);
        var completer = new Completer((prefix, ct) => store.ListEventsAsync(prefix, ct), () => _names.Keys);
        Editor = new LineEditor(terminal, history, completer);
    }

    public History History { get; }

    public LineEditor Editor { get; }

    public string StoreDescription { get; }

    /// <summary>How long a statement runs before the spinner shows.</summary>
    public TimeSpan SpinnerDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The set of every user (<c>--universe</c>, then <c>set universe</c>), or null.</summary>
    public SetExpr? Universe => _store.Options.Universe;

    /// <summary>The names bound by <c>let</c> so far.</summary>
    public IReadOnlyDictionary<string, SetExpr> Names => _names;

    /// <summary>Runs until exit, quit, Ctrl-D, Ctrl-C at an empty prompt or <paramref name="ct"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(CancellationToken ct)
    {
        _console.MarkupLine($"[bold]bitmapist[/] on {Markup.Escape(StoreDescription)}. Type [bold]help[/] for the statements, [bold]exit[/] or Ctrl-D to leave.");
        var typed = new Script(null, 0);
        while (!ct.IsCancellationRequested)
        {
            var read = await Editor.ReadLineAsync(typed.Pending.Length == 0 ? Prompt : ContinuationPrompt, ct).ConfigureAwait(false);
            if (read.Status == ReadStatus.EndOfInput && typed.Pending.Length == 0) return Cli.Ok;
            if (read.Status == ReadStatus.Interrupted)
            {
                if (typed.Pending.Length == 0 && read.Text.Length == 0) return Cli.Ok;
                typed.Pending = "";
                continue;
            }
            if (await FeedAsync(typed, read.Text, last: read.Status == ReadStatus.EndOfInput, ct).ConfigureAwait(false) == Outcome.Exit) return Cli.Ok;
            if (read.Status == ReadStatus.EndOfInput) return Cli.Ok;
        }
        return Cli.Cancelled;
    }

    /// <summary>Where lines come from: typed (<see cref="File"/> null) or a file of <c>.read</c>; the statement they continue.</summary>
    private sealed class Script(string? file, int depth)
    {
        public string? File { get; } = file;

        /// <summary>How many <c>.read</c> files this one is inside (a file that reads itself stops at <see cref="MaxReadDepth"/>).</summary>
        public int Depth { get; } = depth;

        /// <summary>The lines of an unfinished statement so far.</summary>
        public string Pending { get; set; } = "";

        /// <summary>The line number of the line being fed (files).</summary>
        public int Line { get; set; }

        /// <summary>The line an unfinished statement started on (files).</summary>
        public int StatementLine { get; set; }
    }

    private enum Outcome
    {
        /// <summary>Go on with the next line.</summary>
        Next,
        /// <summary>exit or quit: the session ends (in a file: the file does).</summary>
        Exit,
        /// <summary>A statement failed or did not parse (in a file: the rest of it does not run).</summary>
        Failed,
    }

    /// <summary>How deep <c>.read</c> files may read others.</summary>
    public const int MaxReadDepth = 16;

    /// <summary>
    /// One line, typed or read from a file: a REPL command where a statement may start (exit, help, the universe,
    /// <c>.read</c>), else more of a statement, run once it is complete (with <c>&gt; FILE</c>, into the file).
    /// </summary>
    private async Task<Outcome> FeedAsync(Script script, string line, bool last, CancellationToken ct)
    {
        var typed = script.File is null;
        if (script.Pending.Length == 0)
        {
            script.StatementLine = script.Line;
            var word = line.Trim().TrimEnd(';').Trim().ToLowerInvariant();
            if (word.Length == 0) return Outcome.Next;
            if (word is "exit" or "quit") return Outcome.Exit;
            if (word is "help" or "?")
            {
                if (typed) History.Add(line);
                Help();
                return Outcome.Next;
            }
            if (UniverseCommand(line) is { } universeSet)
            {
                if (typed) History.Add(line);
                return universeSet ? Outcome.Next : Outcome.Failed;
            }
            if (word == ".read" || word.StartsWith(".read ", StringComparison.Ordinal))
            {
                if (typed) History.Add(line);
                var outcome = await ReadFileAsync(line.Trim().TrimEnd(';').Trim()[".read".Length..].Trim(), script.Depth + 1, ct).ConfigureAwait(false);
                return outcome == Outcome.Failed && !typed ? Outcome.Failed : Outcome.Next;
            }
        }
        var source = script.Pending.Length == 0 ? line : script.Pending + "\n" + line;
        var redirect = Redirect.Split(source);
        IReadOnlyList<TextStatement> statements;
        try
        {
            // A file's statement is parsed after blank lines for the lines before it: its errors give the file's line numbers.
            var lead = typed ? "" : new string('\n', script.StatementLine - 1);
            statements = TextQuery.Parse(lead + (redirect?.Statement ?? source), _names);
        }
        catch (QuerySyntaxException e)
        {
            // An unfinished statement (open parenthesis, trailing operator...) continues on the next line;
            // an empty line ends it and shows the error.
            if (IsIncomplete(e) && redirect is null && line.Trim().Length > 0 && !last)
            {
                script.Pending = source;
                return Outcome.Next;
            }
            script.Pending = "";
            if (typed) Remember(source);
            _console.MarkupLine("[red]" + Markup.Escape(typed ? e.Message : $"{script.File}: {e.Message}") + "[/]");
            return Outcome.Failed;
        }
        script.Pending = "";
        if (typed) Remember(source);
        if (redirect is not null && (redirect.Path.Length == 0 || statements.Count(s => s is not LetStatement) != 1))
        {
            Error(script, redirect.Path.Length == 0
                ? "'>' needs a file name after it: ids month(active) > ids.txt"
                : "'>' writes the result of one statement: put the others on lines of their own.");
            return Outcome.Failed;
        }
        foreach (var statement in statements)
        {
            if (ct.IsCancellationRequested) return Outcome.Failed;
            if (statement is LetStatement let)
            {
                _names[let.Name] = let.Set;
                _console.MarkupLine($"[grey]{Markup.Escape(let.Name)} = {Markup.Escape(let.Set.Text)}[/]");
                continue;
            }
            // After a failure or Ctrl-C, skip the rest of the line (and of a file).
            if (!await RunAsync(statement, redirect, ct).ConfigureAwait(false))
            {
                if (!typed) _console.MarkupLine($"[grey]{Markup.Escape(script.File!)}, line {script.StatementLine}: the statements after it did not run[/]");
                return Outcome.Failed;
            }
        }
        return Outcome.Next;
    }

    /// <summary>An error of a typed line, or of a file's statement with the file and line it starts on.</summary>
    private void Error(Script script, string message) =>
        _console.MarkupLine("[red]" + Markup.Escape(script.File is { } file ? $"{file}, line {script.StatementLine}: {message}" : message) + "[/]");

    /// <summary>
    /// <c>.read FILE</c>: runs the file's lines as if typed (statements over several lines, <c>let</c> names that stay,
    /// the REPL's commands, <c>&gt; FILE</c>), not added to the history; the first failure stops the file, as a script.
    /// </summary>
    private async Task<Outcome> ReadFileAsync(string path, int depth, CancellationToken ct)
    {
        if (path.Length >= 2 && path[0] is '\'' or '"' && path[^1] == path[0]) path = path[1..^1];
        if (path.Length == 0)
        {
            _console.MarkupLine("[red].read needs a file of statements: .read queries.bmq[/]");
            return Outcome.Failed;
        }
        if (depth > MaxReadDepth)
        {
            _console.MarkupLine("[red]" + Markup.Escape($".read {path}: more than {MaxReadDepth} files read each other (does one read itself?); nothing more was read.") + "[/]");
            return Outcome.Failed;
        }
        string[] lines;
        try
        {
            lines = (await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)).ReplaceLineEndings("\n").Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _console.MarkupLine("[red]" + Markup.Escape($"Cannot read '{path}': {e.Message}") + "[/]");
            return Outcome.Failed;
        }
        var script = new Script(path, depth);
        for (var i = 0; i < lines.Length; i++)
        {
            script.Line = i + 1;
            var outcome = await FeedAsync(script, lines[i], last: i == lines.Length - 1, ct).ConfigureAwait(false);
            if (outcome == Outcome.Exit) return Outcome.Next; // exit ends the file, not the session
            if (outcome == Outcome.Failed) return Outcome.Failed;
        }
        return Outcome.Next;
    }

    /// <summary>
    /// <c>universe</c> (or <c>set universe</c>) shows the universe, <c>set universe SET</c> sets it for the statements
    /// after it, <c>unset universe</c> removes it. Null when <paramref name="line"/> is none of them; false when the set was refused.
    /// </summary>
    private bool? UniverseCommand(string line)
    {
        var words = line.Trim().TrimEnd(';').Split((char[]?)null, 3, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        switch (words.Select((w, i) => i < 2 ? w.ToLowerInvariant() : w).ToArray())
        {
            case ["universe"] or ["set", "universe"]:
                _console.MarkupLine(Universe is { } u
                    ? $"universe = {Markup.Escape(u.Text)}"
                    : "[grey]no universe: users, ~x and not x need one; set it with[/] set universe unique(user) [grey](or --universe)[/]");
                return true;
            case ["unset", "universe"]:
                UseUniverse(null);
                _console.MarkupLine("[grey]no universe[/]");
                return true;
            case ["set", "universe", _]:
                SetExpr set;
                try
                {
                    set = GlobalOptions.ParseUniverse(words[2], "set universe", _names);
                }
                catch (CliException e)
                {
                    _console.MarkupLine("[red]" + Markup.Escape(e.Message) + "[/]");
                    return false;
                }
                UseUniverse(set);
                _console.MarkupLine($"[grey]universe = {Markup.Escape(set.Text)}[/]");
                return true;
            default:
                return null;
        }
    }

    /// <summary>
    /// Runs the next statements with <paramref name="universe"/>: a view of the opened store with that universe, over
    /// the same back end (no new connection). The view is never disposed: the opened store owns the back end.
    /// </summary>
    private void UseUniverse(SetExpr? universe)
    {
        _store = universe == _opened.Options.Universe ? _opened : new BitmapStore(_opened.Backend, _opened.Options with { Universe = universe });
        _executor = new StatementExecutor(_store);
    }

    /// <summary>True when the error is at the end of the text: more input could complete the statement.</summary>
    internal static bool IsIncomplete(QuerySyntaxException e) =>
        // Contains, not EndsWith: a suggestion may follow ("... found the end of the query (did you mean 'percent' ...?)").
        e.Problem.Contains("end of the query", StringComparison.Ordinal);

    private void Remember(string source)
    {
        // One history entry per statement, on one line, unless a comment would swallow the lines after it.
        var lines = source.Split('\n');
        if (lines.Any(l => l.Contains('#', StringComparison.Ordinal) || l.Contains("--", StringComparison.Ordinal)))
            foreach (var l in lines) History.Add(l);
        else History.Add(string.Join(' ', lines.Select(l => l.Trim()).Where(l => l.Length > 0)));
    }

    /// <summary>Runs one statement, watching for Ctrl-C and showing a spinner while it is slow; false when it failed.</summary>
    private async Task<bool> RunAsync(TextStatement statement, Redirect? redirect, CancellationToken ct)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clock = Stopwatch.StartNew();
        var work = Task.Run(() => redirect is null ? Materialize(statement, cancel.Token) : WriteAsync(statement, redirect, cancel.Token), CancellationToken.None);
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
            _renderer.Render(result);
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
            // The library's fix says what a universe is; here it can be given at once.
            if (e is Linq.BitmapistQueryException && Universe is null && message.Contains("no universe is configured", StringComparison.Ordinal))
                _console.MarkupLine("[grey]Set one for this session with[/] set universe unique(user) [grey](your flag of every user), or start with --universe.[/]");
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

    /// <summary>Runs the statement and reads the ids it shows (<see cref="ReplRenderer.PrepareAsync"/>), so the work and its timing end together.</summary>
    /// <remarks><c>events</c> shows each event's users this month and of its unique flag (<see cref="EventCounts"/>), counted here, in one batch.</remarks>
    private async Task<StatementResult> Materialize(TextStatement statement, CancellationToken ct)
    {
        var result = await _execute(statement, ct).ConfigureAwait(false);
        if (result is EventsResult { Names.Count: > 0 } events) return await EventCounts.CountAsync(_store, events, ct).ConfigureAwait(false);
        return await ReplRenderer.PrepareAsync(result, ct).ConfigureAwait(false);
    }

    /// <summary>Runs the statement and writes its whole result into the redirect's file (<see cref="ResultFile"/>), in the format its extension names.</summary>
    private async Task<StatementResult> WriteAsync(TextStatement statement, Redirect to, CancellationToken ct)
    {
        var result = await _execute(statement, ct).ConfigureAwait(false);
        var ids = await ResultFile.WriteAsync(result, to.Path, to.Format, ct).ConfigureAwait(false);
        return new ReplRenderer.WrittenFile(Path.GetFullPath(to.Path), ids) { Warnings = result.Warnings };
    }

    private void Help()
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle("statements (grammar/README.md has them all)") };
        // Side by side when both fit on the terminal's row (borders and padding: 7 columns), else each example under
        // its statement: a long syntax (a trend's) wrapped over two lines reads as two statements.
        if (HelpRows.Max(r => r.Statement.Length) + HelpRows.Max(r => r.Example.Length) + 7 <= _console.Profile.Width)
        {
            table.AddColumn("statement");
            table.AddColumn("example");
            foreach (var (statement, example) in HelpRows) table.AddRow(new Text(statement), new Text(example));
        }
        else
        {
            table.AddColumn("statement, then an example");
            foreach (var (statement, example) in HelpRows) table.AddRow(new Markup(Markup.Escape(statement) + "\n  [grey]" + Markup.Escape(example) + "[/]"));
        }
        _console.Write(table);
        _console.MarkupLine(Markup.Escape(SetsHelp));
        _console.MarkupLine(Markup.Escape("Session: set universe SET (what users, ~x and not x mean, e.g. set universe unique(user)); universe shows it; unset universe removes it. " +
            ".read FILE runs a file of statements; STATEMENT > FILE writes its whole result to a file (ids month(active) > ids.txt; .csv and .json by the extension)."));
        _console.MarkupLine(Markup.Escape(
            "Keys: Tab completes keywords, functions and events; Up/Down history; Ctrl-R searches it; Ctrl-A/E start/end; Ctrl-U/K/W delete; " +
            "Ctrl-L clears; Ctrl-C cancels the running statement or the line (at an empty prompt it exits); Ctrl-D or exit/quit leaves. " +
            "An unfinished statement continues on the next line; an empty line ends it."));
    }

    /// <summary>The line of help on sets and operators (interactive and piped).</summary>
    internal const string SetsHelp =
        "Sets: year/month/week/day/hour(event[, date | offset | a..b]), all day(event, -6..0), event during a..b, unique(event), " +
        "{1, 2}, users, key('raw'), let names; operators or |, xor ^, and &, -, not ! ~.";

    /// <summary>The statements (from the grammar's keyword table, so a new statement shows up here by itself), then the REPL's own words.</summary>
    internal static readonly IReadOnlyList<(string Statement, string Example)> HelpRows =
    [
        .. Bitmapist.Grammar.QueryGrammar.Keywords.Where(k => k.Help is not null).Select(k => (k.Help!.Syntax, k.Help.Example)),
        ("SET (a count)", "day(active, -6..0) - unique(premium)"),
        ("help, exit, quit", "help"),
    ];
}
