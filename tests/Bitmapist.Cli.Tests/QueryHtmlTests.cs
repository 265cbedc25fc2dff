namespace Bitmapist.Cli.Tests;

/// <summary><c>bitmapist query '...' --html FILE</c>: the report of the one trend, funnel or cohort statement, written beside the printed results.</summary>
public sealed class QueryHtmlTests(SampleFile sample) : IClassFixture<SampleFile>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitmapist-query-html").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_cohort_statement_is_written_as_its_report_and_printed_as_usual()
    {
        var path = Path.Combine(_dir, "cohort.html");
        var run = await CliHarness.Run("query", "count month(active); cohort signup then active by week rows 3 cols 2", "--html", path, "--data", sample.Path, "--now", CliHarness.Now);
        run.ExitCode.ShouldBe(0, run.Err);
        run.Out.ShouldContain("average");
        run.Out.ShouldEndWith($"wrote {path}\n");
        var html = await File.ReadAllTextAsync(path);
        html.ShouldStartWith("<!DOCTYPE html>");
        html.ShouldContain("<title>Cohort: cohort signup then active by week rows 3 cols 2</title>");
        html.ShouldContain("<table class=\"cohort\">");

        // In JSON the stdout stays the results only.
        var json = await CliHarness.Run("query", "cohort signup then active by week rows 3 cols 2", "--html", path, "--data", sample.Path, "--now", CliHarness.Now, "--format", "json");
        json.Out.ShouldNotContain("wrote");
    }

    [Fact]
    public async Task No_report_or_more_than_one_is_an_error_and_writes_nothing()
    {
        var path = Path.Combine(_dir, "none.html");
        var none = await CliHarness.Run("query", "count month(active)", "--html", path, "--data", sample.Path, "--now", CliHarness.Now);
        none.ExitCode.ShouldBe(2);
        none.Err.ShouldContain("--html writes the report of a trend, funnel or cohort statement, and these statements made none");
        var two = await CliHarness.Run("query", "cohort signup then active by day rows 2 cols 1; cohort signup then active by week rows 2 cols 1", "--html", path,
            "--data", sample.Path, "--now", CliHarness.Now);
        two.ExitCode.ShouldBe(2);
        two.Err.ShouldContain("--html writes one report, and these statements made 2");
        File.Exists(path).ShouldBeFalse();
    }
}
