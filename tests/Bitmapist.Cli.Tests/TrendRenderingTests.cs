using System.Text.Json;
using Bitmapist.Cli.Rendering;
using Bitmapist.Cli.Repl;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Trends;
using Bitmapist.Linq.Trends.Rendering;
using Spectre.Console;

namespace Bitmapist.Cli.Tests;

/// <summary>Trend and funnel results in every output: the JSON shapes of issue 15, the table, CSV and the REPL.</summary>
public sealed class TrendRenderingTests
{
    private static readonly DateTime Now = new(2026, 3, 3, 12, 0, 0, DateTimeKind.Utc);

    /// <summary><c>trend active by day rows 3</c>: 123, 0, 45.</summary>
    internal static TrendTable Trend() => new(
        new TrendQuery(SetExpr.Template("active"), PeriodUnit.Day) { Rows = 3 }, Now,
        [new TrendRow(Period.Day(2026, 3, 1), 123), new TrendRow(Period.Day(2026, 3, 2), 0), new TrendRow(Period.Day(2026, 3, 3), 45)]);

    /// <summary><c>trend active by day rows 2 of active by month</c>: 1 of 3, then an empty whole.</summary>
    internal static TrendTable Ratio() => new(
        new TrendQuery(SetExpr.Template("active"), PeriodUnit.Day) { Rows = 2, Of = new TrendRatio(SetExpr.Template("active"), PeriodUnit.Month) }, Now,
        [new TrendRow(Period.Day(2026, 3, 1), 1, 3, 100.0 / 3), new TrendRow(Period.Day(2026, 3, 2), 0, 0, null)]);

    /// <summary><c>funnel signup then active &amp; unique(premium) then paid by week rows 2</c>.</summary>
    internal static FunnelTable Funnel() => new(
        new FunnelQuery([SetExpr.Template("signup"), SetExpr.And(SetExpr.Template("active"), SetExpr.Unique("premium")), SetExpr.Template("paid")], PeriodUnit.Week) { Rows = 2 }, Now,
        [new FunnelRow(Period.Week(2026, 8), [100, 60, 12]), new FunnelRow(Period.Week(2026, 9), [0, 0, 0])]);

    private static async Task<string> Render(OutputFormat format, params StatementResult[] results)
    {
        var writer = new StringWriter();
        var renderer = OutputFormats.Renderer(format, writer);
        foreach (var r in results) await renderer.RenderAsync(r, CancellationToken.None);
        return writer.ToString().ReplaceLineEndings("\n");
    }

    [Fact]
    public void Trend_json_is_the_issues_shape()
    {
        TrendJson.Render(Trend()).ShouldBe("""{"trend":{"unit":"day","rows":[{"period":"2026-03-01","count":123},{"period":"2026-03-02","count":0},{"period":"2026-03-03","count":45}]}}""");
    }

    [Fact]
    public void A_ratio_trend_adds_the_whole_and_the_exact_percent_null_for_an_empty_whole()
    {
        var json = TrendJson.Render(Ratio());
        json.ShouldBe("""{"trend":{"unit":"day","rows":[{"period":"2026-03-01","count":1,"whole":3,"percent":33.333333333333336},{"period":"2026-03-02","count":0,"whole":0,"percent":null}]}}""");
        using var doc = JsonDocument.Parse(json);
        doc.RootElement.GetProperty("trend").GetProperty("rows")[0].GetProperty("percent").GetDouble().ShouldBe(100.0 / 3);
    }

    [Fact]
    public void Funnel_json_is_the_issues_shape_with_each_step_as_written()
    {
        var json = FunnelJson.Render(Funnel());
        using var doc = JsonDocument.Parse(json);
        var funnel = doc.RootElement.GetProperty("funnel");
        funnel.GetProperty("unit").GetString().ShouldBe("week");
        funnel.GetProperty("steps").EnumerateArray().Select(s => s.GetString()).ShouldBe(["signup", "(active & unique(premium))", "paid"]);
        json.ShouldEndWith("""],"rows":[{"period":"2026-W08","counts":[100,60,12]},{"period":"2026-W09","counts":[0,0,0]}]}}""");
        json.ShouldNotContain("&"); // escaped as \u0026, safe inside a page
    }

    [Fact]
    public async Task The_json_format_prints_each_on_one_line()
    {
        var lines = (await Render(OutputFormat.Json, new TrendResult(Trend()), new FunnelResult(Funnel()))).TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(2);
        lines[0].ShouldBe(TrendJson.Render(Trend()));
        lines[1].ShouldBe(FunnelJson.Render(Funnel()));
    }

    [Fact]
    public async Task The_table_format_prints_a_row_per_period()
    {
        (await Render(OutputFormat.Table, new TrendResult(Trend()))).ShouldBe("day         count\n2026-03-01  123\n2026-03-02  0\n2026-03-03  45\n");
        (await Render(OutputFormat.Table, new TrendResult(Ratio()))).ShouldBe(
            "day         count  whole  percent\n2026-03-01  1      3      33.33\n2026-03-02  0      0      .\n");
        (await Render(OutputFormat.Table, new FunnelResult(Funnel()))).ShouldBe(
            "week      signup  (active & unique(premium))  paid  conversion %\n" +
            "2026-W08  100     60                          12    12\n" +
            "2026-W09  0       0                           0     .\n");
    }

    [Fact]
    public async Task The_csv_format_prints_a_header_then_a_row_per_period()
    {
        (await Render(OutputFormat.Csv, new TrendResult(Trend()))).ShouldBe("day,count\n2026-03-01,123\n2026-03-02,0\n2026-03-03,45\n");
        (await Render(OutputFormat.Csv, new TrendResult(Ratio()))).ShouldBe("day,count,whole,percent\n2026-03-01,1,3,33.33\n2026-03-02,0,0,\n");
        (await Render(OutputFormat.Csv, new FunnelResult(Funnel()))).ShouldBe(
            "week,signup,(active & unique(premium)),paid\n2026-W08,100,60,12\n2026-W09,0,0,0\n");
    }

    internal static string Repl(StatementResult result, int width = 100)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        console.Profile.Width = width;
        new ReplRenderer(console).Render(result);
        return writer.ToString().ReplaceLineEndings("\n");
    }

    [Fact]
    public void The_REPL_shows_a_trend_and_a_funnel_as_tables()
    {
        var trend = Repl(new TrendResult(Trend()));
        trend.ShouldMatch(@"│ 2026-03-01 │\s+123 │");
        trend.ShouldMatch(@"│ 2026-03-03 │\s+45 │");
        var ratio = Repl(new TrendResult(Ratio()));
        ratio.ShouldMatch(@"│ 2026-03-01 │\s+1 │\s+3 │\s+33.33 % │");
        var funnel = Repl(new FunnelResult(Funnel()));
        funnel.ShouldContain("(active & unique(premium))");
        funnel.ShouldMatch(@"│ 2026-W08 │\s+100 │\s+60 │\s+12 │\s+12 % │");
    }

    [Theory]
    [InlineData(123, 123, 10, "██████████")]
    [InlineData(45, 123, 10, "███▋")] // 45/123 of 80 eighths = 29: 3 cells and 5 eighths
    [InlineData(1, 1000, 10, "▏")] // a value that is not zero shows
    [InlineData(0, 123, 10, "")]
    [InlineData(200, 100, 4, "████")] // never past the width
    public void A_bar_is_its_value_from_zero_to_an_eighth_of_a_cell(double value, double max, int width, string bar)
    {
        Charts.Bar(value, max, width).ShouldBe(bar);
    }

    [Fact]
    public void A_sparkline_spans_the_lowest_to_the_highest_value()
    {
        Charts.Sparkline([123, 0, 45]).ShouldBe("█▁▄");
        Charts.Sparkline([5, null, 5]).ShouldBe("▅ ▅");
        Charts.Sparkline([null, null]).ShouldBe("  ");
    }

    [Fact]
    public void The_REPL_draws_a_trend_with_bars_and_a_sparkline()
    {
        var trend = Repl(new TrendResult(Trend()), width: 80);
        var lines = trend.Split('\n');
        lines.Single(l => l.StartsWith("│ 2026-03-01", StringComparison.Ordinal)).ShouldContain(new string('█', 40)); // the highest row: the widest bar (80 columns less the numbers')
        lines.Single(l => l.StartsWith("│ 2026-03-02", StringComparison.Ordinal)).ShouldNotContain("█");
        trend.ShouldContain("█▁▄  low 0 (2026-03-02), high 123 (2026-03-01)");
        // A ratio's bars and sparkline are its percents; the empty whole has neither.
        var ratio = Repl(new TrendResult(Ratio()), width: 80);
        ratio.ShouldNotContain("low"); // one known value: no line to draw
        ratio.Split("\n").Single(l => l.StartsWith("│ 2026-03-01", StringComparison.Ordinal)).ShouldContain("█");
    }

    [Fact]
    public void The_REPL_draws_a_funnels_steps_as_bars_with_their_conversions()
    {
        var funnel = Repl(new FunnelResult(Funnel()), width: 100);
        funnel.ShouldContain("all 2 rows added up:");
        funnel.ShouldMatch(@"signup\s+█+\s+100\s");
        funnel.ShouldMatch(@"\(active & unique\(premium\)\)\s+█+.?\s+60\s+60 %\s");
        funnel.ShouldMatch(@"paid\s+█+.?\s+12\s+20 %\s+12 %");
        // Each step's bar is its users out of the first step's: 100 %, 60 %, 12 % of the widest.
        int Blocks(string step) => funnel.Split('\n').Single(l => l.TrimStart().StartsWith(step, StringComparison.Ordinal)).Count(c => c == '█');
        var full = Blocks("signup");
        full.ShouldBeGreaterThanOrEqualTo(10);
        Blocks("(active").ShouldBe((int)Math.Round(full * 0.6 * 8) / 8);
        Blocks("paid").ShouldBe((int)Math.Round(full * 0.12 * 8) / 8);
    }

    [Theory]
    [InlineData(40)]
    [InlineData(60)]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(200)]
    public void A_bar_is_never_wrapped_onto_a_line_of_its_own(int width)
    {
        // Spectre shrinks a column that does not fit: a bar cut in two put its end on a line with no label.
        foreach (var result in new StatementResult[] { new TrendResult(Trend()), new TrendResult(Ratio()), new FunnelResult(Funnel()) })
            foreach (var line in Repl(result, width).Split('\n').Where(l => l.Contains('█')))
                line.Any(char.IsAsciiLetterOrDigit).ShouldBeTrue($"at {width} columns: '{line}'");
    }

    [Fact]
    public async Task Pipes_and_the_other_formats_draw_no_chart()
    {
        foreach (var format in new[] { OutputFormat.Table, OutputFormat.Csv, OutputFormat.Json })
        {
            var text = await Render(format, new TrendResult(Trend()), new FunnelResult(Funnel()));
            text.ShouldNotContain("█");
            text.ShouldNotContain("▁");
        }
    }
}
