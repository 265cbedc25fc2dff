using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>Cohort tables computed by hand on small data, on every store; one round trip per table on Redis.</summary>
public class CohortTests
{
    internal static readonly DateTime Now = new(2026, 3, 4, 12, 0, 0, DateTimeKind.Utc);

    private static Task<BitmapStore> Create(string kind, DateTime? now = null) =>
        StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(now ?? Now)) });

    internal static async Task Mark(BitmapStore store, string name, DateTime day, params long[] ids)
    {
        var batch = store.CreateBatch();
        foreach (var id in ids) batch.Mark(name, id, day);
        await batch.ExecuteAsync();
    }

    internal static DateTime D(int m, int d) => new(2026, m, d, 10, 0, 0);

    /// <summary>signup 1-4 on Mar 1, 5-6 on Mar 2, 7 on Mar 4; active 1,2,3 / 1,5 / 9 / 2,7 on Mar 1..4.</summary>
    internal static async Task SeedDays(BitmapStore store)
    {
        await Mark(store, "signup", D(3, 1), 1, 2, 3, 4);
        await Mark(store, "signup", D(3, 2), 5, 6);
        await Mark(store, "signup", D(3, 4), 7);
        await Mark(store, "active", D(3, 1), 1, 2, 3);
        await Mark(store, "active", D(3, 2), 1, 5);
        await Mark(store, "active", D(3, 3), 9);
        await Mark(store, "active", D(3, 4), 2, 7);
    }

    internal static CohortQuery Parse(string text) => ((CohortStatement)TextQuery.Parse(text).Single()).Query;

    private static CohortTable Run(BitmapStore store, string text) => store.CohortAsync(Parse(text)).GetAwaiter().GetResult();

    internal static string Show(CohortTable table) => string.Join("\n", table.Rows.Select(r =>
        $"{r.Label} {r.Size}: " + string.Join(" ", r.Values.Select(v => v is { } x ? x.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) : "-"))));

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Daily_counts_match_the_hand_computed_table(string kind)
    {
        await using var store = await Create(kind);
        await SeedDays(store);
        var table = Run(store, "cohort signup then active by day rows 4 cols 3 from 2026-03-01 counts");
        // Mar 3 has data (user 9) but none of the cohort: a numeric 0. Mar 5 has no data: empty.
        Show(table).ShouldBe("""
            2026-03-01 4: 3 1 0 1
            2026-03-02 2: 1 0 0 -
            2026-03-03 0: - - - -
            2026-03-04 1: 1 - - -
            """);
        table.Rows[0].Retained.ShouldBe([3L, 1L, 0L, 1L]);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Percentages_and_the_average_row_skip_empty_cells_but_count_zeros(string kind)
    {
        await using var store = await Create(kind);
        await SeedDays(store);
        // Ending at now (Mar 4) with 4 rows is the same table as from Mar 1.
        var table = Run(store, "cohort signup then active by day rows 4 cols 3");
        Show(table).ShouldBe("""
            2026-03-01 4: 75 25 0 25
            2026-03-02 2: 50 0 0 -
            2026-03-03 0: - - - -
            2026-03-04 1: 100 - - -
            """);
        table.Average.ShouldBe([75.0, 12.5, 0.0, 25.0]);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Unbounded_retention_counts_a_return_in_that_period_or_any_later_one(string kind)
    {
        await using var store = await Create(kind);
        await SeedDays(store);
        var table = Run(store, "cohort signup then active by day rows 2 cols 3 from 2026-03-01 unbounded counts");
        Show(table).ShouldBe("""
            2026-03-01 4: 3 2 1 1
            2026-03-02 2: 1 0 0 -
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task First_time_cohorts_drop_users_seen_before_the_row(string kind)
    {
        await using var store = await Create(kind);
        await SeedDays(store);
        await Mark(store, "signup", D(3, 2), 1); // user 1 signs up again on Mar 2
        Show(Run(store, "cohort signup then active by day rows 2 cols 1 from 2026-03-01 counts")).ShouldBe("""
            2026-03-01 4: 3 1
            2026-03-02 3: 2 0
            """);
        Show(Run(store, "cohort first signup then active by day rows 2 cols 1 from 2026-03-01 counts")).ShouldBe("""
            2026-03-01 4: 3 1
            2026-03-02 2: 1 0
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Unbounded_retention_of_an_intersection_needs_both_events_in_the_same_period(string kind)
    {
        await using var store = await Create(kind);
        await SeedDays(store);
        await Mark(store, "web", D(3, 1), 1);
        await Mark(store, "web", D(3, 3), 2);
        await Mark(store, "web", D(3, 4), 3);
        // active & web per day: Mar 1 {1}, Mar 2..4 none. User 2 is active on Mar 4 and on the web on Mar 3, and
        // user 3 active on Mar 1 and on the web on Mar 4: neither in one day, so neither returns. (The intersection
        // of the two events each taken over the whole range would count them: 3 1 1 -.)
        Show(Run(store, "cohort signup then active & web by day rows 1 cols 3 from 2026-03-01 unbounded counts")).ShouldBe("""
            2026-03-01 4: 1 - - -
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task First_time_cohorts_of_an_intersection_drop_only_users_seen_in_both_in_one_earlier_period(string kind)
    {
        await using var store = await Create(kind);
        await SeedDays(store);
        await Mark(store, "signup", D(3, 2), 1); // user 1 signs up again on Mar 2
        await Mark(store, "web", D(2, 28), 1);
        await Mark(store, "web", D(3, 1), 2);
        await Mark(store, "web", D(3, 2), 1, 5);
        // signup & web: Feb 28 none, Mar 1 {2}, Mar 2 {1,5}. User 1 signed up on Mar 1 and was on the web on
        // Feb 28, never both in one day before Mar 2: still first-time on Mar 2. (Each event over the whole
        // look-back would drop user 1: a row of 1.)
        Show(Run(store, "cohort first signup & web then active by day rows 2 cols 1 from 2026-03-01 counts")).ShouldBe("""
            2026-03-01 1: 1 0
            2026-03-02 2: 2 0
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Filters_on_the_cohort_and_the_return_are_intersections(string kind)
    {
        await using var store = await Create(kind);
        await SeedDays(store);
        await Mark(store, "web", D(3, 1), 1, 2);
        await store.MarkUniqueAsync("premium", 1);
        Show(Run(store, "cohort signup & web then active & unique(premium) by day rows 1 cols 1 from 2026-03-01 counts")).ShouldBe("""
            2026-03-01 2: 1 1
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Iso_weeks_across_new_year_are_labelled_and_read_as_iso_weeks(string kind)
    {
        await using var store = await Create(kind, new DateTime(2026, 1, 8, 12, 0, 0, DateTimeKind.Utc));
        await Mark(store, "signup", new DateTime(2025, 12, 23), 1, 2);
        await Mark(store, "active", new DateTime(2025, 12, 23), 1, 2);
        await Mark(store, "active", new DateTime(2025, 12, 30), 1); // Tuesday of ISO week 2026-W01
        await Mark(store, "active", new DateTime(2026, 1, 6), 2);
        Show(Run(store, "cohort signup then active by week rows 3 cols 2 counts")).ShouldBe("""
            2025-W52 2: 2 1 1
            2026-W01 0: - - -
            2026-W02 0: - - -
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Months_and_years(string kind)
    {
        await using var store = await Create(kind);
        await Mark(store, "signup", new DateTime(2025, 6, 1), 1, 2);
        await Mark(store, "active", new DateTime(2025, 7, 1), 1);
        await Mark(store, "active", new DateTime(2026, 2, 3), 2);
        Show(Run(store, "cohort signup then active by month rows 2 cols 1 from 2025-06 counts")).ShouldBe("""
            2025-06 2: - 1
            2025-07 0: - -
            """);
        Show(Run(store, "cohort signup then active by year from 2025 rows 2 cols 1 counts")).ShouldBe("""
            2025 2: 1 1
            2026 0: - -
            """);
    }

    /// <summary>
    /// Marks for the template-operator tables, Feb 16 .. Mar 3 2026 (now is Wed Mar 4; ISO weeks: W08 = Feb 16..22,
    /// W09 = Feb 23..Mar 1, so Sunday Mar 1 is in W09, W10 = Mar 2..8):
    /// signup Feb 18 {3}, Feb 28 {2}, Mar 1 {1,2,3,4}, Mar 2 {1,5,6,7}, Mar 3 {8};
    /// web Mar 1 {1,2,3}, Mar 2 {5,6}, Mar 3 {1,8};
    /// active Feb 20 {3}, Mar 1 {1,2,4}, Mar 2 {1,2,3,5}, Mar 3 {2,3,6,9};
    /// paid Mar 2 {4}, Mar 3 {7}.
    /// </summary>
    private static async Task SeedTemplates(BitmapStore store)
    {
        await Mark(store, "signup", D(2, 18), 3);
        await Mark(store, "signup", D(2, 28), 2);
        await Mark(store, "signup", D(3, 1), 1, 2, 3, 4);
        await Mark(store, "signup", D(3, 2), 1, 5, 6, 7);
        await Mark(store, "signup", D(3, 3), 8);
        await Mark(store, "web", D(3, 1), 1, 2, 3);
        await Mark(store, "web", D(3, 2), 5, 6);
        await Mark(store, "web", D(3, 3), 1, 8);
        await Mark(store, "active", D(2, 20), 3);
        await Mark(store, "active", D(3, 1), 1, 2, 4);
        await Mark(store, "active", D(3, 2), 1, 2, 3, 5);
        await Mark(store, "active", D(3, 3), 2, 3, 6, 9);
        await Mark(store, "paid", D(3, 2), 4);
        await Mark(store, "paid", D(3, 3), 7);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task A_difference_in_the_return_and_an_intersection_in_the_cohort_match_the_hand_computed_tables(string kind)
    {
        await using var store = await Create(kind);
        await SeedTemplates(store);
        // Cohort signup & web: Mar 1 {1,2,3}, Mar 2 {5,6}, Mar 3 {8}.
        // Return active - web: Mar 1 {4}, Mar 2 {1,2,3}, Mar 3 {2,3,6,9}; Mar 4 has no data (empty cell).
        // Every cohort is inside that day's web, which the return removes: column 0 is 0 throughout.
        Show(Run(store, "cohort signup & web then active - web by day rows 3 cols 2 from 2026-03-01 counts")).ShouldBe("""
            2026-03-01 3: 0 3 2
            2026-03-02 2: 0 1 -
            2026-03-03 1: 0 - -
            """);
        // Unbounded: a return on day q or later, each day's active - web taken on its own day, then united:
        // from Mar 1 {4} | {1,2,3} | {2,3,6,9} = {1,2,3,4,6,9}, from Mar 2 {1,2,3,6,9}, from Mar 3 {2,3,6,9}; from
        // Mar 4 nothing. (Active over the range minus web over the range would be a different set: {4,9} from Mar 1.)
        Show(Run(store, "cohort signup & web then active - web by day rows 3 cols 2 from 2026-03-01 unbounded counts")).ShouldBe("""
            2026-03-01 3: 3 3 2
            2026-03-02 2: 1 1 -
            2026-03-03 1: 0 - -
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task First_time_cohorts_since_a_day_with_a_union_in_the_return_match_the_hand_computed_table(string kind)
    {
        await using var store = await Create(kind);
        await SeedTemplates(store);
        // First-time signups, looking back to Feb 28 (not Feb 18, whose user 3 stays new on Mar 1):
        // Mar 1 {1,2,3,4} - {2} = {1,3,4}; Mar 2 {1,5,6,7} - {1,2,3,4} = {5,6,7}; Mar 3 {8}.
        // Return active | paid: Mar 1 {1,2,4}, Mar 2 {1,2,3,4,5}, Mar 3 {2,3,6,7,9}; Mar 4 no data.
        Show(Run(store, "cohort first signup then active | paid by day rows 3 cols 2 from 2026-03-01 since 2026-02-28 counts")).ShouldBe("""
            2026-03-01 3: 2 3 1
            2026-03-02 3: 1 2 -
            2026-03-03 1: 0 - -
            """);
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Weekly_unbounded_retention_matches_the_hand_computed_table(string kind)
    {
        await using var store = await Create(kind);
        await SeedTemplates(store);
        // Three rows ending at now's week W10. Signup: W08 {3}, W09 {1,2,3,4}, W10 {1,5,6,7,8}.
        // Active: W08 {3}, W09 {1,2,4}, W10 {1,2,3,5,6,9}. Column t counts a return in week row + t or any
        // later one up to W10: W08..W10 and W09..W10 = {1,2,3,4,5,6,9}, W10 alone = {1,2,3,5,6,9}; past W10 empty.
        // (N-day retention would give W08 a 0 in column 1: user 3 was not active in W09.)
        Show(Run(store, "cohort signup then active by week rows 3 cols 2 unbounded counts")).ShouldBe("""
            2026-W08 1: 1 1 1
            2026-W09 4: 4 3 -
            2026-W10 5: 3 - -
            """);
    }

    /// <summary>
    /// The differential oracle: random daily marks kept beside the store in plain HashSets, and bitmapist's
    /// definition computed on them (cohort size, empty when the cohort or the return day is empty, else the
    /// overlap), for N-day and unbounded retention and for any-time and first-time cohorts.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Random_tables_agree_with_a_hashset_oracle(string kind)
    {
        var now = new DateTime(2026, 3, 20, 12, 0, 0, DateTimeKind.Utc);
        await using var store = await Create(kind, now);
        var first = new DateTime(2026, 3, 1);
        var marks = new Dictionary<(string, DateTime), HashSet<long>>();
        var random = new Random(42);
        foreach (var name in new[] { "signup", "active" })
            for (var day = first; day <= now.Date; day = day.AddDays(1))
            {
                if (random.Next(5) == 0) continue; // some days have no data at all
                var ids = Enumerable.Range(0, random.Next(1, 40)).Select(_ => (long)random.Next(300)).ToHashSet();
                marks[(name, day)] = ids;
                await Mark(store, name, day.AddHours(9), [.. ids]);
            }
        HashSet<long> On(string name, DateTime day) => marks.TryGetValue((name, day), out var s) ? s : [];

        foreach (var (unbounded, firstTime) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            const int rows = 12, cols = 6;
            var start = new DateTime(2026, 3, 5);
            var text = $"cohort {(firstTime ? "first " : "")}signup then active by day rows {rows} cols {cols} from 2026-03-05"
                + (firstTime ? " since 2026-03-01" : "") + (unbounded ? " unbounded" : "") + " counts";
            var table = Run(store, text);
            for (var i = 0; i < rows; i++)
            {
                var day = start.AddDays(i);
                var cohort = On("signup", day).ToHashSet();
                if (firstTime)
                    for (var before = first; before < day; before = before.AddDays(1)) cohort.ExceptWith(On("signup", before));
                table.Rows[i].Size.ShouldBe(cohort.Count, $"{text}: size of row {i}");
                for (var t = 0; t <= cols; t++)
                {
                    var q = day.AddDays(t);
                    var returned = new HashSet<long>();
                    if (!unbounded) returned.UnionWith(On("active", q));
                    else for (var d = q; d <= now.Date; d = d.AddDays(1)) returned.UnionWith(On("active", d));
                    double? expected = cohort.Count == 0 || returned.Count == 0 ? null : cohort.Count(returned.Contains);
                    table.Rows[i].Values[t].ShouldBe(expected, $"{text}: row {i} column {t}");
                }
            }
        }
    }
}
