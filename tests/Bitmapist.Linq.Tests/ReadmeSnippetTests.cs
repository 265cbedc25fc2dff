using System.Runtime.CompilerServices;
using Bitmapist.Linq.Migration;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests;

/// <summary>Tests that change <see cref="Events.DefaultStore"/> run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class DefaultStoreCollection
{
    public const string Name = "Events.DefaultStore";
}

/// <summary>
/// The README's C# snippets, compiled and run here. Each region between the markers must equal the README's
/// code block line for line (whitespace and <c>using</c> lines aside), so the README cannot drift from code
/// that builds and runs.
/// </summary>
[Collection(DefaultStoreCollection.Name)]
public class ReadmeSnippetTests
{
    [Fact]
    public async Task The_short_tour_runs()
    {
        // README: A short tour
        // "Now" (default timestamps, "this month") is the store's clock: the system's unless given; here a fixed
        // Saturday, 2026-11-28 14:00 UTC, so the numbers below are always the same.
        var options = new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero)) };
        // In process, or: await RedisStore.ConnectAsync("localhost:6379", options)
        await using var store = new EmbeddedStore(options);

        // Marking (default timestamp: now, UTC). Writes trackist_active_2026-11, ..._W2026-48, ..._2026-11-28.
        await store.MarkAsync("active", 123);
        await store.MarkAsync("song:played", 123, at: new DateTime(2026, 11, 27, 20, 0, 0));
        await store.MarkUniqueAsync("premium", 123);            // dateless flag: trackist_premium_u

        // Many marks in one round trip, all or nothing (docs/ARCHITECTURE.md says what is atomic, per store), or a bulk import.
        await store.CreateBatch().Mark("active", 1).Mark("active", 2).ExecuteAsync();
        var import = store.CreateBulkImport();
        await import.AddAsync("active", 42, new DateTime(2026, 10, 15, 9, 30, 0));   // records keep their own time
        await import.FlushAsync();

        // Sets of users. Relative periods ("this month") are resolved at every execution, never frozen.
        var active = store.Month("active");                    // this month
        var played = store.Week("song:played");               // this ISO week
        bool was123 = await active.ContainsAsync(123);
        long both = await (active & played).CountAsync();     // & | ^ - and ~ (complement needs a universe)
        long churned = await (active.Previous() - active).CountAsync();
        await foreach (var id in (active & store.Unique("premium")).IdsAsync()) { /* ascending, paged */ }

        // Fixed periods, years (the OR of 12 months), ranges covered with the fewest keys.
        long nov = await store.Month("active", 2026, 11).CountAsync();
        long year = await store.Year("active", 2026).CountAsync();

        // What will run, and why: logical plan, rewrites, optimized plan, Redis commands.
        Console.WriteLine((active - store.Week("active")).Explain());
        // README: end
        // By hand, with now = Sat 2026-11-28 (ISO week 2026-W48, Mon Nov 23 .. Sun Nov 29):
        // November: 123, 1, 2 (default timestamps); October: 42 (imported). Played in W48: 123 (Fri Nov 27).
        was123.ShouldBeTrue();
        (await active.CountAsync()).ShouldBe(3);  // 1, 2, 123
        both.ShouldBe(1);                          // 123: active in November and played in W48
        churned.ShouldBe(1);                       // 42: active in October, not in November
        nov.ShouldBe(3);                           // the fixed month is this month
        year.ShouldBe(4);                          // October and November: 1, 2, 42, 123
        SnippetShouldMatchReadme("A short tour");
    }

    [Fact]
    public async Task The_external_ids_section_runs()
    {
        var options = new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero)) };
        // README: Users by name: external ids
        await using var named = new EmbeddedStore(options with { IdMap = "users" });

        await named.MarkAsync("active", "user-7f3a9c2e");                   // mapped to internal id 0, then marked
        await named.CreateBatch().Mark("active", "alice@example.com").Mark("paid", "alice@example.com").ExecuteAsync();
        bool isActive = await named.Month("active").ContainsAsync("alice@example.com");
        long payers = await (named.Month("active") & named.Ids("alice@example.com", "bob")).CountAsync();  // 1: bob is unknown

        // Back from internal ids to names (in order of internal id), e.g. for a page of ids.
        var map = named.IdMap("users");
        string?[] names = await map.FindExternalAsync([.. (await named.Month("active").ToListAsync()).Select(i => (uint)i)]);
        uint dbUser = await map.GetOrCreateAsync(9_007_199_254_740_993);    // a 64-bit id is its decimal text
        // README: end
        SnippetShouldMatchReadme("Users by name: external ids");
        isActive.ShouldBeTrue();
        payers.ShouldBe(1);
        names.ShouldBe(["user-7f3a9c2e", "alice@example.com"]);
        dbUser.ShouldBe(2u);
    }

    [Fact]
    public async Task The_linq_section_runs()
    {
        // Now is Sat 2026-11-28 (ISO week W48): last month is October 2026, which the snippet also names.
        var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero)) });
        await store.MarkAsync("active", 7, new DateTime(2026, 10, 3));
        await store.MarkAsync("active", 8, new DateTime(2026, 10, 31, 23, 0, 0));
        await store.MarkAsync("active", 9, new DateTime(2026, 10, 12));
        await store.MarkAsync("active", 9);
        await store.MarkAsync("active", 10);
        await store.MarkAsync("song:played", 10, new DateTime(2026, 11, 23));  // Monday of W48
        await store.MarkAsync("song:played", 9, new DateTime(2026, 11, 22));   // Sunday of W47: not this week

        // README: LINQ
        Events.DefaultStore = store;   // once, at start-up (bitmapist's "default system"); or use store.Events.Month(...)

        // The design card's example, as written: active this month and played a song this week.
        var listeners = Events.Month("active").Where(u => Events.Week("song:played").Contains(u));
        long n = listeners.Count();                              // or await listeners.CountAsync(ct)

        // !, &&, ||, u == id, ids.Contains(u), query syntax, Intersect/Union/Except, Skip/Take over ascending ids.
        long[] vipIds = [7, 42];
        var lapsed = from u in Events.Month("active").Previous()
                     where !Events.Month("active").Contains(u) && !vipIds.Contains(u)
                     select u;
        List<long> firstPage = await lapsed.Take(100).ToListAsync();
        Console.WriteLine(lapsed.ToPlanString());                // the plan and the commands, before running anything

        // Captured variables are read at every execution; "this month" is resolved at every execution.
        // Hot paths can prepare a query once:
        var activeIn = CompiledQuery.Create(store, (int month) => store.Month("active", 2026, month));
        long october = await activeIn(10).CountAsync();
        // README: end

        // By hand: November active = {9, 10}, October active = {7, 8, 9}, played in W48 = {10}.
        n.ShouldBe(1);            // 10; 9 played on the Sunday before this week
        firstPage.ShouldBe([8]);  // October minus November = {7, 8}; 7 is a VIP
        october.ShouldBe(3);      // 7, 8 (Oct 31 23:00 is still October), 9
        SnippetShouldMatchReadme("LINQ");
    }

    [Fact]
    public async Task The_trends_section_runs()
    {
        // Now is Sat 2026-11-28 (ISO week W48, Nov 23..29).
        await using var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero)) });
        await store.MarkAsync("active", 1, new DateTime(2026, 11, 21));   // the day before the 7 rows
        await store.MarkAsync("active", 1, new DateTime(2026, 11, 27));
        await store.MarkAsync("active", 2, new DateTime(2026, 11, 28));
        await store.MarkAsync("active", 3, new DateTime(2026, 11, 28));
        await store.MarkAsync("signup", 2, new DateTime(2026, 11, 23));
        await store.MarkAsync("signup", 3, new DateTime(2026, 11, 24));
        await store.MarkAsync("paid", 2, new DateTime(2026, 12, 1));      // the week after: within 2 weeks

        // README: Trends, funnels and cohorts
        // Daily actives for the last 7 days, oldest first: one batch for the whole series.
        var dau = await store.Trend(p => store.At("active", p)).ByDay().Rows(7).RunAsync();
        foreach (var row in dau.Rows) Console.WriteLine($"{row.Label} {row.Count}");

        // Rolling 7-day actives per day, and stickiness: each day's actives as a share of its month's (DAU/MAU).
        var rolling = await store.Trend(p => store.At("active", p)).ByDay().Rows(7).Window(7).RunAsync();
        var sticky = await store.Trend(p => store.At("active", p)).ByDay().Rows(7).Of(p => store.At("active", p), PeriodUnit.Month).RunAsync();

        // Of the users who signed up each week, how many were active, then paid, within two weeks.
        var funnel = await store.Funnel(p => store.At("signup", p), p => store.At("active", p), p => store.At("paid", p))
            .ByWeek().Rows(4).Within(2).RunAsync();

        // The same, as text: trend active by day rows 7 of active by month; funnel signup then active then paid by week rows 4 within 2
        var text = (TrendStatement)TextQuery.Parse("trend active by day rows 7 window 7").Single();
        var again = await store.TrendAsync(text.Query);
        // README: end

        dau.Rows.Select(r => r.Count).ShouldBe([0L, 0L, 0L, 0L, 0L, 1L, 2L]);        // Nov 22..28
        dau.Rows[0].Label.ShouldBe("2026-11-22");
        rolling.Rows.Select(r => r.Count).ShouldBe([1L, 1L, 1L, 1L, 1L, 1L, 3L]);    // user 1 (Nov 21, Nov 27) is in every window
        sticky.Rows[^1].Whole.ShouldBe(3);                                           // November's actives: 1, 2, 3
        sticky.Rows[^1].Percent.ShouldBe(200.0 / 3);
        funnel.Rows[^1].Counts.ShouldBe([2L, 2L, 1L]);                               // W48: signups 2 and 3, both active, 2 paid in W49
        again.Rows.Select(r => r.Count).ShouldBe(rolling.Rows.Select(r => r.Count));
        SnippetShouldMatchReadme("Trends, funnels and cohorts");
    }

    [Fact]
    public void The_cluster_snippet_is_the_one_tested() => SnippetShouldMatchReadme("Run on a Redis Cluster");

    [SkippableFact]
    public async Task The_cluster_snippet_runs()
    {
        // Needs a single Redis and a Redis Cluster (CI has both and requires them); the snippet above is compiled always.
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        var seeds = Environment.GetEnvironmentVariable("BITMAPIST_REDIS_CLUSTER");
        if ((string.IsNullOrEmpty(redis) || string.IsNullOrEmpty(seeds)) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS_CLUSTER") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS_CLUSTER=1 but BITMAPIST_REDIS or BITMAPIST_REDIS_CLUSTER is not set.");
        Skip.If(string.IsNullOrEmpty(redis) || string.IsNullOrEmpty(seeds), "BITMAPIST_REDIS and BITMAPIST_REDIS_CLUSTER are not both set");
        string singleRedis = redis!, clusterNodes = seeds!;
        var now = new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero);
        var options = new StoreOptions { Clock = new FakeTimeProvider(now) }.WithPrefix($"readme_{Guid.NewGuid():N}_");
        await using (var seed = await RedisStore.ConnectAsync(singleRedis, options))
            await seed.CreateBatch().Mark("active", 1).Mark("active", 2_000_000).Mark("active", 3, now.UtcDateTime.AddMonths(-1)).ExecuteAsync();

        // README: Run on a Redis Cluster
        // A Redis Cluster needs the sharded layout: shards of 2^20 ids, every key of a shard under one hash tag (one slot).
        await using var cluster = await RedisStore.ConnectAsync(clusterNodes, options with { Layout = KeyLayout.Sharded() });
        // Copy bitmapist's keys (a single Redis, as the Python library writes them) into it: an OR per key, so re-runnable.
        await using var single = await RedisStore.ConnectAsync(singleRedis, options);
        var migration = new LayoutMigration(source: single, destination: cluster);
        MigrationSummary copied = await migration.CopyAsync(new Progress<MigrationProgress>(p => Console.WriteLine(p)));
        VerificationReport check = await migration.VerifyAsync();        // every key's count on both sides
        long active = await cluster.Month("active").CountAsync();        // queries, marks, cohorts: as on one Redis
        // README: end

        try
        {
            copied.Keys.ShouldBe(6); // month, week and day of each of two marking times
            copied.Ids.ShouldBe(3 * 2 + 3);
            check.Matches.ShouldBeTrue();
            active.ShouldBe(2);
            (await cluster.Month("active").Previous().IdsAsync().ToListAsync()).ShouldBe([3]);
        }
        finally
        {
            foreach (var store in new RedisStore[] { single, cluster })
                foreach (var server in store.Connection.GetServers().Where(s => !s.IsReplica))
                    foreach (var key in server.Keys(pattern: options.Keys.Prefix + "*"))
                        await store.Connection.GetDatabase().KeyDeleteAsync(key);
        }
    }

    private static void SnippetShouldMatchReadme(string heading, [CallerFilePath] string thisFile = "")
    {
        var source = File.ReadAllLines(thisFile);
        var start = Array.FindIndex(source, l => l.Trim() == $"// README: {heading}");
        var end = Array.FindIndex(source, start + 1, l => l.Trim() == "// README: end");
        var tested = Code(source[(start + 1)..end]);

        var readmePath = Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", "README.md");
        var readme = File.ReadAllLines(readmePath);
        var headingLine = Array.FindIndex(readme, l => l.TrimStart('#', ' ') == heading && l.StartsWith('#'));
        headingLine.ShouldBeGreaterThanOrEqualTo(0, $"README.md has no heading '{heading}'");
        var open = Array.FindIndex(readme, headingLine, l => l.Trim() == "```csharp");
        var close = Array.FindIndex(readme, open + 1, l => l.Trim() == "```");
        Code(readme[(open + 1)..close]).ShouldBe(tested, $"README.md's '{heading}' snippet differs from the code tested in {Path.GetFileName(thisFile)}");
    }

    private static List<string> Code(IEnumerable<string> lines) =>
        [.. lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("using ", StringComparison.Ordinal))];
}
