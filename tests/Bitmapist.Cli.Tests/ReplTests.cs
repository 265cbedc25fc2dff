using System.Globalization;
using Bitmapist.Cli.Commands;
using Bitmapist.Cli.Repl;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Tests;

/// <summary>The interactive REPL, driven in process through a <see cref="ScriptedTerminal"/>.</summary>
public sealed class ReplTests(SampleFile sample) : IClassFixture<SampleFile>, IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();

    public void Dispose() => _dir.Dispose();

    private string HistoryFile => _dir.File("history");

    /// <summary>Types <paramref name="keys"/>, closes the terminal and runs a session to its end.</summary>
    private async Task<(ScriptedTerminal Terminal, ReplSession Session, int ExitCode)> Run(string keys, Action<ScriptedTerminal>? more = null, RunStatement? execute = null)
    {
        var terminal = new ScriptedTerminal();
        terminal.Type(keys);
        more?.Invoke(terminal);
        terminal.Close();
        await using var store = CliHarness.OpenStore(sample.Path);
        var session = new ReplSession(terminal, store, new History(HistoryFile), "test", execute);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var code = await session.RunAsync(timeout.Token);
        return (terminal, session, code);
    }

    private async Task<long> Count(string query)
    {
        await using var store = CliHarness.OpenStore(sample.Path);
        var statement = (QueryStatement)TextQuery.Parse(query).Single();
        return await store.Set(statement.Query.Set).CountAsync();
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_statement_prints_a_table_and_its_timing()
    {
        var (terminal, _, code) = await Run("count month(active)\n");
        code.ShouldBe(0);
        var screen = terminal.Screen;
        screen.ShouldContain("bitmapist> count month(active)");
        screen.ShouldMatch(@"│\s+count │");
        screen.ShouldContain(N(await Count("count month(active)")));
        screen.ShouldMatch(@"\(\d+\.\d+ m?s\)");
    }

    [Fact]
    public async Task Tab_completes_keywords_functions_and_event_names()
    {
        // cou -> count, mon -> month(, act -> active (from the store), 'song: -> 'song:played'
        var (_, session, _) = await Run("cou\tmon\tact\t)\ncount day('song:\t)\ncount week(so\t)\n");
        session.History.Entries.ShouldBe(["count month(active)", "count day('song:played')", "count week(song:played)"]);
    }

    [Fact]
    public async Task Tab_lists_the_candidates_when_it_cannot_choose()
    {
        var (terminal, session, _) = await Run("e\t\u0003\u0003");
        terminal.Screen.ShouldContain("events");
        terminal.Screen.ShouldContain("explain");
        session.History.Entries.ShouldBeEmpty();
    }

    [Fact]
    public async Task Tab_completes_let_names_of_the_session()
    {
        var (terminal, session, _) = await Run("let retained = month(active) & week(active)\ncount ret\t\n");
        session.Names.Keys.ShouldBe(["retained"]);
        session.History.Entries[^1].ShouldBe("count retained");
        terminal.Screen.ShouldContain(N(await Count("count month(active) & week(active)")));
    }

    [Fact]
    public async Task Up_and_down_walk_the_history_which_is_kept_across_sessions()
    {
        await File.WriteAllLinesAsync(HistoryFile, ["count day(active)", "events"]);
        var (terminal, session, _) = await Run("count month(signup)", t =>
        {
            t.Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow) // the oldest, and no further
             .Press(ConsoleKey.DownArrow).Press(ConsoleKey.DownArrow).Press(ConsoleKey.DownArrow) // back to the draft
             .Type("\n")
             .Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow).Type("\n"); // count day(active)
        });
        session.History.Entries.ShouldBe(["count day(active)", "events", "count month(signup)", "count day(active)"]);
        terminal.Screen.ShouldContain(N(await Count("count month(signup)")));
        terminal.Screen.ShouldContain(N(await Count("count day(active)")));

        // A new session reads them back.
        (await File.ReadAllLinesAsync(HistoryFile)).ShouldBe(["count day(active)", "events", "count month(signup)", "count day(active)"]);
        var (_, next, _) = await Run("", t => t.Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow).Type("\n"));
        next.History.Entries[^1].ShouldBe("count month(signup)");
    }

    [Fact]
    public async Task An_unfinished_statement_continues_on_the_next_line()
    {
        var (terminal, session, _) = await Run("count month(active\n)\nmonth(active) &\nweek(active)\n");
        var screen = terminal.Screen;
        screen.ShouldContain(ReplSession.ContinuationPrompt + ")");
        screen.ShouldContain(ReplSession.ContinuationPrompt + "week(active)");
        screen.ShouldContain(N(await Count("count month(active)")));
        screen.ShouldContain(N(await Count("count month(active) & week(active)")));
        session.History.Entries.ShouldBe(["count month(active )", "month(active) & week(active)"]);
    }

    [Fact]
    public async Task An_empty_line_ends_an_unfinished_statement_with_its_error()
    {
        var (terminal, _, code) = await Run("count month(active\n\ncount day(active)\n");
        code.ShouldBe(0);
        terminal.Screen.ShouldContain("expected ')' or ','");
        terminal.Screen.ShouldContain(N(await Count("count day(active)")));
    }

    [Fact]
    public async Task A_syntax_error_shows_the_caret_and_the_session_goes_on()
    {
        var (terminal, _, _) = await Run("count mnth(active)\ncount day(active)\n");
        var screen = terminal.Screen;
        screen.ShouldContain("unknown function 'mnth': did you mean month?");
        screen.ShouldContain("count mnth(active)\n      ^");
        screen.ShouldContain(N(await Count("count day(active)")));
    }

    [Fact]
    public async Task Ctrl_C_cancels_the_running_statement_and_the_session_goes_on()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = false;
        var terminal = new ScriptedTerminal();
        await using var store = CliHarness.OpenStore(sample.Path);
        var session = new ReplSession(terminal, store, new History(null), "test", async (statement, ct) =>
        {
            if (statement.Text.Contains("signup", StringComparison.Ordinal))
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    cancelled = true;
                    throw;
                }
            }
            return await new StatementExecutor(store).ExecuteAsync(statement, null, ct);
        })
        { SpinnerDelay = TimeSpan.FromMilliseconds(20) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        terminal.Type("count month(signup)\n");
        var run = session.RunAsync(timeout.Token);
        await started.Task.WaitAsync(timeout.Token);
        await Task.Delay(300, timeout.Token); // the spinner shows
        terminal.Type("\u0003count day(active)\nexit\n");
        terminal.Close();
        (await run).ShouldBe(0);
        cancelled.ShouldBeTrue();
        var output = terminal.Output;
        output.ShouldContain("running");
        output.ShouldContain("(Ctrl-C cancels)");
        terminal.Screen.ShouldContain("Cancelled");
        terminal.Screen.ShouldContain(N(await Count("count day(active)")));
    }

    [Fact]
    public async Task Keys_typed_while_a_statement_runs_are_kept_for_the_next_prompt()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var terminal = new ScriptedTerminal();
        await using var store = CliHarness.OpenStore(sample.Path);
        var session = new ReplSession(terminal, store, new History(null), "test", async (statement, ct) =>
        {
            if (statement.Text.Contains("signup", StringComparison.Ordinal)) await release.Task.WaitAsync(ct);
            return await new StatementExecutor(store).ExecuteAsync(statement, null, ct);
        });
        terminal.Type("count month(signup)\ncount day(active)\n");
        terminal.Close();
        var run = session.RunAsync(CancellationToken.None);
        await Task.Delay(200);
        release.SetResult();
        (await run.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(0);
        terminal.Screen.ShouldContain(N(await Count("count month(signup)")));
        terminal.Screen.ShouldContain(N(await Count("count day(active)")));
    }

    [Fact]
    public async Task Ctrl_C_with_text_drops_the_line_and_at_an_empty_prompt_exits()
    {
        var (terminal, session, code) = await Run("count month(active)\u0003\u0003count day(active)\n");
        code.ShouldBe(0);
        session.History.Entries.ShouldBeEmpty(); // the first line was dropped, the session ended before the last
        terminal.Screen.ShouldContain("^C");
        terminal.Screen.ShouldNotContain(N(await Count("count day(active)")));
    }

    [Theory]
    [InlineData("\u0004")]
    [InlineData("exit\n")]
    [InlineData("quit;\n")]
    [InlineData("QUIT\n")]
    public async Task Ctrl_D_exit_and_quit_end_the_session(string keys)
    {
        var (_, _, code) = await Run(keys + "count day(active)\n");
        code.ShouldBe(0);
    }

    [Fact]
    public async Task Help_lists_the_statements_with_examples()
    {
        var (terminal, _, _) = await Run("help\n");
        foreach (var (statement, example) in ReplSession.HelpRows)
        {
            terminal.Screen.ShouldContain(statement);
            terminal.Screen.ShouldContain(example);
        }
    }

    [Fact]
    public async Task A_cohort_renders_as_a_table_with_the_average_row()
    {
        var (terminal, _, _) = await Run("cohort signup then active by day rows 3 cols 2\n");
        terminal.Screen.ShouldContain("average");
        terminal.Screen.ShouldContain("total");
        terminal.Screen.ShouldContain("returned t periods later");
    }

    [Fact]
    public async Task Every_statement_renders()
    {
        var (terminal, _, _) = await Run(
            "percent month(active) of month(signup)\nids day(active) limit 3\nids day(active)\n1 in month(active)\nexplain count month(active)\nevents song\nevents nothing\n");
        var screen = terminal.Screen;
        screen.ShouldContain("percent");
        screen.ShouldContain("3 ids");
        screen.ShouldContain("100 ids shown, more follow");
        screen.ShouldMatch(@"│\s+1 │ (true|false) │");
        screen.ShouldContain("plan");
        screen.ShouldContain("trackist_active_2026-11");
        screen.ShouldContain("song:played");
        screen.ShouldContain("no events");
    }

    [Fact]
    public async Task The_line_editor_moves_inserts_and_deletes()
    {
        var (_, session, _) = await Run("", t =>
        {
            t.Type("month(activ)").Press(ConsoleKey.LeftArrow).Type("e").Press(ConsoleKey.Home).Type("count ").Type("\n"); // count month(active)
            t.Type("junk words").Press(ConsoleKey.U, control: true).Type("count day(x)").Press(ConsoleKey.W, control: true)
             .Type("day(active)").Press(ConsoleKey.A, control: true).Press(ConsoleKey.Delete).Type("C")
             .Press(ConsoleKey.E, control: true).Type("x\b").Type("\n"); // Count day(active)
            t.Type("count week(active) & day(active)").Press(ConsoleKey.LeftArrow, control: true).Press(ConsoleKey.K, control: true)
             .Type("\b\b\n"); // count week(active)
        });
        session.History.Entries.ShouldBe(["count month(active)", "Count day(active)", "count week(active)"]);
    }

    [Fact]
    public async Task A_long_line_scrolls_sideways_and_still_runs()
    {
        var terminal = new ScriptedTerminal(width: 30);
        var text = "count month(active) & week(active) & day(active, -6..0)";
        terminal.Type(text + "\n").Close();
        await using var store = CliHarness.OpenStore(sample.Path);
        var session = new ReplSession(terminal, store, new History(null), "test");
        (await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30))).ShouldBe(0);
        session.History.Entries.ShouldBe([text]);
        foreach (var line in terminal.Screen.Split('\n').Where(l => l.StartsWith(ReplSession.Prompt, StringComparison.Ordinal)))
            line.Length.ShouldBeLessThan(30);
    }

    [Fact]
    public async Task The_repl_command_runs_on_a_terminal_through_the_command_line()
    {
        var terminal = new ScriptedTerminal();
        terminal.Type("count month(active)\nexit\n").Close();
        var input = new ReplInput(true, TextReader.Null, () => terminal);
        foreach (var args in new[] { new[] { "repl" }, [] })
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await Cli.RunAsync([.. args, "--data", sample.Path, "--now", CliHarness.Now, "--history", HistoryFile], stdout, stderr, input);
            code.ShouldBe(0, stderr.ToString());
            stdout.ToString().ShouldBeEmpty(); // the terminal gets everything
            terminal = new ScriptedTerminal();
            terminal.Type("count day(active)\nexit\n").Close();
            input = new ReplInput(true, TextReader.Null, () => terminal);
        }
        (await File.ReadAllLinesAsync(HistoryFile)).ShouldBe(["count month(active)", "count day(active)"]);
    }

    [Fact]
    public void The_history_file_is_taken_from_the_environment_or_the_home_directory()
    {
        var saved = Environment.GetEnvironmentVariable(History.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(History.EnvironmentVariable, HistoryFile);
            History.DefaultPath().ShouldBe(HistoryFile);
            Environment.SetEnvironmentVariable(History.EnvironmentVariable, null);
            History.DefaultPath()!.ShouldEndWith(".bitmapist_history");
        }
        finally
        {
            Environment.SetEnvironmentVariable(History.EnvironmentVariable, saved);
        }
    }

    [Fact]
    public void Completion_quotes_event_names_that_need_it()
    {
        Completer.Quote("song:played").ShouldBe("song:played");
        Completer.Quote("sign-up").ShouldBe("'sign-up'");
        Completer.Quote("count").ShouldBe("'count'");
        Completer.Quote("it's").ShouldBe("'it''s'");
        Completer.WordStart("count day('sign-u", 17).ShouldBe(10);
        Completer.WordStart("count day(act", 13).ShouldBe(10);
        Completer.WordStart("count a -- comm", 15).ShouldBe(15);
    }
}
