using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Cohorts;

public class CohortStatementTests
{
    private static EmbeddedStore Store() =>
        new(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero)) });

    private static CohortQuery Parse(string text) => ((CohortStatement)TextQuery.Parse(text).Single()).Query;

    private static SetExpr T(string name) => new TemplateNode(name);

    /// <summary>
    /// Each statement with the query written out by hand (templates, unit, rows, cols, start, options) and the
    /// text it prints: operator chains print parenthesised, like every set; defaults print nothing.
    /// </summary>
    public static TheoryData<string, CohortQuery, string> Statements() => new()
    {
        {
            "cohort signup then active by day",
            new CohortQuery(T("signup"), T("active"), PeriodUnit.Day),
            "cohort signup then active by day"
        },
        {
            "cohort signup & web then active by week rows 12 cols 8",
            new CohortQuery(SetExpr.And(T("signup"), T("web")), T("active"), PeriodUnit.Week) { Rows = 12, Cols = 8 },
            "cohort (signup & web) then active by week rows 12 cols 8"
        },
        {
            "cohort first 'sign-up' then active & unique(premium) by month rows 6 cols 3 from 2026-01 since 2025-06-01 unbounded counts",
            new CohortQuery(T("sign-up"), SetExpr.And(T("active"), SetExpr.Unique("premium")), PeriodUnit.Month)
            {
                Rows = 6, Cols = 3, From = PeriodRef.Of(Period.Month(2026, 1)), Since = new DateTime(2025, 6, 1),
                Retention = RetentionMode.Unbounded, Values = CohortValues.Counts, Membership = CohortMembership.FirstTime,
            },
            "cohort first 'sign-up' then (active & unique(premium)) by month rows 6 cols 3 from 2026-01 since 2025-06-01 unbounded counts"
        },
        {
            // month(paid, -1) is a fixed set inside the template, not a template: it has its own (relative) period.
            "cohort signup then active | month(paid, -1) by year from -2",
            new CohortQuery(T("signup"), SetExpr.Or(T("active"), SetExpr.Event("paid", PeriodRef.Relative(PeriodUnit.Month, -1))), PeriodUnit.Year)
            {
                From = PeriodRef.Relative(PeriodUnit.Year, -2),
            },
            "cohort signup then (active | month(paid, -1)) by year from -2"
        },
        {
            "cohort signup then active by week from 2026-W09",
            new CohortQuery(T("signup"), T("active"), PeriodUnit.Week) { From = PeriodRef.Of(Period.Week(2026, 9)) },
            "cohort signup then active by week from 2026-W09"
        },
    };

    [Theory]
    [MemberData(nameof(Statements))]
    public void The_statement_parses_to_the_query_written_by_hand_and_prints_back(string text, CohortQuery expected, string printed)
    {
        var query = Parse(text);
        query.Cohort.ShouldBe(expected.Cohort);
        query.Return.ShouldBe(expected.Return);
        query.By.ShouldBe(expected.By);
        query.Rows.ShouldBe(expected.Rows);
        query.Cols.ShouldBe(expected.Cols);
        query.From.ShouldBe(expected.From);
        query.Since.ShouldBe(expected.Since);
        (query.Membership, query.Retention, query.Values).ShouldBe((expected.Membership, expected.Retention, expected.Values));
        query.ShouldBe(expected); // and nothing else differs
        query.Text.ShouldBe(printed);
        Parse(printed).ShouldBe(query);
    }

    [Fact]
    public void Percent_is_the_default_and_a_percent_option_is_not_a_percent_statement()
    {
        var statements = TextQuery.Parse("cohort signup then active by day percent;\npercent month(a) of month(b)");
        statements.Count.ShouldBe(2);
        ((CohortStatement)statements[0]).Query.ShouldBe(Parse("cohort signup then active by day"));
        statements[1].ShouldBeOfType<PercentStatement>();
    }

    [Fact]
    public void The_linq_builder_and_the_text_statement_give_the_same_query_and_plan()
    {
        using var store = Store();
        var linq = store.Cohort(p => store.At("signup", p) & store.At("web", p), p => store.At("active", p) - store.Unique("banned"))
            .ByWeek().Rows(12).Cols(8).Counts();
        var text = Parse("cohort signup & web then active - unique(banned) by week rows 12 cols 8 counts");
        linq.Query.ShouldBe(text);
        linq.Explain().ShouldBe(store.Explain(text));
    }

    [Fact]
    public void A_start_given_before_the_grouping_moves_to_the_grouping()
    {
        using var store = Store();
        var q = store.Cohort(p => store.At("signup", p), p => store.At("active", p)).From(new DateTime(2026, 3, 4)).ByWeek().Query;
        q.ShouldBe(Parse("cohort signup then active by week from 2026-W10"));
        store.Cohort(p => store.At("signup", p), p => store.At("active", p)).From(-3).ByMonth().Query
            .ShouldBe(Parse("cohort signup then active by month from -3"));
    }

    [Fact]
    public void Unsupported_template_pieces_are_refused_with_what_why_and_fix()
    {
        using var store = Store();
        var e = Should.Throw<UnsupportedQueryException>(() => store.Cohort(p => store.At("signup", p.Previous()), p => store.At("active", p)));
        e.Why.ShouldContain("only as the period of At(eventName, p)");
    }

    [Fact]
    public void A_bare_name_outside_a_cohort_is_still_an_error_and_a_template_never_reaches_a_plain_query()
    {
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse("count signup")).Message.ShouldContain("'signup' is not a set");
        using var store = Store();
        Should.Throw<BitmapistQueryException>(() => store.Set(new TemplateNode("signup")).Count()).Message.ShouldContain("template");
    }

    [Theory]
    [InlineData("cohort signup then active by hour", "expected day, week, month or year")]
    [InlineData("cohort signup then active by day rows 0", "expected a number from 1 to 1000 after rows")]
    [InlineData("cohort signup then active by day rows 2 rows 3", "'rows' is given twice")]
    [InlineData("cohort signup then active by day since 2026-01-01", "'since' only applies to first-time cohorts")]
    [InlineData("cohort signup then active", "expected 'by'")]
    public void Bad_cohort_statements_say_what_is_wrong(string text, string message) =>
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(text)).Message.ShouldContain(message);

    [Fact]
    public void A_cohort_plan_is_reused_within_the_hour_and_replanned_when_the_day_moves()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero));
        using var store = new EmbeddedStore(new StoreOptions { Clock = clock });
        var query = Parse("cohort signup then active by day rows 3 cols 1");
        var first = store.Plan(query);
        clock.Advance(TimeSpan.FromMinutes(30));
        var again = store.Plan(query);
        again.Program.ShouldBeSameAs(first.Program);
        again.Now.ShouldBe(first.Now.AddMinutes(30));
        clock.Advance(TimeSpan.FromHours(12));
        var tomorrow = store.Plan(query);
        tomorrow.Rows[^1].ShouldBe(Period.Day(2026, 3, 5));
        first.Rows[^1].ShouldBe(Period.Day(2026, 3, 4));
    }

    [Fact]
    public void Shared_sets_are_counted_once_and_temporaries_are_reused()
    {
        using var store = Store();
        var plan = store.Plan(Parse("cohort signup & web then active by day rows 31 cols 12"));
        // 31 cohort sizes, 43 distinct return days, 31 x 13 cells.
        plan.Counted.Length.ShouldBe(31 + 43 + 31 * 13);
        plan.Program.Reads.Length.ShouldBe(plan.Counted.Length);
        plan.Program.TempCount.ShouldBeLessThan(10);
    }
}

public class CohortKeywordTests
{
    // Each statement as it prints: an option word used as an event name is quoted, a let name is replaced by its set.
    [Theory]
    [InlineData("let first = month(active); count first & month(rows) | day(since) - week(by)",
        "let first = month(active)", "count ((month(active) & month('rows')) | (day('since') - week('by')))")]
    [InlineData("count month(cols) & month(from) & month(counts) & month(unbounded)",
        "count (month('cols') & month('from') & month('counts') & month('unbounded'))")]
    [InlineData("let cohort = month(signup, -1)\ncount cohort & month(cohort)",
        "let cohort = month(signup, -1)", "count (month(signup, -1) & month('cohort'))")]
    public void Option_words_stay_usable_as_names(string text, params string[] printed) =>
        TextQuery.Parse(text).Select(s => s.Text).ShouldBe(printed);
}
