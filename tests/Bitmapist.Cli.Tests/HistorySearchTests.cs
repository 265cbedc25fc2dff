using Bitmapist.Cli.Repl;

namespace Bitmapist.Cli.Tests;

/// <summary>Ctrl-R in the line editor: reverse search of the history, as bash's reverse-i-search.</summary>
public sealed class HistorySearchTests
{
    private static History Entries(params string[] entries)
    {
        var history = new History(null);
        foreach (var e in entries) history.Add(e);
        return history;
    }

    private static readonly string[] Past =
    [
        "count month(active)",
        "ids day(signup) limit 5",
        "count week('song:played')",
        "percent month(active) of month(signup)",
        "events",
    ];

    /// <summary>Types the keys into an editor over <see cref="Past"/> and reads one line.</summary>
    private static async Task<(ReadResult Read, ScriptedTerminal Terminal)> Read(Action<ScriptedTerminal> keys)
    {
        var terminal = new ScriptedTerminal(width: 80);
        keys(terminal);
        terminal.Close();
        var editor = new LineEditor(terminal, Entries(Past), null);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return (await editor.ReadLineAsync("bitmapist> ", timeout.Token), terminal);
    }

    private static void CtrlR(ScriptedTerminal t) => t.Press(ConsoleKey.R, control: true);

    [Fact]
    public async Task Typing_finds_the_newest_entry_holding_the_text_and_Enter_runs_it()
    {
        var (read, terminal) = await Read(t =>
        {
            CtrlR(t);
            t.Type("month\n");
        });
        read.ShouldBe(new ReadResult(ReadStatus.Line, "percent month(active) of month(signup)"));
        terminal.Output.ShouldContain("(reverse-i-search)'month': percent month(active) of month(signup)");
    }

    [Fact]
    public async Task Ctrl_R_again_finds_older_entries_and_the_search_ignores_case()
    {
        var (read, _) = await Read(t =>
        {
            CtrlR(t);
            t.Type("MONTH");
            CtrlR(t);
            t.Type("\n");
        });
        read.Text.ShouldBe("count month(active)");
    }

    [Fact]
    public async Task A_search_that_finds_nothing_says_so_and_keeps_the_last_entry_found()
    {
        var (read, terminal) = await Read(t =>
        {
            CtrlR(t);
            t.Type("song:pz");
            t.Type("\n");
        });
        terminal.Output.ShouldContain("(failed reverse-i-search)'song:pz': count week('song:played')");
        read.Text.ShouldBe("count week('song:played')");
    }

    [Fact]
    public async Task Backspace_widens_the_search_again()
    {
        var (read, _) = await Read(t =>
        {
            CtrlR(t);
            t.Type("signupx\b\n"); // "signupx" fails; back to "signup": the newest holding it
        });
        read.Text.ShouldBe("percent month(active) of month(signup)");
    }

    [Fact]
    public async Task Another_key_takes_the_entry_into_the_line_for_editing()
    {
        var (read, _) = await Read(t =>
        {
            CtrlR(t);
            t.Type("limit");
            t.Press(ConsoleKey.End);
            t.Type("0\n"); // limit 5 -> limit 50
        });
        read.Text.ShouldBe("ids day(signup) limit 50");
    }

    [Fact]
    public async Task Escape_ends_the_search_with_the_entry_and_Ctrl_G_gives_it_up()
    {
        var (kept, _) = await Read(t =>
        {
            CtrlR(t);
            t.Type("ids");
            t.Press(new ConsoleKeyInfo('\x1b', ConsoleKey.Escape, false, false, false));
            t.Press(ConsoleKey.A, control: true);
            t.Type("explain \n");
        });
        kept.Text.ShouldBe("explain ids day(signup) limit 5");
        var (restored, _) = await Read(t =>
        {
            t.Type("count ");
            CtrlR(t);
            t.Type("ids");
            t.Press(ConsoleKey.G, control: true);
            t.Type("users\n");
        });
        restored.Text.ShouldBe("count users");
    }

    [Fact]
    public async Task Up_after_a_search_goes_on_from_the_entry_found()
    {
        var (read, _) = await Read(t =>
        {
            CtrlR(t);
            t.Type("ids");
            t.Press(ConsoleKey.UpArrow);
            t.Type("\n");
        });
        read.Text.ShouldBe("count month(active)");
    }

    [Fact]
    public async Task The_REPL_runs_what_the_search_found()
    {
        var dir = CliHarness.TempDir();
        try
        {
            var path = dir.File("history");
            await File.WriteAllLinesAsync(path, ["count {1, 2, 3}", "count {4}"]);
            var terminal = new ScriptedTerminal();
            CtrlR(terminal);
            terminal.Type("2\n");
            terminal.Close();
            await using var store = new Linq.Stores.EmbeddedStore();
            var session = new ReplSession(terminal, store, new History(path), "test");
            (await session.RunAsync(CancellationToken.None)).ShouldBe(0);
            terminal.Screen.ShouldMatch(@"│\s+3 │");
        }
        finally
        {
            dir.Dispose();
        }
    }
}
