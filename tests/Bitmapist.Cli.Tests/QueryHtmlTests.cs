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

    /// <summary>
    /// The report of a trend and of a funnel as <c>query --html</c> writes it (the observer the statement runner calls
    /// with each result). End to end through <c>query</c> once the terminal renderers print trends: until then the
    /// printing before the report fails.
    /// </summary>
    [Fact]
    public async Task A_trend_and_a_funnel_are_written_with_their_charts()
    {
        using var store = CliHarness.OpenStore(sample.Path);
        var executor = new Linq.Statements.StatementExecutor(store);
        var context = new CliContext(new StringWriter(), new StringWriter());

        var trendPath = Path.Combine(_dir, "trend.html");
        var trendReport = new Commands.HtmlReport(trendPath);
        trendReport.Observe(await executor.ExecuteAsync(Linq.Text.TextQuery.Parse("trend active by day rows 14 of active by month").Single()));
        (await trendReport.WriteAsync(context, announce: false, CancellationToken.None)).ShouldBe(0);
        var html = await File.ReadAllTextAsync(trendPath);
        html.ShouldContain("<title>Trend: trend active by day rows 14 of active by month</title>");
        html.ShouldContain("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart line\"");
        html.ShouldContain("%</title></circle>", customMessage: "a ratio trend plots the percent");
        html.ShouldNotContain("<script", Case.Insensitive);

        var funnelPath = Path.Combine(_dir, "funnel.html");
        var funnelReport = new Commands.HtmlReport(funnelPath);
        funnelReport.Observe(await executor.ExecuteAsync(Linq.Text.TextQuery.Parse("funnel signup then actve by day rows 3 within 2").Single()));
        (await funnelReport.WriteAsync(context, announce: false, CancellationToken.None)).ShouldBe(0);
        var bars = await File.ReadAllTextAsync(funnelPath);
        System.Text.RegularExpressions.Regex.Matches(bars, "<rect class=\"bar\"").Count.ShouldBe(2);
        bars.ShouldContain("(0% of the step before)</text>");
        bars.ShouldContain("<p class=\"warning\" role=\"status\">Warning: The event &#39;actve&#39; has no data", customMessage: "the result's warnings are in the report");
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
