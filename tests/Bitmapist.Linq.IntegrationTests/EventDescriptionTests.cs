using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// <c>describe EVENT</c> (issue 12's demonstration statement): which periods of an event have keys, the first and
/// last of each unit, and this month's count, on every store kind. Longer names that share the prefix are not counted.
/// </summary>
public class EventDescriptionTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task An_event_is_described_by_its_keys_and_this_months_count(string kind)
    {
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });
        var batch = store.CreateBatch();
        batch.Mark("active", 1, Now).Mark("active", 2, Now).Mark("active", 3, Now.AddDays(-40)).Mark("active", 4, new DateTime(2025, 12, 31));
        batch.Mark("active_users", 9, Now.AddYears(-3)).MarkUnique("active", 5);
        await batch.ExecuteAsync();

        var d = await store.DescribeEventAsync("active");

        d.Event.ShouldBe("active");
        d.ThisMonth.ShouldBe(Period.Month(2026, 11));
        d.CountThisMonth.ShouldBe(2);
        d.Units.Select(u => u.Unit).ShouldBe([PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day, PeriodUnit.Unique]);
        var days = d.Units.Single(u => u.Unit == PeriodUnit.Day);
        days.Keys.ShouldBe(3);
        days.First.ShouldBe(Period.Day(2025, 12, 31), "active_users' older keys are another event");
        days.Last.ShouldBe(Period.Day(2026, 11, 28));
        var months = d.Units.Single(u => u.Unit == PeriodUnit.Month);
        (months.Keys, months.First, months.Last).ShouldBe((3, Period.Month(2025, 12), Period.Month(2026, 11)));
        d.Units.Single(u => u.Unit == PeriodUnit.Unique).Keys.ShouldBe(1);
        d.IsEmpty.ShouldBeFalse();

        var missing = await store.DescribeEventAsync("actve");
        missing.IsEmpty.ShouldBeTrue();
        missing.CountThisMonth.ShouldBe(0);
        await store.DeleteEventsAsync();
    }
}
