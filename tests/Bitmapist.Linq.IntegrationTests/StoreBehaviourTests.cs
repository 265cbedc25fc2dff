using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Tracking;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>The same behaviour suite on the embedded store, on Redis, and on Redis with the bitmapist-server profile.</summary>
public class StoreBehaviourTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    private static Task<BitmapStore> Create(string kind, TrackingOptions? tracking = null, SetExpr? universe = null) =>
        StoreKind.CreateAsync(kind, new StoreOptions
        {
            Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
            Tracking = tracking ?? TrackingOptions.Bitmapist3,
            Universe = universe,
        });

    private static async Task<long> KeyCount(BitmapStore store, string suffixKey) => await store.Set(SetExpr.Key(suffixKey)).CountAsync();

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_mark_writes_bitmapists_month_week_and_day_keys(string kind)
    {
        await using var store = await Create(kind);
        var p = store.Keys.Prefix;
        await store.MarkAsync("active", 123);

        (await KeyCount(store, $"{p}active_2026-11")).ShouldBe(1);
        (await KeyCount(store, $"{p}active_W2026-48")).ShouldBe(1);
        (await KeyCount(store, $"{p}active_2026-11-28")).ShouldBe(1);
        (await KeyCount(store, $"{p}active_2026-11-28-14")).ShouldBe(0, "hourly tracking is off by default");
        (await KeyCount(store, $"{p}active_u")).ShouldBe(0, "unique tracking is off by default");
        (await store.Month("active").ContainsAsync(123)).ShouldBeTrue();
        (await store.Week("active").ContainsAsync(124)).ShouldBeFalse();
        (await store.Day("active", 2026, 11, 28).CountAsync()).ShouldBe(1);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Hourly_and_unique_tracking_write_their_keys_when_enabled(string kind)
    {
        await using var store = await Create(kind, new TrackingOptions(Hourly: true, Unique: true));
        await store.MarkAsync("active", 7, new DateTime(2026, 1, 5, 9, 7, 0));
        var p = store.Keys.Prefix;
        (await KeyCount(store, $"{p}active_2026-1-5-9")).ShouldBe(1);
        (await KeyCount(store, $"{p}active_u")).ShouldBe(1);
        (await KeyCount(store, $"{p}active_W2026-2")).ShouldBe(1);
        (await store.Hour("active", 2026, 1, 5, 9).ContainsAsync(7)).ShouldBeTrue();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Unmark_clears_the_bits_a_mark_set(string kind)
    {
        await using var store = await Create(kind);
        await store.MarkAsync("active", 5);
        await store.MarkAsync("active", 6);
        await store.UnmarkAsync("active", 5);
        (await store.Month("active").ToListAsync()).ShouldBe([6]);
        (await store.Week("active").ToListAsync()).ShouldBe([6]);
        await store.MarkUniqueAsync("premium", 9);
        (await store.Unique("premium").ContainsAsync(9)).ShouldBeTrue();
        await store.UnmarkUniqueAsync("premium", 9);
        (await store.Unique("premium").AnyAsync()).ShouldBeFalse();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Ids_outside_the_32_bit_range_are_refused_before_any_write(string kind)
    {
        await using var store = await Create(kind);
        var batch = store.CreateBatch().Mark("active", 1);
        Should.Throw<ArgumentOutOfRangeException>(() => batch.Mark("active", -1)).Message.ShouldContain("-1");
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => store.MarkAsync("active", 4_294_967_296L));
        await Should.ThrowAsync<ArgumentOutOfRangeException>(() => store.Month("active").ContainsAsync(-5));
        (await store.ListEventsAsync()).ShouldBeEmpty("nothing may be written by a refused mark");
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_batch_applies_every_mark_at_once(string kind)
    {
        await using var store = await Create(kind);
        var batch = store.CreateBatch();
        for (var i = 0; i < 500; i++) batch.Mark(i % 2 == 0 ? "even" : "odd", i, Now.AddDays(-(i % 3)));
        batch.Count.ShouldBe(1500);
        await batch.ExecuteAsync();
        (await store.Month("even").CountAsync()).ShouldBe(250);
        (await store.Day("odd").CountAsync()).ShouldBe(Enumerable.Range(0, 500).Count(i => i % 2 == 1 && i % 3 == 0));
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Bulk_import_equals_marking_one_by_one(string kind)
    {
        await using var bulk = await Create(kind);
        await using var single = await Create(kind);
        var r = new Random(7);
        var import = bulk.CreateBulkImport();
        var batch = single.CreateBatch();
        var records = Enumerable.Range(0, 3000).Select(_ => (Event: r.Next(3) switch { 0 => "a", 1 => "b:c", _ => "d e" },
            Id: (long)Testing.RandomFormula.Interesting(r, 2_000_000), At: Now.AddHours(-r.Next(0, 24 * 70)))).ToList();
        foreach (var (e, id, at) in records)
        {
            await import.AddAsync(e, id, at);
            batch.Mark(e, id, at);
        }
        // Pre-existing bits must survive the merge (OR, not overwrite).
        await bulk.MarkAsync("a", 999_999, Now);
        batch.Mark("a", 999_999, Now);
        await import.FlushAsync();
        await batch.ExecuteAsync();
        import.Added.ShouldBe(3000);

        foreach (var e in new[] { "a", "b:c", "d e" })
        for (var m = 0; m < 4; m++)
        {
            var month = Period.Of(PeriodUnit.Month, Now).Delta(-m);
            (await bulk.At(e, month).ToListAsync()).ShouldBe(await single.At(e, month).ToListAsync());
        }
        (await bulk.ListEventsAsync()).ShouldBe(["a", "b:c", "d e"]);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Ids_stream_in_ascending_order_across_pages(string kind)
    {
        await using var store = await Create(kind);
        // More than one 64 KiB GETRANGE page (524,288 ids) of range, ids at byte and word edges.
        long[] ids = [0, 7, 8, 63, 64, 65535, 65536, 524_287, 524_288, 524_289, 1_048_576, 3_000_001];
        var batch = store.CreateBatch();
        foreach (var id in ids.Reverse()) batch.Mark("active", id);
        await batch.ExecuteAsync();
        (await store.Month("active").ToListAsync()).ShouldBe(ids);
        var from = new List<long>();
        await foreach (var id in store.Month("active").IdsAsync(from: 524_288)) from.Add(id);
        from.ShouldBe(ids.Where(i => i >= 524_288));
        (await store.Month("active").MinAsync()).ShouldBe(0);
        (await store.Month("active").MaxAsync()).ShouldBe(3_000_001);
        // Composite results too (leased on Redis).
        (await (store.Month("active") & store.Week("active")).ToListAsync()).ShouldBe(ids);
        (await (store.Month("active") - store.Ids(7, 3_000_001)).MaxAsync()).ShouldBe(1_048_576);
        (await store.Month("nothing").MinAsync()).ShouldBeNull();
        (await store.Month("nothing").MaxAsync()).ShouldBeNull();
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Has_events_marked_means_a_non_empty_set_not_an_existing_key(string kind)
    {
        await using var store = await Create(kind);
        await store.MarkAsync("a", 1);
        await store.MarkAsync("b", 2);
        (await (store.Month("a") & store.Month("b")).AnyAsync()).ShouldBeFalse("bitmapist's EXISTS said true here");
        (await store.Month("a").AnyAsync()).ShouldBeTrue();
        (await store.Month("missing").AnyAsync()).ShouldBeFalse();
        (await store.Month("missing").CountAsync()).ShouldBe(0);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_year_is_the_union_of_its_months(string kind)
    {
        await using var store = await Create(kind);
        await store.MarkAsync("active", 1, new DateTime(2026, 1, 31));
        await store.MarkAsync("active", 2, new DateTime(2026, 12, 1));
        await store.MarkAsync("active", 3, new DateTime(2025, 12, 31));
        (await store.Year("active", 2026).ToListAsync()).ShouldBe([1, 2]);
        (await store.Year("active").CountAsync()).ShouldBe(2);
        (await store.Year("active").Previous().ToListAsync()).ShouldBe([3]);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Set_algebra_and_retention(string kind)
    {
        await using var store = await Create(kind);
        var lastMonth = Now.AddMonths(-1);
        foreach (var id in new long[] { 1, 2, 3, 4 }) await store.MarkAsync("active", id, lastMonth);
        foreach (var id in new long[] { 3, 4, 5 }) await store.MarkAsync("active", id);
        var retained = store.Month("active").Previous() & store.Month("active");
        (await retained.ToListAsync()).ShouldBe([3, 4]);
        (await (store.Month("active").Previous() | store.Month("active")).CountAsync()).ShouldBe(5);
        (await (store.Month("active").Previous() ^ store.Month("active")).ToListAsync()).ShouldBe([1, 2, 5]);
        (await (store.Month("active").Previous() - store.Month("active")).ToListAsync()).ShouldBe([1, 2]);
        (await (store.Month("active") & ~store.Month("active").Previous()).ToListAsync()).ShouldBe([5]);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_difference_is_right_when_the_subtracted_bitmap_is_shorter(string kind)
    {
        // bitmapist's NOT-based difference lost 1000 here: A={1,1000}, B={1}.
        await using var store = await Create(kind);
        await store.MarkAsync("a", 1);
        await store.MarkAsync("a", 1000);
        await store.MarkAsync("b", 1);
        (await (store.Month("a") - store.Month("b")).ToListAsync()).ShouldBe([1000]);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_complement_needs_a_universe(string kind)
    {
        await using (var store = await Create(kind))
        {
            await store.MarkAsync("active", 1);
            var e = await Should.ThrowAsync<BitmapistQueryException>(() => (~store.Month("active")).CountAsync());
            e.Message.ShouldContain("universe");
        }
        await using (var store = await Create(kind, universe: SetExpr.Unique("user")))
        {
            foreach (var id in new long[] { 1, 2, 3 }) await store.MarkUniqueAsync("user", id);
            await store.MarkAsync("active", 2);
            (await (~store.Month("active")).ToListAsync()).ShouldBe([1, 3]);
            (await store.Users.CountAsync()).ShouldBe(3);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Events_are_listed_and_deleted_by_name_prefix(string kind)
    {
        await using var store = await Create(kind);
        foreach (var e in new[] { "song:played", "song:skipped", "signup", "active" }) await store.MarkAsync(e, 1);
        await store.MarkUniqueAsync("song:liked", 1);
        (await store.ListEventsAsync()).ShouldBe(["active", "signup", "song:liked", "song:played", "song:skipped"]);
        (await store.ListEventsAsync("song:")).ShouldBe(["song:liked", "song:played", "song:skipped"]);
        (await store.DeleteEventsAsync("song:")).ShouldBe(7); // 2 events x 3 keys + 1 unique
        (await store.ListEventsAsync()).ShouldBe(["active", "signup"]);
        (await store.DeleteAsync("active", Period.Of(PeriodUnit.Month, Now))).ShouldBe(1);
        (await store.Month("active").AnyAsync()).ShouldBeFalse();
        (await store.Week("active").AnyAsync()).ShouldBeTrue();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Event_names_with_a_slash_past_the_prefix_are_not_listed_by_bitmapist_server(string kind)
    {
        await using var store = await Create(kind);
        await store.MarkAsync("page/view", 1);
        await store.MarkAsync("signup", 1);
        // bitmapist-server matches SCAN patterns like Go's filepath.Match, whose * never matches '/'
        // (docs/ARCHITECTURE.md, bitmapist-server profile notes); Redis's glob does.
        (await store.ListEventsAsync()).ShouldBe(kind == StoreKind.BitmapistServer ? ["signup"] : ["page/view", "signup"]);
        (await store.ListEventsAsync("page/")).ShouldBe(["page/view"]);
        (await store.DeleteEventsAsync("page/")).ShouldBe(3);
        (await store.Month("page/view").AnyAsync()).ShouldBeFalse();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Sets_from_different_stores_do_not_mix(string kind)
    {
        await using var a = await Create(kind);
        await using var b = await Create(StoreKind.Embedded);
        var e = Should.Throw<InvalidOperationException>(() => a.Month("x") & b.Month("x"));
        e.Message.ShouldContain("different stores");
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Sample_data_is_deterministic_and_decays(string kind)
    {
        await using var store = await Create(kind);
        var summary = await Sample.SampleData.GenerateAsync(store, new Sample.SampleDataOptions(Users: 3000, Days: 60, End: Now.Date));
        summary.FirstDay.ShouldBe(Now.Date.AddDays(-59));
        await using var again = await Create(StoreKind.Embedded);
        (await Sample.SampleData.GenerateAsync(again, new Sample.SampleDataOptions(Users: 3000, Days: 60, End: Now.Date))).Records.ShouldBe(summary.Records);
        (await store.Month("active").ToListAsync()).ShouldBe(await again.Month("active").ToListAsync());

        // Day-1 retention of a signup cohort is well above day-30 retention.
        var cohortDay = Now.Date.AddDays(-40);
        var cohort = store.At("signup", Period.Of(PeriodUnit.Day, cohortDay));
        var size = await cohort.CountAsync();
        size.ShouldBeGreaterThan(10);
        var day1 = await (cohort & store.At("active", Period.Of(PeriodUnit.Day, cohortDay.AddDays(1)))).CountAsync();
        var day30 = await (cohort & store.At("active", Period.Of(PeriodUnit.Day, cohortDay.AddDays(30)))).CountAsync();
        day1.ShouldBeGreaterThan(day30);
        (await store.Unique("premium").CountAsync()).ShouldBeGreaterThan(0);
    }
}
