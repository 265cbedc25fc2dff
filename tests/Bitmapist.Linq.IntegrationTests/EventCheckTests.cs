using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// A query that reads an event with no key in any period warns, with the nearest stored names (issue 11 item 5:
/// <c>count month(actve)</c> silently gave 0); an event with data elsewhere, or a correct query, does not. On every store kind.
/// </summary>
public class EventCheckTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    private static async Task<BitmapStore> Create(string kind)
    {
        var store = await StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });
        // The real-time budget of the key-space search is tested on its own below; elsewhere a loaded machine (or a
        // Redis full of other tests' keys) must not turn a warning into none.
        store.EventCheckScanBudget = TimeSpan.FromSeconds(30);
        var batch = store.CreateBatch();
        foreach (var id in new long[] { 1, 2, 3 }) batch.Mark("active", id, Now).Mark("signup", id, Now.AddMonths(-1)).MarkUnique("premium", id);
        batch.Mark("actives", 4, Now).Mark("song:played", 5, Now.AddYears(-2));
        await batch.ExecuteAsync();
        return store;
    }

    private static SetExpr Parse(string text) => ((QueryStatement)TextQuery.Parse(text).Single()).Query.Set;

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_misspelt_event_is_warned_about_with_the_nearest_stored_names(string kind)
    {
        await using var store = await Create(kind);
        (await store.Month("actve").CountAsync()).ShouldBe(0, "the typo reads as the empty set");

        var warnings = await store.Month("actve").CheckEventsAsync();

        var warning = warnings.ShouldHaveSingleItem();
        warning.EventName.ShouldBe("actve");
        warning.Suggestions.ShouldBe(["active", "actives"]);
        warning.Message.ShouldBe("The event 'actve' has no data in any period of this store, so it reads as an empty set: did you mean 'active' or 'actives'?");
        await store.DeleteEventsAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Past_its_scan_budget_the_check_stops_without_a_warning_or_an_error(string kind)
    {
        await using var store = await Create(kind);
        // No time to look through the key space: whether 'actve' has keys in other periods is not known, so there is
        // no warning (rather than a wrong one, or seconds of SCAN on a large Redis), and nothing is remembered.
        store.EventCheckScanBudget = TimeSpan.Zero;
        (await store.Month("actve").CheckEventsAsync()).ShouldBeEmpty();
        store.EventCheckScanBudget = TimeSpan.FromSeconds(30);
        (await store.Month("actve").CheckEventsAsync()).ShouldHaveSingleItem().Suggestions.ShouldBe(["active", "actives"]);
        await store.DeleteEventsAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task An_event_with_no_data_in_the_periods_read_is_not_a_typo(string kind)
    {
        await using var store = await Create(kind);
        // song:played has keys only in 2024; signup only last month: 0 is the real answer for this month and week.
        (await store.Month("song:played").CountAsync()).ShouldBe(0);
        (await store.Month("song:played").CheckEventsAsync()).ShouldBeEmpty();
        (await store.CheckEventsAsync(Parse("week(signup) | day(song:played, -6..0)"))).ShouldBeEmpty();
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
        await store.DeleteEventsAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Every_missing_event_of_a_compound_query_is_warned_about_once_and_nothing_is_written(string kind)
    {
        await using var store = await Create(kind);
        var before = await AllKeys(store);

        var warnings = await store.CheckEventsAsync(Parse("(month(actve) & week(actve) | unique(premum)) - day(active) - year(signupp, -1..0)"));

        warnings.Select(w => w.EventName).ShouldBe(["actve", "premum", "signupp"]);
        warnings.Select(w => w.Suggestions.FirstOrDefault()).ShouldBe(["active", "premium", "signup"]);
        (await AllKeys(store)).ShouldBe(before, "the check reads only: no key created, no temporary left");
        (await store.CheckEventsAsync(Parse("month(active) & unique(premium) - week(signup, -5..0) | all day(actives, -1..0)"))).ShouldBeEmpty();
        await store.DeleteEventsAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Parameters_and_cohort_tables_are_checked_as_they_are_read(string kind)
    {
        await using var store = await Create(kind);
        var withParameter = Parse("month(active) & @segment");
        (await store.CheckEventsAsync(withParameter, new Dictionary<string, SetExpr> { ["segment"] = SetExpr.Unique("premum") }))
            .Select(w => w.EventName).ShouldBe(["premum"]);
        (await store.CheckEventsAsync(withParameter, new Dictionary<string, SetExpr> { ["segment"] = SetExpr.Unique("premium") })).ShouldBeEmpty();

        var cohort = ((CohortStatement)TextQuery.Parse("cohort signup then actvie & unique(premium) by month rows 3 cols 2").Single()).Query;
        (await store.CheckEventsAsync(cohort)).Select(w => (w.EventName, w.Suggestions.FirstOrDefault())).ShouldBe([("actvie", "active")]);
        var good = ((CohortStatement)TextQuery.Parse("cohort signup then active by month rows 3 cols 2").Single()).Query;
        await store.CohortAsync(good);
        (await store.CheckEventsAsync(good)).ShouldBeEmpty();
        await store.DeleteEventsAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_deleted_event_is_warned_about_again(string kind)
    {
        await using var store = await Create(kind);
        (await store.Month("active").CheckEventsAsync()).ShouldBeEmpty(); // now remembered as existing
        await store.DeleteEventsAsync("active");
        (await store.Month("active").CheckEventsAsync()).Select(w => w.EventName).ShouldBe(["active"]);

        (await store.Unique("premium").CheckEventsAsync()).ShouldBeEmpty();
        await store.DeleteAsync("premium", Period.Unique);
        (await store.Unique("premium").CheckEventsAsync()).Select(w => w.EventName).ShouldBe(["premium"]);
        await store.DeleteEventsAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_name_like_no_stored_event_gets_no_suggestion(string kind)
    {
        await using var store = await Create(kind);
        var warning = (await store.Day("checkout").CheckEventsAsync()).ShouldHaveSingleItem();
        warning.Suggestions.ShouldBeEmpty();
        warning.Message.ShouldBe("The event 'checkout' has no data in any period of this store, so it reads as an empty set; no stored event has a similar name: list the store's events to check the spelling.");
        await store.DeleteEventsAsync();
    }

    [SkippableFact]
    public async Task A_correct_query_is_checked_with_one_exists_per_event_once_then_never_again()
    {
        await using var proxy = new RecordingProxy(RedisServer.Endpoint);
        await using var observed = await RedisStore.ConnectAsync(proxy.Endpoint, new StoreOptions
        {
            Keys = new KeyScheme($"t{Guid.NewGuid():N}_"),
            Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
        });
        await observed.CreateBatch().Mark("active", 1, Now).Mark("signup", 1, Now).ExecuteAsync();
        var set = Parse("month(active) & day(signup, -3..0) - week(active, -1)");
        proxy.Clear();

        (await observed.CheckEventsAsync(set)).ShouldBeEmpty();
        var sent = proxy.Exchanges.Where(e => e.Command is not ("PING" or "ECHO" or "SELECT")).ToList();
        sent.Select(e => e.Command).ShouldBe(["EXISTS", "EXISTS"], "one EXISTS of its read keys per event: " + string.Join("\n", sent));
        sent.Single(e => e.Words[1].Contains("active", StringComparison.Ordinal)).Words.Length.ShouldBe(3, "active: this month's and last week's key");

        proxy.Clear();
        (await observed.CheckEventsAsync(set)).ShouldBeEmpty();
        proxy.Exchanges.Where(e => e.Command is not ("PING" or "ECHO" or "SELECT")).ShouldBeEmpty("events already seen are not asked about again");
        await observed.DeleteEventsAsync();
    }

    [SkippableFact]
    public async Task A_misspelt_query_asked_again_costs_one_exists_until_a_minute_has_passed()
    {
        await using var proxy = new RecordingProxy(RedisServer.Endpoint);
        var clock = new FakeTimeProvider(new DateTimeOffset(Now));
        await using var store = await RedisStore.ConnectAsync(proxy.Endpoint, new StoreOptions { Keys = new KeyScheme($"t{Guid.NewGuid():N}_"), Clock = clock });
        store.EventCheckScanBudget = TimeSpan.FromSeconds(30); // a loaded machine must not make the SCAN run out of time
        await store.MarkAsync("active", 1, Now);
        List<string> Sent() => [.. proxy.Exchanges.Select(e => e.Command).Where(c => c is not ("PING" or "ECHO" or "SELECT"))];

        proxy.Clear();
        (await store.Month("actve").CheckEventsAsync()).ShouldHaveSingleItem().Suggestions.ShouldBe(["active"]);
        Sent().ShouldContain("SCAN");

        proxy.Clear();
        clock.Advance(TimeSpan.FromSeconds(59));
        (await store.Month("actve").CheckEventsAsync()).ShouldHaveSingleItem().Suggestions.ShouldBe(["active"]);
        Sent().ShouldBe(["EXISTS"], "within a minute the missing event is remembered: no SCAN");

        proxy.Clear();
        clock.Advance(TimeSpan.FromSeconds(2));
        (await store.Month("actve").CheckEventsAsync()).ShouldHaveSingleItem();
        Sent().ShouldContain("SCAN");

        await store.MarkAsync("actve", 2, Now);
        (await store.Month("actve").CheckEventsAsync()).ShouldBeEmpty("EXISTS finds the key it now has");
        await store.DeleteEventsAsync();
    }

    private static async Task<List<string>> AllKeys(BitmapStore store)
    {
        var keys = new List<string>();
        await foreach (var key in store.ScanAsync(store.Keys.ScanPattern(), default)) keys.Add(key);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
