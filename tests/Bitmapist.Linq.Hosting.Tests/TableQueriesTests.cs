using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bitmapist.Linq.Hosting.Tests;

/// <summary>Named queries whose result is a table: trend, funnel and cohort statements in configuration.</summary>
public sealed class TableQueriesTests
{
    private const string Section = """
        {
          "Bitmapist": {
            "Queries": {
              "dau": "trend active by day rows 3",
              "rolling": "trend active by day rows 3 window 2",
              "dauOfMau": "trend active by day rows 3 of active by month",
              "planActive": "trend active & @plan by day rows 3",
              "shareOfCohort": [
                "# @cohort appears only in the whole",
                "trend active by day rows 3 of @cohort by month"
              ],
              "paying": "funnel signup then paid by day rows 3 within 2",
              "toTarget": "funnel signup then active then @target by day rows 3 within 2",
              "retention": "cohort signup then active by day rows 3 cols 1 counts",
              "active": "month(active)"
            }
          }
        }
        """;

    private static DateTime Day(int day) => new(2026, 11, day, 10, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// The services of <see cref="Section"/> on an empty embedded store (now: 2026-11-28), marked by hand:
    /// active 26th {1, 2}, 27th {2, 3, 4}, 28th {1}; signup 26th {1, 2, 5}; paid 26th {1}, 27th {2}.
    /// </summary>
    private static async Task<(ServiceProvider Services, NamedQueries Queries, BitmapStore Store)> MarkedAsync(string json = Section)
    {
        var services = Fixture.Services(json);
        var queries = services.GetRequiredService<NamedQueries>();
        var store = queries.Store;
        foreach (var (day, ids) in new[] { (26, new long[] { 1, 2 }), (27, [2, 3, 4]), (28, [1]) })
            foreach (var id in ids) await store.MarkAsync("active", id, Day(day));
        foreach (var id in new long[] { 1, 2, 5 }) await store.MarkAsync("signup", id, Day(26));
        await store.MarkAsync("paid", 1, Day(26));
        await store.MarkAsync("paid", 2, Day(27));
        return (services, queries, store);
    }

    private static IEnumerable<Period> Days(params int[] days) => days.Select(d => Period.Of(PeriodUnit.Day, Day(d)));

    [Fact]
    public async Task A_trend_query_counts_each_period_as_computed_by_hand()
    {
        var (services, queries, _) = await MarkedAsync();
        using var _services = services;
        queries["dau"].Kind.ShouldBe(NamedQueryKind.Trend);
        queries["dau"].IsTable.ShouldBeTrue();

        var dau = await queries.TrendAsync("dau");
        dau.Rows.Select(r => r.Period).ShouldBe(Days(26, 27, 28));
        dau.Rows.Select(r => r.Count).ShouldBe([2L, 3, 1]);
        dau.IsRatio.ShouldBeFalse();
        (await queries.TrendAsync("rolling")).Rows.Select(r => r.Count).ShouldBe([2L, 4, 4]); // 27th: {1, 2} of the 26th and {2, 3, 4}

        var ratio = await queries.TrendAsync("dauOfMau"); // November's active: {1, 2, 3, 4}
        ratio.Rows.Select(r => r.Whole).ShouldBe([4L, 4, 4]);
        ratio.Rows.Select(r => r.Percent).ShouldBe([50.0, 75.0, 25.0]);
    }

    [Fact]
    public async Task A_parameterised_trend_binds_its_parameters_in_the_template_and_in_the_whole()
    {
        var (services, queries, store) = await MarkedAsync();
        using var _services = services;
        queries["planActive"].Parameters.ShouldBe(["plan"]);
        (await queries.TrendAsync("planActive", new { plan = store.Ids(2, 3) })).Rows.Select(r => r.Count).ShouldBe([1L, 2, 0]);

        // The parameter is only in the whole (of @cohort by month): it is collected, required and bound there.
        queries["shareOfCohort"].Parameters.ShouldBe(["cohort"]);
        queries["shareOfCohort"].Whole.ShouldBe(new ParameterNode("cohort"));
        var e = await Should.ThrowAsync<BitmapistQueryException>(() => queries.TrendAsync("shareOfCohort"));
        e.Message.ShouldBe("The query Bitmapist:Queries:shareOfCohort needs the parameter @cohort, which has no value. " +
                           "Pass it when running the query, e.g. new { cohort = store.Month(\"signup\") }.");
        var share = await queries.TrendAsync("shareOfCohort", new { cohort = new long[] { 1, 2 } });
        share.Rows.Select(r => r.Percent).ShouldBe([100.0, 50.0, 50.0]);
    }

    [Fact]
    public async Task A_funnel_query_counts_every_step_as_computed_by_hand_with_a_parameter_in_its_last_step()
    {
        var (services, queries, store) = await MarkedAsync();
        using var _services = services;
        queries["paying"].Kind.ShouldBe(NamedQueryKind.Funnel);
        var paying = await queries.FunnelAsync("paying");
        paying.Steps.ShouldBe(["signup", "paid"]);
        // 26th: signed up {1, 2, 5}, then paid on the 26th or 27th {1, 2}; nobody signed up later.
        paying.Rows.Select(r => r.Counts.ToArray()).ShouldBe([[3L, 2], [0L, 0], [0L, 0]]);

        queries["toTarget"].Parameters.ShouldBe(["target"]);
        queries["toTarget"].Sets.Length.ShouldBe(3);
        await Should.ThrowAsync<BitmapistQueryException>(() => queries.FunnelAsync("toTarget"));
        var target = await queries.FunnelAsync("toTarget", new { target = 2L });
        target.Rows[0].Counts.ShouldBe([3L, 2, 1]);
    }

    [Fact]
    public async Task A_cohort_query_is_a_named_query_too()
    {
        var (services, queries, _) = await MarkedAsync();
        using var _services = services;
        queries["retention"].Kind.ShouldBe(NamedQueryKind.Cohort);
        var table = await queries.CohortAsync("retention");
        table.Rows[0].Size.ShouldBe(3);
        table.Rows[0].Retained.ShouldBe([2L, 1L]); // of {1, 2, 5}: active on the 26th {1, 2}, on the 27th {2}
        table.Rows[1].Size.ShouldBe(0);
        var run = await queries.RunAsync("retention");
        run.Cohort.ShouldNotBeNull().Rows.Length.ShouldBe(3);
        run.ToString().ShouldBe("2026-11-26..2026-11-28: average 2 1");
    }

    [Fact]
    public async Task Run_returns_the_table_and_warns_about_a_misspelt_event()
    {
        var (services, queries, _) = await MarkedAsync(Section.Replace("\"active\": \"month(active)\"", "\"typo\": \"trend actve by day rows 3\""));
        using var _services = services;
        var dau = await queries.RunAsync("dau");
        dau.Kind.ShouldBe(NamedQueryKind.Trend);
        dau.Trend.ShouldNotBeNull().Rows.Select(r => r.Count).ShouldBe([2L, 3, 1]);
        dau.Count.ShouldBeNull();
        dau.Warnings.ShouldBeEmpty();
        dau.ToString().ShouldBe("2026-11-26..2026-11-28: 2 3 1");
        (await queries.RunAsync("dauOfMau")).ToString().ShouldBe("2026-11-26..2026-11-28: 50% 75% 25%");

        var paying = await queries.RunAsync("paying");
        paying.Funnel.ShouldNotBeNull().Totals.ShouldBe([3L, 2]);
        paying.ToString().ShouldBe("2026-11-26..2026-11-28: signup 3 > paid 2");

        var typo = await queries.RunAsync("typo");
        typo.Trend.ShouldNotBeNull().Rows.Select(r => r.Count).ShouldBe([0L, 0, 0]);
        typo.Warnings.Single().Message.ShouldContain("'active'");
    }

    [Fact]
    public async Task A_named_trend_or_funnel_is_the_LINQ_builders_query_its_plan_and_its_numbers()
    {
        // On the sample data, so the series are not only the small hand-made ones.
        using var host = Fixture.Host("""
            { "Bitmapist": { "SampleData": true, "SampleUsers": 2000, "SampleDays": 60, "Queries": {
                "wau": "trend active by day rows 14 window 7 of active by month",
                "listen": "funnel signup then active then song:played by week rows 4 within 2" } } }
            """);
        await host.StartAsync();
        var queries = host.Services.GetRequiredService<NamedQueries>();
        var store = queries.Store;

        var linq = store.Trend(p => store.At("active", p)).ByDay().Rows(14).Window(7).Of(p => store.At("active", p), PeriodUnit.Month);
        var named = (TrendStatement)queries["wau"].Statement;
        named.Query.ShouldBe(linq.Query);
        queries.Explain("wau").ShouldBe(linq.Explain());
        var wau = await queries.TrendAsync("wau");
        wau.Rows.ShouldBe((await linq.RunAsync()).Rows);
        wau.Rows.Sum(r => r.Count).ShouldBeGreaterThan(0);

        var funnel = store.Funnel(p => store.At("signup", p), p => store.At("active", p), p => store.At("song:played", p)).ByWeek().Rows(4).Within(2);
        ((FunnelStatement)queries["listen"].Statement).Query.ShouldBe(funnel.Query);
        queries.Explain("listen").ShouldBe(funnel.Explain());
        var listen = await queries.FunnelAsync("listen");
        var expected = await funnel.RunAsync();
        listen.Rows.Select(r => r.Counts.ToArray()).ShouldBe(expected.Rows.Select(r => r.Counts.ToArray()));
        listen.Totals[0].ShouldBeGreaterThan(0);
        await host.StopAsync();
    }

    [Fact]
    public async Task Explain_of_a_parameterised_trend_is_the_executors_with_the_value_bound()
    {
        var (services, queries, store) = await MarkedAsync();
        using var _services = services;
        var values = new Dictionary<string, SetExpr> { ["plan"] = SetExpr.Ids([2, 3]) };
        var explain = queries.Explain("planActive", values);
        explain.ShouldBe(new StatementExecutor(store).Explain(queries["planActive"].Statement, values));
        explain.ShouldContain("trend (active & @plan) by day rows 3");
        Should.Throw<BitmapistQueryException>(() => queries.Explain("planActive")).Message.ShouldContain("needs the parameter @plan");
    }

    [Theory]
    [InlineData("dau", "CountAsync", "The query Bitmapist:Queries:dau is a trend, which CountAsync cannot run: a trend is one count per period, not one set of users. " +
                                     "Use TrendAsync or RunAsync; for one period's users, name a count query of the set, like count day(active).")]
    [InlineData("paying", "IdsAsync", "The query Bitmapist:Queries:paying is a funnel, which IdsAsync cannot run: a funnel is one count per step and period, not one set of users. " +
                                      "Use FunnelAsync or RunAsync; for one period's users, name a count query of the set, like count day(active).")]
    [InlineData("retention", "ContainsAsync", "The query Bitmapist:Queries:retention is a cohort table, which ContainsAsync cannot run: a cohort table is one count per cell, not one set of users. " +
                                              "Use CohortAsync or RunAsync; for one period's users, name a count query of the set, like count day(active).")]
    [InlineData("dau", "Set", "The query Bitmapist:Queries:dau is a trend, which Set cannot run: a trend is one count per period, not one set of users. " +
                              "Use TrendAsync or RunAsync; for one period's users, name a count query of the set, like count day(active).")]
    public async Task The_set_methods_refuse_a_table_saying_what_to_use(string name, string method, string message)
    {
        using var services = Fixture.Services(Section);
        var queries = services.GetRequiredService<NamedQueries>();
        Func<Task> call = method switch
        {
            "CountAsync" => () => queries.CountAsync(name),
            "IdsAsync" => () => queries.IdsAsync(name),
            "ContainsAsync" => () => queries.ContainsAsync(name, 1),
            _ => () => Task.FromResult(queries.Set(name)),
        };
        (await Should.ThrowAsync<BitmapistQueryException>(call)).Message.ShouldBe(message);
    }

    [Fact]
    public async Task The_table_methods_refuse_another_kind_saying_what_to_use()
    {
        using var services = Fixture.Services(Section);
        var queries = services.GetRequiredService<NamedQueries>();
        (await Should.ThrowAsync<BitmapistQueryException>(() => queries.TrendAsync("active"))).Message.ShouldBe(
            "The query Bitmapist:Queries:active is a count query, not a trend. Use CountAsync, IdsAsync, ContainsAsync or RunAsync, or write it as trend SET by UNIT.");
        (await Should.ThrowAsync<BitmapistQueryException>(() => queries.FunnelAsync("dau"))).Message.ShouldBe(
            "The query Bitmapist:Queries:dau is a trend, not a funnel. Use TrendAsync or RunAsync, or write it as funnel SET then SET by UNIT.");
        (await Should.ThrowAsync<BitmapistQueryException>(() => queries.PercentAsync("paying"))).Message.ShouldBe(
            "The query Bitmapist:Queries:paying is a funnel, not a percent query. Use FunnelAsync or RunAsync, or write it as percent ... of ....");
        (await Should.ThrowAsync<BitmapistQueryException>(() => queries.CohortAsync("dau"))).Message.ShouldBe(
            "The query Bitmapist:Queries:dau is a trend, not a cohort table. Use TrendAsync or RunAsync, or write it as cohort SET then SET by UNIT.");
    }

    [Fact]
    public async Task A_trend_that_does_not_parse_stops_start_up_with_line_column_and_caret()
    {
        using var host = Fixture.Host("""
            { "Bitmapist": { "Queries": { "good": "trend active by day", "weekly": [ "# active users per week", "trend active by weak rows 12" ] } } }
            """);
        var e = await Should.ThrowAsync<BitmapistConfigurationException>(() => host.StartAsync());
        e.Setting.ShouldBe("Bitmapist:Queries:weekly");
        e.SyntaxError.ShouldNotBeNull().Line.ShouldBe(2);
        e.Message.ShouldStartWith("The query Bitmapist:Queries:weekly does not parse: line 2, column 17: ");
        e.Message.ShouldEndWith("\ntrend active by weak rows 12\n                ^");
    }

    [Theory]
    [InlineData("trend active by day rows 0", "line 1, column 26: expected a number from 1 to 1000 after rows, found '0'", 25)]
    [InlineData("funnel signup then paid by day within 0", "line 1, column 39: expected a number from 1 to 1000 after within, found '0'", 38)]
    [InlineData("trend active by week of active by month", "line 1, column 1: A week does not lie inside one month, so 'of ... by month' has no single whole per row. " +
                "Divide by the row's unit or a larger one that contains it (an ISO week can straddle a month or a year), e.g. 'of ... by week window N'", 0)]
    public void A_trend_or_funnel_out_of_range_stops_start_up_with_the_caret(string text, string problem, int caret)
    {
        using var services = Fixture.Services($$"""{ "Bitmapist": { "Queries": { "q": "{{text}}" } } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Setting.ShouldBe("Bitmapist:Queries:q");
        e.Message.ShouldBe($"The query Bitmapist:Queries:q does not parse: {problem}\n{text}\n{new string(' ', caret)}^");
    }

    [Fact]
    public void A_trend_that_cannot_be_planned_stops_start_up()
    {
        // Parses, but 'users' needs a Universe, which this section does not set: found by planning at start-up.
        using var services = Fixture.Services("""{ "Bitmapist": { "Queries": { "q": "trend users - active by day rows 3" } } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Setting.ShouldBe("Bitmapist:Queries:q");
        e.Message.ShouldStartWith("The query Bitmapist:Queries:q cannot be planned: ");
        e.InnerException.ShouldBeAssignableTo<BitmapistQueryException>();
    }

    [Fact]
    public void The_examples_appsettings_queries_start_up_with_their_trend_and_funnel()
    {
        // examples/ConfigQueries runs these on 200,000 sample users; here its section is only parsed and planned.
        var json = File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "ConfigQueries", "appsettings.json"));
        using var services = Fixture.Services(json.Replace("\"SampleData\": true", "\"SampleData\": false"));
        var queries = services.GetRequiredService<NamedQueries>();
        queries["dailyActiveShareOfMonth"].Kind.ShouldBe(NamedQueryKind.Trend);
        queries["signupToSong"].Kind.ShouldBe(NamedQueryKind.Funnel);
    }

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

    [Fact]
    public void A_trend_after_lets_and_with_a_parameter_is_checked_with_the_others()
    {
        using var services = Fixture.Services("""
            { "Bitmapist": { "Queries": {
                "a": [ "let paying = month(paid) & @plan", "funnel signup then paying by week rows 4" ],
                "b": "trend active by day; count month(active)" } } }
            """);
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Problems.Select(p => p.Setting).ShouldBe(["Bitmapist:Queries:b"]);
        e.Message.ShouldStartWith("The query Bitmapist:Queries:b holds 2 statements");
    }
}
