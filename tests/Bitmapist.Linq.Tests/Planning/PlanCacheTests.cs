using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Planning;

public class PlanCacheTests
{
    [Fact]
    public void A_repeated_query_reuses_its_plan_until_now_moves_to_another_period()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 23, 0, 0, TimeSpan.Zero));
        var store = new EmbeddedStore(new StoreOptions { Clock = clock });
        var query = new SetQuery(SetExpr.Event("a", PeriodRef.Relative(PeriodUnit.Month)) - SetExpr.Event("b", PeriodRef.Relative(PeriodUnit.Week)), ReadKind.Count);

        var first = store.Plan(query);
        var again = store.Plan(query);
        again.Program.ShouldBeSameAs(first.Program);
        again.Optimized.ShouldBe(first.Optimized);

        clock.Advance(TimeSpan.FromHours(2)); // December, and a new ISO week
        var later = store.Plan(query);
        later.Program.ShouldNotBeSameAs(first.Program);
        later.Bound.Text.ShouldContain("trackist_a_2026-12");
        later.Optimized.Text.ShouldContain("trackist_a_2026-12");

        // The read is part of the key: contains 5 and contains 6 are different programs.
        store.Plan(query with { Read = ReadKind.Contains, Id = 5 }).Program.Reads[0].Id.ShouldBe(5u);
        store.Plan(query with { Read = ReadKind.Contains, Id = 6 }).Program.Reads[0].Id.ShouldBe(6u);
    }
}

/// <summary>The plan caches stay bounded by count and by estimated bytes however many distinct queries a long-running host plans.</summary>
public class PlanCacheBoundTests
{
    [Fact]
    public void Many_distinct_cohort_tables_keep_at_most_16_plans()
    {
        using var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)) });
        for (var rows = 1; rows <= 40; rows++)
        {
            var query = new Bitmapist.Linq.Cohorts.CohortQuery(new TemplateNode("signup"), new TemplateNode("active"), PeriodUnit.Day) { Rows = rows, Cols = 3 };
            store.Plan(query);
            store.PlanCacheUse.CohortPlans.ShouldBeLessThanOrEqualTo(16);
        }
        store.PlanCacheUse.CohortBytes.ShouldBeGreaterThan(0);
        store.PlanCacheUse.CohortBytes.ShouldBeLessThanOrEqualTo(64L << 20);
    }

    [Fact]
    public void Large_plans_are_bounded_by_bytes_and_one_larger_than_the_budget_is_not_kept()
    {
        var cache = new Bitmapist.Linq.Planning.PlanCache<string>(maxEntries: 100, maxBytes: 10_000);
        for (var i = 0; i < 50; i++)
        {
            cache.Add($"k{i}", "plan", 3_000);
            cache.Bytes.ShouldBeLessThanOrEqualTo(10_000);
            cache.TryGet($"k{i}", out var kept).ShouldBeTrue(); // the newest plan is always there
            kept.ShouldBe("plan");
        }
        var (count, bytes) = (cache.Count, cache.Bytes);
        count.ShouldBeInRange(1, 3);

        cache.Add("huge", "plan", 20_000);
        cache.TryGet("huge", out _).ShouldBeFalse();
        (cache.Count, cache.Bytes).ShouldBe((count, bytes)); // and it did not empty the cache for nothing

        cache.Add("k49", "again", 1_000); // a key added again is counted once
        (cache.Count, cache.Bytes).ShouldBe((count, bytes - 3_000 + 1_000));
    }

    [Fact]
    public void Query_plans_of_large_literals_are_bounded_by_bytes()
    {
        using var store = new EmbeddedStore();
        for (var i = 0; i < 40; i++)
        {
            // About 1.2 MB of key text each: 40 of them would be well over the 64 MB budget at 8 bytes a character.
            var ids = Enumerable.Range(i * 200_000, 200_000).Select(n => (long)n);
            store.Plan(new SetQuery(SetExpr.Ids(ids), ReadKind.Count));
            store.PlanCacheUse.QueryBytes.ShouldBeLessThanOrEqualTo(64L << 20);
        }
        store.PlanCacheUse.QueryPlans.ShouldBeGreaterThan(0);
    }
}
