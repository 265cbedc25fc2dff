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
    public async Task Table_output_is_the_bare_value()
    {
        var result = await CliHarness.Run("query", "42 in {42}; count {1, 2, 3}", "--data", sample.Path, "--now", CliHarness.Now);
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ReplaceLineEndings("\n").ShouldBe("true\n3\n");
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
