using System.Globalization;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Trends;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>Trends and funnels computed by hand on the cohort tests' small data, on every store.</summary>
public class TrendTests
{
    private static Task<BitmapStore> Create(string kind) =>
        StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(CohortTests.Now)) });

    private static async Task<string> Trend(BitmapStore store, string text)
    {
        var table = await store.TrendAsync(((TrendStatement)TextQuery.Parse(text).Single()).Query);
        return string.Join("\n", table.Rows.Select(r => r.Whole is { } whole
            ? $"{r.Label} {r.Count}/{whole} " + (r.Percent is { } p ? p.ToString("0.##", CultureInfo.InvariantCulture) : "-")
            : $"{r.Label} {r.Count}"));
    }

    private static async Task<string> Funnel(BitmapStore store, string text)
    {
        var table = await store.FunnelAsync(((FunnelStatement)TextQuery.Parse(text).Single()).Query);
        return string.Join("\n", table.Rows.Select(r => $"{r.Label} " + string.Join(" ", r.Counts)));
    }

    // SeedDays: signup 1-4 on Mar 1, 5-6 on Mar 2, 7 on Mar 4; active 1,2,3 / 1,5 / 9 / 2,7 on Mar 1..4; now is Mar 4.

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Daily_and_rolling_actives_match_the_hand_computed_series(string kind)
    {
        await using var store = await Create(kind);
        await CohortTests.SeedDays(store);
        (await Trend(store, "trend active by day rows 5")).ShouldBe("""
            2026-02-28 0
            2026-03-01 3
            2026-03-02 2
            2026-03-03 1
            2026-03-04 2
            """);
        // Any of the two days ending at the row: {1,2,3}, {1,2,3,5}, {1,5,9}, {2,7,9}.
        (await Trend(store, "trend active by day rows 4 from 2026-03-01 window 2")).ShouldBe("""
            2026-03-01 3
            2026-03-02 4
            2026-03-03 3
            2026-03-04 3
            """);
        // A window holds the template in any one period: active and not signed up THAT day. Mar 1 {}, Mar 2 {1},
        // Mar 3 {9}, Mar 4 {2} (7 signed up that day), so not (active over 3 days) - (signup over 3 days).
        (await Trend(store, "trend active - signup by day rows 2 from -1 window 3")).ShouldBe("""
            2026-03-03 2
            2026-03-04 3
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Daily_over_monthly_actives_is_each_day_as_a_share_of_its_month(string kind)
    {
        await using var store = await Create(kind);
        await CohortTests.SeedDays(store);
        // March's actives: {1,2,3,5,7,9} = 6; February has none, so its share is undefined, not 0%.
        (await Trend(store, "trend active by day rows 3 from 2026-02-28 of active by month")).ShouldBe("""
            2026-02-28 0/0 -
            2026-03-01 3/6 50
            2026-03-02 2/6 33.33
            """);
        // Signups as a share of the 2-day rolling actives: Mar 2 {5,6} of {1,2,3,5}: 1 of 4.
        (await Trend(store, "trend signup by day rows 1 from 2026-03-02 of active by day window 2")).ShouldBe("2026-03-02 1/4 25");
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Funnels_keep_each_step_within_the_one_before(string kind)
    {
        await using var store = await Create(kind);
        await CohortTests.SeedDays(store);
        // Same day: Mar 1 {1,2,3,4} -> active {1,2,3}; Mar 2 {5,6} -> {5}; Mar 4 {7} -> {7}.
        (await Funnel(store, "funnel signup then active by day rows 4 from 2026-03-01")).ShouldBe("""
            2026-03-01 4 3
            2026-03-02 2 1
            2026-03-03 0 0
            2026-03-04 1 1
            """);
        // Within 3 days, then active again on the day after the signup (a step need not happen after the one
        // before within a period): Mar 1 -> {1,2,3} -> active on Mar 1..3 = {1,2,3}, then "active" again {1,2,3}.
        (await Funnel(store, "funnel signup then active then active - unique(none) by day rows 2 from 2026-03-01 within 3")).ShouldBe("""
            2026-03-01 4 3 3
            2026-03-02 2 1 1
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Trend_and_funnel_statements_run_through_the_executor_and_warn_of_unknown_events(string kind)
    {
        await using var store = await Create(kind);
        await CohortTests.SeedDays(store);
        var executor = new StatementExecutor(store);
        var trend = (TrendResult)await executor.ExecuteAsync(TextQuery.Parse("trend actve by day rows 2").Single());
        trend.Table.Rows.Select(r => r.Count).ShouldBe([0L, 0L]);
        trend.Warnings.ShouldHaveSingleItem().EventName.ShouldBe("actve");
        var funnel = (FunnelResult)await executor.ExecuteAsync(TextQuery.Parse("funnel signup then active by week rows 1").Single());
        // ISO week 2026-W10 is Mar 2..8: signups {5,6,7}, of whom {5,7} were active that week.
        funnel.Table.Rows.ShouldHaveSingleItem().Counts.ShouldBe([3L, 2L]);
        funnel.Table.Steps.ShouldBe(["signup", "active"]);
        funnel.Warnings.ShouldBeEmpty();
        (await executor.ExecuteAsync(TextQuery.Parse("explain funnel signup then active by week rows 1").Single()))
            .ShouldBeOfType<ExplainResult>().Plan.ShouldContain("counts:    2 distinct sets (each step within the one before)");
    }
}
