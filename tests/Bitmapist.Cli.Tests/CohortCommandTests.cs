using System.Text.Json;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Tests;

/// <summary><c>bitmapist cohort</c> and cohort statements through <c>query</c>, checked against the library's own table.</summary>
public sealed class CohortCommandTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private CohortTable Expected(string text)
    {
        using var store = CliHarness.OpenStore(sample.Path);
        return store.CohortAsync(((CohortStatement)TextQuery.Parse(text).Single()).Query).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task Json_has_one_object_with_the_rows_and_null_for_empty_cells()
    {
        var json = (await CliHarness.Run("cohort", "signup", "then", "active", "--by", "week", "--rows", "4", "--cols", "3",
            "--data", sample.Path, "--now", CliHarness.Now, "--format", "json")).Json();
        var expected = Expected("cohort signup then active by week rows 4 cols 3");
        var cohort = json.GetProperty("cohort");
        cohort.GetProperty("unit").GetString().ShouldBe("week");
        var rows = cohort.GetProperty("rows").EnumerateArray().ToList();
        rows.Count.ShouldBe(4);
        for (var i = 0; i < 4; i++)
        {
            rows[i].GetProperty("period").GetString().ShouldBe(expected.Rows[i].Label);
            rows[i].GetProperty("size").GetInt64().ShouldBe(expected.Rows[i].Size);
            rows[i].GetProperty("cells").EnumerateArray().Select(c => c.ValueKind == JsonValueKind.Null ? (double?)null : Math.Round(c.GetDouble(), 3))
                .ShouldBe(expected.Rows[i].Values.Select(v => v is { } x ? Math.Round(x, 3) : (double?)null));
        }
        rows[^1].GetProperty("cells")[1].ValueKind.ShouldBe(JsonValueKind.Null, "the current week has no next week yet");
    }

    [Fact]
    public async Task Csv_is_bitmapists_layout_and_query_runs_the_same_statement()
    {
        var csv = await CliHarness.Run("cohort", "signup", "then", "active", "--rows", "3", "--cols", "2", "--counts",
            "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv");
        csv.ExitCode.ShouldBe(0, csv.Err);
        var lines = csv.Out.TrimEnd('\n').Split('\n');
        lines[0].ShouldBe("Date,Total,0,1,2");
        lines.Length.ShouldBe(4);
        lines[3].ShouldStartWith("2026-11-28,");
        lines[3].ShouldEndWith(",,", Case.Sensitive, "today has no tomorrow yet: empty cells");
        var viaQuery = await CliHarness.Run("query", "cohort signup then active by day rows 3 cols 2 counts",
            "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv");
        viaQuery.Out.ShouldBe(csv.Out);
    }

    [Fact]
    public async Task Csv_style_bitmapist_writes_bitmapists_own_csv_from_cohort_and_from_query()
    {
        var run = await CliHarness.Run("cohort", "signup", "then", "active", "--rows", "3", "--cols", "2",
            "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv", "--csv-style", "bitmapist");
        run.ExitCode.ShouldBe(0, run.Err);
        run.Out.ShouldBe(Bitmapist.Linq.Cohorts.Rendering.CohortCsv.Render(Expected("cohort signup then active by day rows 3 cols 2"),
            Bitmapist.Linq.Cohorts.Rendering.CohortCsvStyle.Bitmapist));
        var lines = run.Out.TrimEnd('\n').Split('\n');
        lines[0].ShouldBe("Date,Total,0,1,2");
        lines[3].ShouldStartWith("28 Nov 2026,", Case.Sensitive, "bitmapist's '%d %b %Y' label");
        lines[1].Split(',')[2].ShouldContain(".", Case.Sensitive, "a percentage prints as Python's str(round(p, 2)): 50.0, not 50");
        var viaQuery = await CliHarness.Run("query", "count month(active); cohort signup then active by day rows 3 cols 2",
            "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv", "--csv-style", "bitmapist");
        viaQuery.ExitCode.ShouldBe(0, viaQuery.Err);
        viaQuery.Out.ShouldEndWith(run.Out);
        viaQuery.Out.ShouldStartWith("count\n", Case.Sensitive, "other results print as --format csv prints them");
    }

    [Fact]
    public async Task Csv_style_bitmapist_without_csv_output_says_to_add_format_csv()
    {
        (await CliHarness.Run("cohort", "signup", "then", "active", "--data", sample.Path, "--csv-style", "bitmapist"))
            .ShouldFailWith(2, "--csv-style bitmapist shapes CSV output, and the output format is table: add --format csv");
        (await CliHarness.Run("query", "cohort signup then active by day", "--data", sample.Path, "--format", "json", "--csv-style", "bitmapist"))
            .ShouldFailWith(2, "add --format csv");
    }

    [Fact]
    public async Task The_table_format_is_readable_and_html_is_written()
    {
        using var dir = CliHarness.TempDir();
        var html = System.IO.Path.Combine(dir.Path, "report.html");
        var run = await CliHarness.Run("cohort", "signup", "then", "active", "--by", "week", "--rows", "3", "--cols", "2",
            "--data", sample.Path, "--now", CliHarness.Now, "--html", html);
        run.ExitCode.ShouldBe(0, run.Err);
        run.Out.ShouldContain("week");
        run.Out.ShouldContain("average");
        run.Out.ShouldContain("2026-W48");
        File.ReadAllText(html).ShouldContain("<table class=\"cohort\">");
    }

    [Fact]
    public async Task An_html_report_that_cannot_be_written_is_one_error_and_no_table()
    {
        using var dir = CliHarness.TempDir();
        var path = System.IO.Path.Combine(dir.Path, "missing", "report.html");
        (await CliHarness.Run("cohort", "signup", "then", "active", "--rows", "2", "--cols", "1", "--data", sample.Path, "--now", CliHarness.Now, "--html", path))
            .ShouldFailWith(1, $"cannot write the HTML report to '{path}': Could not find a part of the path");
    }

    [Fact]
    public async Task A_bad_statement_is_a_syntax_error_with_a_caret()
    {
        var run = await CliHarness.Run("cohort", "signup", "active", "--data", sample.Path);
        run.ExitCode.ShouldBe(2);
        run.Err.ShouldContain("expected");
        run.Err.ShouldContain("^");
    }
}
