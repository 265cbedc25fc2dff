using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Tracking;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Planning;

/// <summary>
/// Hour keys exist only where marks were made with hourly tracking on. An hour range may read its whole days
/// from day keys only when the store declares that; otherwise it reads hour keys and gives the hourly answer,
/// never "1755 users in the last 48 hours but 0 in the last hour" (day keys in the middle, empty hours at the edges).
/// </summary>
public class HourRangeTrackingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 30, 0, TimeSpan.Zero);

    private static async Task<EmbeddedStore> Store(bool hourly)
    {
        var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(Now), Tracking = new TrackingOptions(Hourly: hourly) });
        await store.MarkAsync("active", 1, at: new DateTime(2026, 11, 29, 3, 0, 0));   // the whole day before: hour 3
        await store.MarkAsync("active", 2, at: new DateTime(2026, 11, 30, 12, 10, 0)); // this hour
        await store.MarkAsync("active", 3, at: new DateTime(2026, 11, 28, 11, 0, 0));  // 49 hours ago: outside -48..0
        return store;
    }

    private static Task<long> Count(EmbeddedStore store, string set) => store.Set(TextQuery.ParseSet(set)).CountAsync();

    [Fact]
    public async Task Without_hourly_tracking_hour_ranges_read_hour_keys_only_and_agree_with_each_other()
    {
        using var store = await Store(hourly: false);
        (await Count(store, "hour(active, -48..0)")).ShouldBe(0); // no mark wrote an hour key
        (await Count(store, "hour(active, -1..0)")).ShouldBe(0);
        store.Plan(new Bitmapist.Linq.Query.SetQuery(TextQuery.ParseSet("hour(active, -48..0)"), Bitmapist.Linq.Query.ReadKind.Count)).Bound.Text
            .ShouldNotContain("trackist_active_2026-11-29_"); // not the day key
    }

    [Fact]
    public async Task With_hourly_tracking_whole_days_come_from_day_keys_and_edges_from_hours()
    {
        using var store = await Store(hourly: true);
        (await Count(store, "hour(active, -48..0)")).ShouldBe(2); // users 1 and 2; user 3 is 49 hours back
        (await Count(store, "hour(active, -49..0)")).ShouldBe(3);
        (await Count(store, "hour(active, -1..0)")).ShouldBe(1);
        var bound = store.Plan(new Bitmapist.Linq.Query.SetQuery(TextQuery.ParseSet("hour(active, -48..0)"), Bitmapist.Linq.Query.ReadKind.Count)).Bound.Text;
        bound.ShouldContain("trackist_active_2026-11-29"); // the whole day 29th as one day key
        bound.ShouldNotContain("trackist_active_2026-11-29-3");
    }

    [Fact]
    public async Task A_huge_hour_range_without_hourly_tracking_is_refused_before_it_is_built()
    {
        using var store = await Store(hourly: false);
        var e = await Should.ThrowAsync<BitmapistQueryException>(() => Count(store, "hour(active, -200000..0)"));
        e.Message.ShouldContain("spans 200001 hours");
        e.Fix!.ShouldContain("Hourly: true");
        using var hourly = await Store(hourly: true);
        (await Count(hourly, "hour(active, -200000..0)")).ShouldBe(3); // days, weeks and months
    }
}
