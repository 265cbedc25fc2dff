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
        store.Plan(query with { Read = ReadKind.Contains, Id = 5 }).Program.Id.ShouldBe(5u);
        store.Plan(query with { Read = ReadKind.Contains, Id = 6 }).Program.Id.ShouldBe(6u);
    }
}
