using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Trends;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Trends;

/// <summary>The trend and funnel statements: parsing, printing, the LINQ builders, errors with a caret, explain.</summary>
public class TrendStatementTests
{
    private static EmbeddedStore Store() =>
        new(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero)) });

    private static TrendQuery Trend(string text) => ((TrendStatement)TextQuery.Parse(text).Single()).Query;

    private static FunnelQuery Funnel(string text) => ((FunnelStatement)TextQuery.Parse(text).Single()).Query;

    private static SetExpr T(string name) => new TemplateNode(name);

    public static TheoryData<string, TrendQuery, string> Trends() => new()
    {
        { "trend active by day", new TrendQuery(T("active"), PeriodUnit.Day), "trend active by day" },
        {
            "trend active & unique(premium) by day rows 30 window 7",
            new TrendQuery(SetExpr.And(T("active"), SetExpr.Unique("premium")), PeriodUnit.Day) { Rows = 30, Window = 7 },
            "trend (active & unique(premium)) by day rows 30 window 7"
        },
        {
            "TREND active BY day WINDOW 7 from 2026-02-01 of active by day window 30",
            new TrendQuery(T("active"), PeriodUnit.Day)
            {
                Window = 7, From = PeriodRef.Of(Period.Day(2026, 2, 1)), Of = new TrendRatio(T("active"), PeriodUnit.Day) { Window = 30 },
            },
            "trend active by day from 2026-02-01 window 7 of active by day window 30"
        },
        {
            "trend 'song played' by week from -11 of active by week window 4",
            new TrendQuery(T("song played"), PeriodUnit.Week) { From = PeriodRef.Relative(PeriodUnit.Week, -11), Of = new TrendRatio(T("active"), PeriodUnit.Week) { Window = 4 } },
            "trend 'song played' by week from -11 of active by week window 4"
        },
        {
            "trend active by hour rows 48 of active by day",
            new TrendQuery(T("active"), PeriodUnit.Hour) { Rows = 48, Of = new TrendRatio(T("active"), PeriodUnit.Day) },
            "trend active by hour rows 48 of active by day"
        },
    };

    [Theory]
    [MemberData(nameof(Trends))]
    public void A_trend_parses_to_the_query_written_by_hand_and_prints_back(string text, TrendQuery expected, string printed)
    {
        var query = Trend(text);
        (query.Template, query.By, query.Rows, query.From, query.Window, query.Of).ShouldBe((expected.Template, expected.By, expected.Rows, expected.From, expected.Window, expected.Of));
        query.ShouldBe(expected);
        query.Text.ShouldBe(printed);
        Trend(printed).ShouldBe(query);
    }

    [Fact]
    public void A_funnel_parses_its_steps_in_order_and_prints_back()
    {
        var query = Funnel("funnel signup then active & unique(web) then 'paid:first' by week rows 8 from 2026-W02 within 3");
        query.Steps.ShouldBe([T("signup"), SetExpr.And(T("active"), SetExpr.Unique("web")), T("paid:first")]);
        (query.By, query.Rows, query.From, query.Within).ShouldBe((PeriodUnit.Week, (int?)8, (PeriodRef?)PeriodRef.Of(Period.Week(2026, 2)), 3));
        query.Text.ShouldBe("funnel signup then (active & unique(web)) then paid:first by week rows 8 from 2026-W02 within 3");
        Funnel(query.Text).Text.ShouldBe(query.Text);
    }

    [Fact]
    public void Default_rows_fit_the_unit()
    {
        Trend("trend a by hour").RowCount.ShouldBe(24);
        Trend("trend a by day").RowCount.ShouldBe(30);
        Trend("trend a by week").RowCount.ShouldBe(12);
        Trend("trend a by month").RowCount.ShouldBe(12);
        Funnel("funnel a then b by year").RowCount.ShouldBe(3);
    }

    [Fact]
    public void Events_named_like_the_new_words_need_no_quotes()
    {
        Trend("trend window by day").Template.ShouldBe(T("window"));
        Funnel("funnel trend then within by day").Steps.ShouldBe([T("trend"), T("within")]);
        TextQuery.Parse("count day(funnel, 2026-03-01)").Single().ShouldBeOfType<QueryStatement>();
    }

    [Theory]
    [InlineData("funnel signup by day", "a funnel has two steps at least")]
    [InlineData("trend a by week of b by month", "does not lie inside one month")]
    [InlineData("trend a by month of b by week", "does not lie inside one week")]
    [InlineData("trend a by week of b by year", "does not lie inside one year")]
    [InlineData("trend a by day window 0", "expected a number from 1 to 1000 after window")]
    [InlineData("trend a by day rows 1001", "expected a number from 1 to 1000 after rows")]
    [InlineData("trend a by day rows 2 rows 3", "'rows' is given twice")]
    [InlineData("funnel a then b by day within 2 within 3", "'within' is given twice")]
    [InlineData("trend a by day of b by month window 0", "expected a number from 1 to 1000 after window")]
    [InlineData("trend a by day of b by month rows 3", "rows")]
    [InlineData("trend a", "expected 'by'")]
    [InlineData("trend a - b by day rows 1000 window 101", "places 101,000 sets (1000 rows of 101)")]
    [InlineData("funnel a then b | c by hour rows 500 within 200", "places 100,500 sets")]
    [InlineData("count a & b", "is not a set")]
    public void Bad_statements_say_what_is_wrong(string text, string message) =>
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(text)).Message.ShouldContain(message);

    [Fact]
    public void A_window_of_one_event_is_one_range_and_never_counts_against_the_size_limit()
    {
        Trend("trend a & unique(b) by day rows 1000 window 1000").Window.ShouldBe(1000);
        Funnel("funnel a then b then c by day rows 1000 within 1000").Within.ShouldBe(1000);
        Trend("trend a - b by day rows 1000 window 100").Window.ShouldBe(100); // 100,000: the most
    }

    [Fact]
    public void A_funnel_of_too_many_steps_is_refused_at_the_first_step_too_many()
    {
        var text = "funnel " + string.Join(" then ", Enumerable.Range(0, 21).Select(i => $"s{i}")) + " by day";
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(text));
        e.Message.ShouldContain("at most 20 steps");
        e.Column.ShouldBe(text.IndexOf("s20", StringComparison.Ordinal) + 1);
    }

    [Fact]
    public void The_linq_builders_and_the_text_statements_give_the_same_query_and_plan()
    {
        using var store = Store();
        var trend = store.Trend(p => store.At("active", p) & store.Unique("premium")).ByDay().Rows(30).Window(7)
            .Of(p => store.At("active", p), PeriodUnit.Month);
        var text = Trend("trend active & unique(premium) by day rows 30 window 7 of active by month");
        trend.Query.ShouldBe(text);
        trend.Explain().ShouldBe(store.Explain(text));

        var funnel = store.Funnel(p => store.At("signup", p), p => store.At("active", p), p => store.At("paid", p)).ByWeek().Within(2).From(-3);
        var funnelText = Funnel("funnel signup then active then paid by week from -3 within 2");
        funnel.Query.ShouldBe(funnelText);
        funnel.Explain().ShouldBe(store.Explain(funnelText));
        store.Trend(p => store.At("a", p)).From(new DateTime(2026, 3, 4)).ByMonth().Query.ShouldBe(Trend("trend a by month from 2026-03"));
    }

    [Fact]
    public void Invalid_settings_from_linq_are_refused_when_run_with_what_and_how()
    {
        using var store = Store();
        var e = Should.Throw<BitmapistQueryException>(() => store.Funnel(p => store.At("a", p)).Run());
        e.Message.ShouldContain("2 to 20 steps");
        Should.Throw<BitmapistQueryException>(() => store.Trend(p => store.At("a", p)).ByWeek().Of(p => store.At("a", p), PeriodUnit.Month).Run())
            .Message.ShouldContain("does not lie inside one month");
        Should.Throw<BitmapistQueryException>(() => store.Trend(p => store.At("a", p)).By(PeriodUnit.Unique).Run()).Message.ShouldContain("not unique");
    }

    [Fact]
    public void A_series_off_the_calendar_is_a_clear_error()
    {
        using var store = Store();
        Should.Throw<BitmapistQueryException>(() => store.TrendAsync(Trend("trend a by year from 0001-01-01 window 2")).GetAwaiter().GetResult())
            .Message.ShouldContain("reaches dates outside years 1 to 9999");
    }

    [Fact]
    public void Explain_shows_the_rows_the_counted_sets_and_one_batch()
    {
        using var store = Store();
        // Each row's 7 days within its month: the whole is counted once and each row is one ANDOR, fused with its count.
        store.Explain(Trend("trend active by day rows 3 window 7 of active by month")).ShouldBe("""
            query:     trend active by day rows 3 window 7 of active by month
            now:       2026-03-04T12:00:00
            rows:      3 (2026-03-02 .. 2026-03-04), a share of a whole each
            counts:    4 distinct sets (wholes, rows within them)
              #0 month(active, 2026-03)  =>  key('trackist_active_2026-3')
              #1 (day(active, 2026-02-24..2026-03-02) & month(active, 2026-03))  =>  ((key('trackist_active_2026-2-24') | key('trackist_active_2026-2-25') | key('trackist_active_2026-2-26') | key('trackist_active_2026-2-27') | key('trackist_active_2026-2-28') | key('trackist_active_2026-3-1') | key('trackist_active_2026-3-2')) & key('trackist_active_2026-3'))
              #2 (day(active, 2026-02-25..2026-03-03) & month(active, 2026-03))  =>  ((key('trackist_active_2026-2-25') | key('trackist_active_2026-2-26') | key('trackist_active_2026-2-27') | key('trackist_active_2026-2-28') | key('trackist_active_2026-3-1') | key('trackist_active_2026-3-2') | key('trackist_active_2026-3-3')) & key('trackist_active_2026-3'))
              #3 (day(active, 2026-02-26..2026-03-04) & month(active, 2026-03))  =>  ((key('trackist_active_2026-2-26') | key('trackist_active_2026-2-27') | key('trackist_active_2026-2-28') | key('trackist_active_2026-3-1') | key('trackist_active_2026-3-2') | key('trackist_active_2026-3-3') | key('trackist_active_2026-3-4')) & key('trackist_active_2026-3'))
            program (embedded): 3 steps, 1 temporaries
              #0 = count trackist_active_2026-3
              tmp0 = ANDOR trackist_active_2026-3 trackist_active_2026-2-24 trackist_active_2026-2-25 trackist_active_2026-2-26 trackist_active_2026-2-27 trackist_active_2026-2-28 trackist_active_2026-3-1 trackist_active_2026-3-2
              #1 = count tmp0
              tmp0 = ANDOR trackist_active_2026-3 trackist_active_2026-2-25 trackist_active_2026-2-26 trackist_active_2026-2-27 trackist_active_2026-2-28 trackist_active_2026-3-1 trackist_active_2026-3-2 trackist_active_2026-3-3
              #2 = count tmp0
              tmp0 = ANDOR trackist_active_2026-3 trackist_active_2026-2-26 trackist_active_2026-2-27 trackist_active_2026-2-28 trackist_active_2026-3-1 trackist_active_2026-3-2 trackist_active_2026-3-3 trackist_active_2026-3-4
              #3 = count tmp0
            runs in process on the embedded store's bitmaps, page by page in one pass under one read lock
            """ + "\n", StringCompareShould.IgnoreLineEndings);
    }
}
