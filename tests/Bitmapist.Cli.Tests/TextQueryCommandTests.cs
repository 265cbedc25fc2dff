using System.Text.Json;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Cli.Tests;

/// <summary><c>bitmapist query</c>: statements of the text language against a sample file, checked against the library.</summary>
public sealed class TextQueryCommandTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private static IReadOnlyList<JsonElement> JsonLines(CliResult result)
    {
        result.ExitCode.ShouldBe(0, $"stderr: {result.Err}");
        return [.. result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    [Fact]
    public async Task Every_statement_prints_one_json_line()
    {
        var result = await CliHarness.Run(sample.Args("query", """
            count month(active) & week('song:played')
            ids day(active, 2026-11-28) limit 3
            7 in {7, 8}; 9 in {7, 8}
            percent month(active) of month(signup) -- a comment
            events s
            let a = month(active)
            count a - unique(premium)
            explain count a
            """));
        var lines = JsonLines(result);
        lines.Count.ShouldBe(8);
        using var store = CliHarness.OpenStore(sample.Path);
        var active = store.Month("active");
        lines[0].GetProperty("count").GetInt64().ShouldBe(await (active & store.Week("song:played")).CountAsync());
        lines[1].GetProperty("ids").EnumerateArray().Select(e => e.GetInt64())
            .ShouldBe((await store.Day("active", 2026, 11, 28).ToListAsync()).Take(3));
        lines[2].GetProperty("contains").GetBoolean().ShouldBeTrue();
        lines[3].GetProperty("contains").GetBoolean().ShouldBeFalse();
        var signups = await store.Month("signup").CountAsync();
        lines[4].GetProperty("percent").GetDouble()
            .ShouldBe(100.0 * await (active & store.Month("signup")).CountAsync() / signups, 1e-9);
        lines[5].GetProperty("events").EnumerateArray().Select(e => e.GetString()).ShouldBe(["signup", "song:played"]);
        lines[6].GetProperty("count").GetInt64().ShouldBe(await (active - store.Unique("premium")).CountAsync());
        lines[7].GetProperty("explain").GetString().ShouldBe(store.Explain(new SetQuery(SetExpr.Event("active", PeriodRef.Relative(PeriodUnit.Month)), ReadKind.Count)));
    }

    [Fact]
    public async Task Ids_page_with_after()
    {
        using var store = CliHarness.OpenStore(sample.Path);
        var all = await store.Week("active").ToListAsync();
        var json = JsonLines(await CliHarness.Run(sample.Args("query", $"ids week(active) limit 5 after {all[2]}")));
        json[0].GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe(all.Skip(3).Take(5));
    }

    [Fact]
    public async Task Statements_come_from_a_file()
    {
        using var dir = CliHarness.TempDir();
        var path = dir.File("q.bmq");
        await File.WriteAllTextAsync(path, "# two statements\ncount day(active, -6..0)\ncount all day(active, -6..0)\n");
        var lines = JsonLines(await CliHarness.Run(sample.Args("query", "-f", path)));
        using var store = CliHarness.OpenStore(sample.Path);
        var any = store.Range("active", PeriodRef.Relative(PeriodUnit.Day, -6), PeriodRef.Relative(PeriodUnit.Day));
        var every = store.Range("active", PeriodRef.Relative(PeriodUnit.Day, -6), PeriodRef.Relative(PeriodUnit.Day), RangeMode.All);
        lines.Select(l => l.GetProperty("count").GetInt64()).ShouldBe([await any.CountAsync(), await every.CountAsync()]);
    }

    [Fact]
    public async Task Table_output_labels_each_value_and_sets_results_apart()
    {
        // As psql: a header row naming the value above it, an empty line between results; lists stay one id per line.
        var result = await CliHarness.Run("query", "42 in {42}; count {1, 2, 3}; percent {1} of {1, 2, 3, 4}; ids {5, 7}; let a = {1}; count a",
            "--data", sample.Path, "--now", CliHarness.Now);
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ReplaceLineEndings("\n").ShouldBe("contains\ntrue\n\ncount\n3\n\npercent\n25\n\n5\n7\n\ncount\n1\n");
    }

    [Fact]
    public async Task Csv_writes_each_statements_table_after_the_last_with_its_own_header()
    {
        // Documented in --format's help: no separator line, since an empty line is also a row with one empty field.
        var result = await CliHarness.Run("query", "count {1, 2}; ids {4, 9}; percent {1} of {}", "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv");
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ReplaceLineEndings("\n").ShouldBe("count\n2\nid\n4\n9\npercent\n\n");
    }

    [Theory]
    [InlineData("table")]
    [InlineData("json")]
    [InlineData("csv")]
    public async Task A_fixed_command_prints_what_its_statement_prints_in_query(string format)
    {
        // bitmapist count/in/ids/explain build the statement and hand it to the same executor and renderer.
        (string[] Command, string Statement)[] pairs =
        [
            (["count", "active"], "count month(active)"),
            (["count", "active", "--period", "week", "--at", "2026-11-20"], "count week(active, 2026-W47)"),
            (["in", "3", "active", "--period", "day", "--at", "2026-11-28"], "3 in day(active, 2026-11-28)"),
            (["ids", "signup", "--period", "day", "--at", "2026-11-27", "--limit", "4"], "ids day(signup, 2026-11-27) limit 4"),
            (["explain", "active", "--period", "year"], "explain count year(active, 2026)"),
            (["events", "s"], "events s"),
        ];
        foreach (var (command, statement) in pairs)
        {
            var fixedCommand = await CliHarness.Run([.. command, "--data", sample.Path, "--now", CliHarness.Now, "--format", format]);
            var query = await CliHarness.Run("query", statement, "--data", sample.Path, "--now", CliHarness.Now, "--format", format);
            fixedCommand.ExitCode.ShouldBe(0, fixedCommand.Err);
            fixedCommand.Out.ShouldNotBeEmpty();
            fixedCommand.Out.ShouldBe(query.Out, string.Join(' ', command));
        }
    }

    [Fact]
    public async Task A_syntax_error_prints_the_caret_and_exits_with_2()
    {
        var result = await CliHarness.Run(sample.Args("query", "count month(active)\ncount mnth(active)"));
        result.ExitCode.ShouldBe(2);
        result.Out.ShouldBeEmpty(); // nothing runs when any statement is malformed
        result.Err.ReplaceLineEndings("\n").ShouldBe(
            "bitmapist: Line 2, column 7: unknown function 'mnth': did you mean month?\ncount mnth(active)\n      ^\n");
    }

    [Fact]
    public async Task Statements_and_file_are_exclusive() =>
        (await CliHarness.Run(sample.Args("query"))).ShouldFailWith(2, "give the statements");

    [Fact]
    public async Task A_missing_file_fails() =>
        (await CliHarness.Run(sample.Args("query", "-f", "/nonexistent/q.bmq"))).ShouldFailWith(1, "cannot read");

    [Fact]
    public async Task A_file_far_longer_than_a_query_is_refused_by_its_size_before_it_is_read()
    {
        // Read whole, a 100 MB file took 7 s and 1.1 GB to be refused; its size alone says it is too long.
        using var dir = CliHarness.TempDir();
        var path = dir.File("events.csv");
        await using (var f = File.Create(path)) f.SetLength(4L * (Bitmapist.Linq.Text.TextQuery.MaxQueryLength + 1) + 1);
        (await CliHarness.Run(sample.Args("query", "-f", path))).ShouldFailWith(2,
            $"'{path}' is 4,000,005 bytes: more than a query's 1,000,000 characters can take. Give a file of statements");
    }

    [Theory]
    [InlineData("help")]
    [InlineData(" exit ")]
    [InlineData("quit")]
    [InlineData("?")]
    public async Task A_REPL_command_given_to_query_is_named_as_one(string text)
    {
        var result = await CliHarness.Run(sample.Args("query", text));
        result.ShouldFailWith(Cli.Usage, $"'{text.Trim()}' is a command of the interactive REPL (run bitmapist repl");
    }

    [Fact]
    public async Task A_statement_merely_containing_help_gets_no_REPL_hint()
    {
        var result = await CliHarness.Run(sample.Args("query", "count help"));
        result.ExitCode.ShouldBe(Cli.Usage);
        result.Err.ShouldNotContain("REPL");
    }
}
