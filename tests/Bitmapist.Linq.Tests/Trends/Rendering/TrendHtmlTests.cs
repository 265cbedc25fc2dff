using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Trends;
using Bitmapist.Linq.Trends.Rendering;

namespace Bitmapist.Linq.Tests.Trends.Rendering;

/// <summary>The trend and funnel HTML reports, from tables built by hand: chart, table, escaping, no inline style or script.</summary>
public partial class TrendHtmlTests
{
    private static readonly DateTime Now = new(2026, 3, 4, 12, 0, 0);
    private const string Hostile = "<script>alert(1)</script>\"'&";

    private static TrendTable Trend(string eventName, params (int Day, long Count)[] rows) =>
        new(new TrendQuery(SetExpr.Template(eventName), PeriodUnit.Day) { Rows = rows.Length }, Now,
            [.. rows.Select(r => new TrendRow(Period.Day(2026, 3, r.Day), r.Count))]);

    private static FunnelTable Funnel(string[] steps, params (int Day, long[] Counts)[] rows) =>
        new(new FunnelQuery([.. steps.Select(SetExpr.Template)], PeriodUnit.Day) { Rows = rows.Length }, Now,
            [.. rows.Select(r => new FunnelRow(Period.Day(2026, 3, r.Day), [.. r.Counts]))]);

    [GeneratedRegex("<tbody>.*</tbody>", RegexOptions.Singleline)]
    private static partial Regex Body();

    [GeneratedRegex("<tr[^>]*>(.*?)</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("<td[^>]*>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex CellPattern();

    /// <summary>The body rows' cell texts (markup inside a cell, such as a conversion's span, dropped).</summary>
    private static List<List<string>> Cells(string html) =>
        [.. RowPattern().Matches(Body().Match(html).Value).Select(r => CellPattern().Matches(r.Groups[1].Value)
            .Select(c => System.Net.WebUtility.HtmlDecode(Regex.Replace(c.Groups[1].Value, "<[^>]+>", " ").Trim())).ToList())];

    [Fact]
    public void A_trend_is_a_line_through_every_row_above_its_table()
    {
        var table = Trend("active", (1, 120), (2, 80), (3, 100));
        var html = TrendHtml.Render(table);
        html.ShouldStartWith("<!DOCTYPE html>");
        html.ShouldContain("<title>Trend: trend active by day rows 3</title>");
        Cells(html).ShouldBe([["2026-03-01", "120"], ["2026-03-02", "80"], ["2026-03-03", "100"]]);
        // One path, three points, no break; each point's tooltip is its exact value.
        var path = Regex.Match(html, "<path class=\"series\" d=\"([^\"]*)\"").Groups[1].Value;
        path.Split(" L").Length.ShouldBe(3);
        path.Count(c => c == 'M').ShouldBe(1);
        html.ShouldContain("<title>2026-03-02: 80</title>");
        // The axis runs from 0 to a round top over the largest value (120: steps of 50 up to 150).
        html.ShouldContain(">150</text>");
        html.ShouldContain(">0</text>");
    }

    [Fact]
    public void A_ratio_trend_plots_the_percent_and_an_empty_whole_breaks_the_line()
    {
        var query = new TrendQuery(SetExpr.Template("active"), PeriodUnit.Day) { Rows = 4, Of = new TrendRatio(SetExpr.Template("active"), PeriodUnit.Month) };
        var table = new TrendTable(query, Now,
        [
            new TrendRow(Period.Day(2026, 3, 1), 50, 100, 50),
            new TrendRow(Period.Day(2026, 3, 2), 1, 4, 25),
            new TrendRow(Period.Day(2026, 3, 3), 0, 0, null),
            new TrendRow(Period.Day(2026, 3, 4), 3, 9, 100.0 / 3),
        ]);
        var html = TrendHtml.Render(table);
        Cells(html).ShouldBe([["2026-03-01", "50", "100", "50"], ["2026-03-02", "1", "4", "25"], ["2026-03-03", "0", "0", ""], ["2026-03-04", "3", "9", "33.33"]]);
        html.ShouldContain("<title>2026-03-01: 50%</title>", customMessage: "the point is the percent, not the count");
        html.ShouldContain(">60%</text>", customMessage: "the axis is in percent (50 rounds up to 60)");
        var path = Regex.Match(html, "<path class=\"series\" d=\"([^\"]*)\"").Groups[1].Value;
        path.Count(c => c == 'M').ShouldBe(2, "the undefined share of 2026-03-03 is a gap");
        // The lone point after the gap still has its marker.
        html.ShouldContain("<title>2026-03-04: 33.33%</title>");
    }

    [Fact]
    public void Every_text_from_a_user_is_escaped_and_the_fragment_has_no_inline_style_or_script()
    {
        var trend = TrendHtml.Render(Trend(Hostile, (1, 5), (2, 6)), new ReportHtmlOptions("T <i>", [Hostile]));
        var funnel = FunnelHtml.Render(Funnel([Hostile, "paid"], (1, [5, 2])), new ReportHtmlOptions("F <i>", [Hostile]));
        foreach (var html in new[] { trend, funnel })
        {
            html.ShouldNotContain("<script", Case.Insensitive);
            html.ShouldNotContain("<i>");
            html.ShouldContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;");
            html.ShouldContain("<p class=\"warning\" role=\"status\">Warning: &lt;script&gt;");
        }
        foreach (var fragment in new[] { TrendHtml.Fragment(Trend(Hostile, (1, 5))), FunnelHtml.Fragment(Funnel([Hostile, "b"], (1, [5, 2]))) })
        {
            fragment.ShouldNotContain("style", Case.Insensitive, "a host under a CSP without inline style shows it all");
            fragment.ShouldNotContain("<script", Case.Insensitive);
            fragment.Replace("xmlns=\"http://www.w3.org/2000/svg\"", "", StringComparison.Ordinal)
                .ShouldNotContain("//", customMessage: "nothing loads from elsewhere (the SVG namespace aside)");
        }
    }

    [Fact]
    public void A_funnel_draws_a_bar_per_step_with_its_conversion_and_a_table_with_the_total()
    {
        var table = Funnel(["signup", "active", "paid"], (1, [100, 60, 12]), (2, [50, 0, 0]), (3, [0, 0, 0]));
        var html = FunnelHtml.Render(table);
        html.ShouldContain("<title>Funnel: funnel signup then active then paid by day rows 3</title>");
        Regex.Matches(html, "<rect class=\"bar\"").Count.ShouldBe(3);
        // Totals 150, 60, 12: each bar after the first says its share of the one before.
        html.ShouldContain(">150</text>");
        html.ShouldContain(">60 (40% of the step before)</text>");
        html.ShouldContain(">12 (20% of the step before)</text>");
        var widths = Regex.Matches(html, "<rect class=\"bar\" x=\"8\" y=\"\\d+\" width=\"([0-9.]+)\"").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        widths[1].ShouldBe(widths[0] * 60 / 150, 0.01);
        widths[2].ShouldBe(widths[0] * 12 / 150, 0.01);
        Cells(html).ShouldBe([
            ["2026-03-01", "100", "60 60%", "12 20%", "12%"],
            ["2026-03-02", "50", "0 0%", "0", "0%"],
            ["2026-03-03", "0", "0", "0", ""],
            ["All rows", "150", "60 40%", "12 20%", "8%"],
        ]);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(3, 3, 1)]
    [InlineData(120, 150, 50)]
    [InlineData(0.5, 0.6, 0.2)]
    [InlineData(1000, 1000, 500)]
    [InlineData(12345, 15000, 5000)]
    public void The_axis_top_is_round_and_covers_the_largest_value(double max, double top, double step)
    {
        var (t, s) = SvgChart.Scale(max);
        t.ShouldBe(top, 1e-9);
        s.ShouldBe(step, 1e-9);
    }
}
