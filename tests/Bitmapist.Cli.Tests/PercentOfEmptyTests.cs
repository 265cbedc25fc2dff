namespace Bitmapist.Cli.Tests;

/// <summary>
/// A percentage of an empty whole is undefined, not 0%: null in JSON, an empty CSV field and '.' in tables,
/// the same rule as an empty cohort cell. Each value under its header (tables and CSV alike).
/// </summary>
public sealed class PercentOfEmptyTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private const string Query = "percent month(active) of month(nobody); percent {1} of {1, 2}";

    private Task<CliResult> Run(string format) =>
        CliHarness.Run("query", Query, "--data", sample.Path, "--now", CliHarness.Now, "--format", format);

    [Fact]
    public async Task Json_prints_null()
    {
        var result = await Run("json");
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["""{"percent":null}""", """{"percent":50}"""]);
    }

    [Fact]
    public async Task Csv_prints_an_empty_field()
    {
        var result = await Run("csv");
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ReplaceLineEndings("\n").ShouldBe("percent\n\npercent\n50\n");
    }

    [Fact]
    public async Task A_table_prints_the_empty_cell_mark()
    {
        var result = await Run("table");
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ReplaceLineEndings("\n").ShouldBe("percent\n.\n\npercent\n50\n");
    }
}
