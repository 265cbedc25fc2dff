using System.Globalization;
using System.Text.Json;
using Bitmapist.Cli.Repl;
using Bitmapist.Linq.Query;

namespace Bitmapist.Cli.Tests;

/// <summary>The REPL and files: <c>.read FILE</c> runs a file of statements, <c>STATEMENT &gt; FILE</c> writes a result to one; <c>bitmapist ids --output</c>.</summary>
public sealed class ReplFilesTests(SampleFile sample) : IClassFixture<SampleFile>, IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();

    public void Dispose() => _dir.Dispose();

    private async Task<(ScriptedTerminal Terminal, ReplSession Session)> Run(string keys)
    {
        var terminal = new ScriptedTerminal(width: 160);
        terminal.Type(keys);
        terminal.Close();
        await using var store = CliHarness.OpenStore(sample.Path);
        var session = new ReplSession(terminal, store, new History(null), "test");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        (await session.RunAsync(timeout.Token)).ShouldBe(0);
        return (terminal, session);
    }

    private async Task<List<long>> Ids(SetExpr set)
    {
        await using var store = CliHarness.OpenStore(sample.Path);
        return await store.Set(set).ToListAsync();
    }

    private static readonly SetExpr MonthActive = SetExpr.Event("active", Linq.Model.Period.Month(2026, 11));

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private string Script(string name, string text)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task Read_runs_a_file_as_if_typed_and_only_the_command_goes_to_the_history()
    {
        var path = Script("q.bmq", "-- a report\nlet recent = day(active, -6..0)\ncount recent &\n  month(active)\n\nset universe {1, 2, 3}\ncount users\n");
        var (terminal, session) = await Run($".read {path}\ncount recent\n");
        var screen = terminal.Screen;
        session.Names.Keys.ShouldBe(["recent"]); // the file's let stays
        session.Universe.ShouldNotBeNull(screen);
        session.Universe.Text.ShouldBe("{1, 2, 3}");
        screen.ShouldMatch(@"│\s+3 │");
        session.History.Entries.ShouldBe([$".read {path}", "count recent"]);
        await using var store = CliHarness.OpenStore(sample.Path);
        var recent = await store.Set(Linq.Text.TextQuery.ParseSet("day(active, -6..0)")).CountAsync();
        var both = await store.Set(Linq.Text.TextQuery.ParseSet("day(active, -6..0) & month(active)")).CountAsync();
        screen.ShouldMatch($@"│\s+{N(both)} │");
        screen.ShouldMatch($@"│\s+{N(recent)} │");
    }

    [Fact]
    public async Task A_statement_continues_on_the_next_line_when_the_error_at_its_end_comes_with_a_suggestion()
    {
        // "count recent &" ends with "found the end of the query (did you mean 'percent' ...?)": still unfinished.
        var (terminal, session) = await Run("let recent = {1, 2, 3}\ncount recent &\n{2, 3, 4}\n");
        terminal.Screen.ShouldMatch(@"│\s+2 │");
        session.History.Entries[^1].ShouldBe("count recent & {2, 3, 4}");
    }

    [Fact]
    public async Task A_failure_stops_the_file_and_says_where_and_the_session_goes_on()
    {
        var path = Script("bad.bmq", "count {1}\ncount ~month(active)\ncount {7, 8, 9, 10, 11}\n");
        var syntax = Script("syntax.bmq", "count {1, 2}\n\ncount month(\n\ncount {5, 6, 7, 8, 9, 10, 11}\n");
        var (terminal, _) = await Run($".read {path}\n.read {syntax}\ncount {{1, 2, 3, 4}}\n");
        var screen = terminal.Screen;
        screen.ShouldContain("needs the universe");
        screen.ShouldContain($"{path}, line 2: the statements after it did not run");
        screen.ShouldNotMatch(@"│\s+5 │");
        screen.ShouldContain($"{syntax}: Line 3, column 13");
        screen.ShouldNotMatch(@"│\s+7 │");
        screen.ShouldMatch(@"│\s+2 │");
        screen.ShouldMatch(@"│\s+4 │"); // typed after both files
    }

    [Fact]
    public async Task Exit_ends_the_file_not_the_session_and_a_file_that_reads_itself_stops()
    {
        var exits = Script("exit.bmq", "count {1, 2}\nexit\ncount {1, 2, 3, 4, 5}\n");
        var loop = _dir.File("loop.bmq");
        File.WriteAllText(loop, $"count {{1}}\n.read {loop}\n");
        var (terminal, _) = await Run($".read {exits}\n.read {loop}\n.read {_dir.File("none.bmq")}\n.read\ncount {{1, 2, 3}}\n");
        var screen = terminal.Screen;
        screen.ShouldMatch(@"│\s+2 │");
        screen.ShouldNotMatch(@"│\s+5 │");
        screen.ShouldContain($"more than {ReplSession.MaxReadDepth} files read each other");
        screen.ShouldContain("Cannot read");
        screen.ShouldContain(".read needs a file of statements");
        screen.ShouldMatch(@"│\s+3 │");
    }

    [Fact]
    public async Task Ids_into_a_file_writes_every_id_one_a_line()
    {
        var expected = await Ids(MonthActive);
        expected.Count.ShouldBeGreaterThan(ReplRenderer.IdsShown); // more than the screen shows
        var txt = _dir.File("ids.txt");
        var (terminal, _) = await Run($"ids month(active) > {txt}\n");
        (await File.ReadAllLinesAsync(txt)).Select(long.Parse).ShouldBe(expected);
        terminal.Screen.ShouldContain($"wrote {N(expected.Count)} ids to {txt}");
        File.Exists(txt + ".partial").ShouldBeFalse();
    }

    [Fact]
    public async Task The_extension_picks_the_format_and_a_limit_is_kept()
    {
        var expected = await Ids(MonthActive);
        var csv = _dir.File("ids.csv");
        var json = _dir.File("my ids.json");
        var count = _dir.File("count.txt");
        await Run($"ids month(active) limit 5 > {csv}\nids month(active) > '{json}' -- quoted, with a comment\ncount month(active)>{count};\n");
        (await File.ReadAllTextAsync(csv)).ReplaceLineEndings("\n").ShouldBe("id\n" + string.Join("\n", expected.Take(5)) + "\n");
        using (var doc = JsonDocument.Parse(await File.ReadAllTextAsync(json)))
            doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe(expected);
        (await File.ReadAllTextAsync(count)).ReplaceLineEndings("\n").ShouldBe($"count\n{expected.Count}\n");
    }

    [Fact]
    public async Task A_redirect_needs_a_file_and_one_statement_and_a_failed_write_leaves_no_file()
    {
        var missing = Path.Combine(_dir.Path, "no such folder", "ids.txt");
        var (terminal, _) = await Run($"ids month(active) >\ncount {{1}}; count {{2}} > {_dir.File("two.txt")}\nids month(active) > {missing}\n");
        var screen = terminal.Screen;
        screen.ShouldContain("'>' needs a file name");
        screen.ShouldContain("'>' writes the result of one statement");
        screen.ShouldContain("no such folder");
        File.Exists(_dir.File("two.txt")).ShouldBeFalse();
        Directory.GetFiles(_dir.Path).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("ids month(active) > out.txt", "ids month(active) ", "out.txt")]
    [InlineData("count month('a>b') > 'x y.txt'", "count month('a>b') ", "x y.txt")]
    [InlineData("count month(a) # > not a redirect", null, null)]
    [InlineData("count month(a) > f.txt -- the ids", "count month(a) ", "f.txt")]
    [InlineData("count month(a) > 'it''s.txt'", "count month(a) ", "it's.txt")]
    public void A_redirect_is_the_last_greater_than_outside_quotes_and_comments(string source, string? statement, string? path)
    {
        var redirect = Redirect.Split(source);
        redirect?.Statement.ShouldBe(statement);
        redirect?.Path.ShouldBe(path);
        (redirect is null).ShouldBe(statement is null);
    }

    [Fact]
    public async Task Ids_output_writes_the_file_in_the_format_and_prints_nothing()
    {
        var expected = await Ids(MonthActive);
        var txt = _dir.File("out.txt");
        var run = await CliHarness.Run("ids", "active", "--period", "month", "--data", sample.Path, "--now", CliHarness.Now, "--output", txt);
        run.ExitCode.ShouldBe(0, run.Err);
        run.Out.ShouldBeEmpty();
        run.Err.ShouldContain($"wrote {N(expected.Count)} ids to '{txt}'");
        (await File.ReadAllLinesAsync(txt)).Select(long.Parse).ShouldBe(expected);
        var json = _dir.File("out.json");
        (await CliHarness.Run(sample.Args("ids", "active", "--period", "month", "--limit", "3", "-o", json))).ExitCode.ShouldBe(0);
        (await File.ReadAllTextAsync(json)).ShouldBe($"{{\"ids\":[{string.Join(",", expected.Take(3))}]}}\n");
        (await CliHarness.Run(sample.Args("ids", "active", "--output", Path.Combine(_dir.Path, "none", "x.txt")))).ShouldFailWith(Cli.Failed, "none");
    }
}
