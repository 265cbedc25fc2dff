using Bitmapist.Linq.Hosting;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// What each read costs on the wire and on the server, on a private redis-server behind a recording proxy:
/// the round trips are counted where they happen (a RESP-parsing proxy), every command sent is compared with
/// the explain document, and the server's INFO commandstats must show exactly those commands ran, nothing
/// more. The promise: a count, a membership, "any", a min, a cohort table are each one round trip; a result
/// read in pages (ids, max on Redis) is one batch, then one GETRANGE (max: STRLEN, then GETRANGE) per page
/// read, then one DEL of the lease when the enumeration ends; a percent statement is one batch of its two counts. On the bitmapist-server
/// profile (no GETRANGE, no Lua) every read, ids and max included, is one round trip.
/// </summary>
public class RoundTripTests
{
    private static readonly DateTime Now = new(2026, 3, 15, 12, 0, 0, DateTimeKind.Utc);
    private const int PageBytes = 64 * 1024;

    public static TheoryData<string> Kinds() => [StoreKind.Redis, StoreKind.RedisAsBitmapistServer];

    private static StoreOptions Options() =>
        new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) }.WithPrefix($"t{Guid.NewGuid():N}_");

    /// <summary>a, b, c in March; big spans three GETRANGE pages (ids up to 1,100,000: 137,501 bytes).</summary>
    private static async Task Seed(BitmapStore store)
    {
        var batch = store.CreateBatch();
        for (var i = 0; i < 60; i++) batch.Mark(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", i * 7, new DateTime(2026, 3, 1 + i % 14));
        foreach (var id in new long[] { 3, 600_000, 1_100_000 }) batch.Mark("big", id, new DateTime(2026, 3, 10));
        await batch.ExecuteAsync();
    }

    /// <summary>Needs temporaries and a literal: (a | b) - c, with {0, 5} (a binary SET argument).</summary>
    private static UserSet Composite(BitmapStore s) => (s.Month("a") | s.Month("b")) - s.Month("c") | s.Ids(0, 5);

    private static ExplainedCommands Explained(BitmapStore store, UserSet set, ReadKind read, uint id = 0) =>
        ExplainedCommands.Parse(store.Explain(new SetQuery(set.ToSetExpr(), read, id)));

    private static void ShouldBe(Observation seen, IReadOnlyList<IReadOnlyList<string>> roundTrips, Dictionary<string, long> serverCalls, string what)
    {
        seen.Lines.ShouldBe([.. roundTrips.Select(t => string.Join(" | ", t))], what + ": the round trips on the wire");
        seen.ServerCalls.OrderBy(kv => kv.Key).ShouldBe(serverCalls.OrderBy(kv => kv.Key), what + ": the commands the server ran");
    }

    private static Dictionary<string, long> Calls(IEnumerable<IReadOnlyList<string>> roundTrips) => ExplainedCommands.Count(roundTrips.SelectMany(t => t));

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Count_contains_any_and_min_are_one_round_trip_of_exactly_the_explained_commands(string kind)
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(kind, Options());
        await Seed(store);
        foreach (var (name, set) in new[] { ("composite", Composite(store)), ("stored key", store.Month("a")) })
        {
            var member = (await set.ToListAsync())[1];
            (ReadKind Read, uint Id, Func<Task> Run)[] reads =
            [
                (ReadKind.Count, 0, () => set.CountAsync()),
                (ReadKind.Contains, (uint)member, () => set.ContainsAsync(member)),
                (ReadKind.Any, 0, () => set.AnyAsync()),
                (ReadKind.Min, 0, () => set.MinAsync()),
            ];
            foreach (var (read, id, run) in reads)
            {
                var explained = Explained(store, set, read, id);
                explained.PagedKey.ShouldBeNull();
                if (name == "composite") (explained.Sent[0], explained.Sent[^1]).ShouldBe(("MULTI", "EXEC"));
                else explained.Sent.Count.ShouldBe(1); // a stored key needs no transaction
                var seen = await redis.ObserveAsync(store, run);
                ShouldBe(seen, [explained.Sent], explained.ServerCalls(), $"{read} of the {name}");
            }
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Ids_and_max_are_one_batch_then_a_round_trip_per_page_then_the_lease_delete(string kind)
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(kind, Options());
        await Seed(store);
        var set = Composite(store);
        var expected = await set.ToListAsync();
        expected.Count.ShouldBeGreaterThan(2);

        var ids = Explained(store, set, ReadKind.Ids);
        var seen = await redis.ObserveAsync(store, async () => (await set.ToListAsync()).ShouldBe(expected));
        var max = Explained(store, set, ReadKind.Max);
        var seenMax = await redis.ObserveAsync(store, async () => (await set.MaxAsync()).ShouldBe(expected[^1]));
        if (kind == StoreKind.RedisAsBitmapistServer)
        {
            // No GETRANGE: the result comes back whole with GET inside the batch.
            ids.PagedKey.ShouldBeNull();
            ids.Sent.ShouldContain(c => c.StartsWith("GET ", StringComparison.Ordinal));
            ShouldBe(seen, [ids.Sent], ids.ServerCalls(), "ids");
            ShouldBe(seenMax, [max.Sent], max.ServerCalls(), "max");
        }
        else
        {
            var lease = ids.PagedKey.ShouldNotBeNull();
            ids.Leased.ShouldBeTrue();
            lease.ShouldContain("bitop_tmp:lease:");
            IReadOnlyList<string>[] trips = [ids.Sent, [$"GETRANGE {lease} 0 {PageBytes - 1}"], [$"DEL {lease}"]];
            ShouldBe(seen, trips, Calls(trips), "ids");

            // Max reads the length, then pages back from the end until a page holds an id: here the only page.
            var length = await LongestOf(redis, store, "a", "b", "c");
            length.ShouldBeLessThan(PageBytes);
            max.PagedKey.ShouldBe(lease);
            IReadOnlyList<string>[] maxTrips = [max.Sent, [$"STRLEN {lease}"], [$"GETRANGE {lease} 0 {length - 1}"], [$"DEL {lease}"]];
            ShouldBe(seenMax, maxTrips, Calls(maxTrips), "max");
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    /// <summary>The length of the longest month key of <paramref name="events"/>: a BITOP result is as long as its longest source.</summary>
    private static async Task<long> LongestOf(ObservedRedis redis, BitmapStore store, params string[] events)
    {
        long longest = 0;
        foreach (var e in events)
            longest = Math.Max(longest, await redis.Admin.GetDatabase().StringLengthAsync(store.Keys.Key(e, Model.Period.Month(2026, 3))));
        return longest;
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Paged_ids_cost_a_round_trip_per_page_and_stop_fetching_when_abandoned(string kind)
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(kind, Options());
        await Seed(store);
        var leased = store.Month("big") | store.Month("a");
        var stored = store.Month("big");
        var length = await LongestOf(redis, store, "big", "a");
        length.ShouldBe(1_100_000 / 8 + 1); // three pages: two full, one of 6,429 bytes
        var all = await leased.ToListAsync();
        all[^1].ShouldBe(1_100_000);

        async Task<Observation> Enumerate(UserSet set, long from, int take) => await redis.ObserveAsync(store, async () =>
        {
            var n = 0;
            await foreach (var _ in set.IdsAsync(from))
                if (++n == take) break;
        });
        var whole = await Enumerate(leased, 0, int.MaxValue);
        var abandoned = await Enumerate(leased, 0, 1);
        var after = await Enumerate(leased, 600_000, int.MaxValue);
        var storedWhole = await Enumerate(stored, 0, int.MaxValue);
        var storedAbandoned = await Enumerate(stored, 0, 1);
        var max = await redis.ObserveAsync(store, async () => (await leased.MaxAsync()).ShouldBe(1_100_000));

        var ids = Explained(store, leased, ReadKind.Ids);
        var fromId = Explained(store, leased, ReadKind.Ids, 600_000);
        var storedIds = Explained(store, stored, ReadKind.Ids);
        if (kind == StoreKind.RedisAsBitmapistServer)
        {
            // Whatever the size, one GET: in the batch for a composite, alone for a stored key.
            ShouldBe(whole, [ids.Sent], ids.ServerCalls(), "all ids");
            ShouldBe(abandoned, [ids.Sent], ids.ServerCalls(), "an abandoned enumeration");
            ShouldBe(after, [fromId.Sent], fromId.ServerCalls(), "ids after an id");
            storedIds.Sent.ShouldBe([$"GET {store.Keys.Key("big", Model.Period.Month(2026, 3))}"]);
            ShouldBe(storedWhole, [storedIds.Sent], storedIds.ServerCalls(), "all ids of a stored key");
            ShouldBe(storedAbandoned, [storedIds.Sent], storedIds.ServerCalls(), "an abandoned enumeration of a stored key");
            var m = Explained(store, leased, ReadKind.Max);
            ShouldBe(max, [m.Sent], m.ServerCalls(), "max");
        }
        else
        {
            var lease = ids.PagedKey.ShouldNotBeNull();
            string Page(string key, long offset) => $"GETRANGE {key} {offset} {offset + PageBytes - 1}";
            IReadOnlyList<string>[] wholeTrips = [ids.Sent, [Page(lease, 0)], [Page(lease, PageBytes)], [Page(lease, 2 * PageBytes)], [$"DEL {lease}"]];
            ShouldBe(whole, wholeTrips, Calls(wholeTrips), "all ids");
            IReadOnlyList<string>[] abandonedTrips = [ids.Sent, [Page(lease, 0)], [$"DEL {lease}"]];
            ShouldBe(abandoned, abandonedTrips, Calls(abandonedTrips), "an enumeration abandoned after its first id");
            // From an id on: the first page starts at that id's word, so the pages before it are never fetched.
            IReadOnlyList<string>[] afterTrips = [fromId.Sent, [Page(lease, 600_000 / 64 * 8)], [$"DEL {lease}"]];
            ShouldBe(after, afterTrips, Calls(afterTrips), "ids after an id");

            // A stored key has nothing to compute: no batch and no lease, only its pages.
            var key = storedIds.PagedKey.ShouldNotBeNull();
            storedIds.Sent.ShouldBeEmpty();
            storedIds.Leased.ShouldBeFalse();
            IReadOnlyList<string>[] storedTrips = [[Page(key, 0)], [Page(key, PageBytes)], [Page(key, 2 * PageBytes)]];
            ShouldBe(storedWhole, storedTrips, Calls(storedTrips), "all ids of a stored key");
            IReadOnlyList<string>[] storedAbandonedTrips = [[Page(key, 0)]];
            ShouldBe(storedAbandoned, storedAbandonedTrips, Calls(storedAbandonedTrips), "an abandoned enumeration of a stored key");

            // Max pages back from the end: the last 64 KiB hold the highest id.
            var maxSent = Explained(store, leased, ReadKind.Max).Sent;
            IReadOnlyList<string>[] maxTrips = [maxSent, [$"STRLEN {lease}"], [$"GETRANGE {lease} {length - PageBytes} {length - 1}"], [$"DEL {lease}"]];
            ShouldBe(max, maxTrips, Calls(maxTrips), "max");
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public Task A_cohort_table_is_one_round_trip_of_the_explained_batch(string kind)
    {
        var query = CohortTests.Parse("cohort signup & active then active by day rows 3 cols 2");
        return A_table_is_one_round_trip_of_the_explained_batch(kind, "a cohort table", store => store.Explain(query), store => store.CohortAsync(query));
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public Task A_trend_is_one_round_trip_of_the_explained_batch(string kind)
    {
        // A rolling window and a whole: three counts a row, all in the one batch.
        var query = ((TrendStatement)TextQuery.Parse("trend signup & active by day rows 3 window 2 of active by month").Single()).Query;
        return A_table_is_one_round_trip_of_the_explained_batch(kind, "a trend", store => store.Explain(query), store => store.TrendAsync(query));
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public Task A_funnel_is_one_round_trip_of_the_explained_batch(string kind)
    {
        var query = ((FunnelStatement)TextQuery.Parse("funnel signup then active then signup & active by day rows 3 within 2").Single()).Query;
        return A_table_is_one_round_trip_of_the_explained_batch(kind, "a funnel", store => store.Explain(query), store => store.FunnelAsync(query));
    }

    private static async Task A_table_is_one_round_trip_of_the_explained_batch(string kind, string what, Func<BitmapStore, string> explain, Func<BitmapStore, Task> run)
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(kind, Options());
        // Every user every day, the future included: no set is empty, so the script skips nothing and runs
        // exactly the commands explain lists.
        var batch = store.CreateBatch();
        for (var day = new DateTime(2026, 3, 1); day <= new DateTime(2026, 3, 25); day = day.AddDays(1))
            foreach (var id in new long[] { 1, 2, 3, 4 })
                batch.Mark("signup", id, day).Mark("active", id, day);
        await batch.ExecuteAsync();
        var explained = ExplainedCommands.Parse(explain(store));

        var first = await redis.ObserveAsync(store, () => run(store));
        var again = await redis.ObserveAsync(store, () => run(store));
        if (kind == StoreKind.RedisAsBitmapistServer)
        {
            explained.Sent[0].ShouldBe("MULTI");
            explained.InScript.ShouldBeEmpty();
            ShouldBe(first, [explained.Sent], explained.ServerCalls(), $"{what} as MULTI/EXEC");
            ShouldBe(again, [explained.Sent], explained.ServerCalls(), $"{what} as MULTI/EXEC, again");
        }
        else
        {
            // Explain: "EVALSHA <counts script> N keys, ...". On the wire: EVALSHA sha1 N key1 .. keyN program.
            var numKeys = explained.Sent.ShouldHaveSingleItem().Split(' ')[3];
            explained.InScript.ShouldContain(c => c.StartsWith("BITOP ", StringComparison.Ordinal));
            var call = again.RoundTrips.ShouldHaveSingleItem().ShouldHaveSingleItem();
            call.ShouldStartWith("EVALSHA ");
            call.Split(' ')[2].ShouldBe(numKeys);
            again.ServerCalls.OrderBy(kv => kv.Key).ShouldBe(explained.ServerCalls().OrderBy(kv => kv.Key), "the commands the script ran");
            // The connection's first table: StackExchange.Redis does not know the script yet and writes SCRIPT LOAD
            // and EVAL (both with the script's text) one after the other without waiting for the first reply. It
            // flushes them separately, so the load is usually answered before the EVAL's bytes reach the proxy,
            // which then counts two round trips (and one if they arrive together): at most two, never more.
            first.RoundTrips.Count.ShouldBeInRange(1, 2, string.Join("\n", first.Lines));
            var sent = first.RoundTrips.SelectMany(t => t).ToList();
            sent.Count.ShouldBe(2, string.Join("\n", first.Lines));
            sent[0].ShouldStartWith("SCRIPT LOAD <");
            sent[1].ShouldStartWith("EVAL <");
            sent[1].Split(' ')[3].ShouldBe(numKeys); // EVAL <N bytes> numkeys ...
            var firstCalls = ExplainedCommands.Count(explained.InScript);
            firstCalls["script|load"] = 1;
            firstCalls["eval"] = 1;
            first.ServerCalls.OrderBy(kv => kv.Key).ShouldBe(firstCalls.OrderBy(kv => kv.Key), $"the commands {what} ran first");
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task A_percent_statement_is_one_round_trip_of_the_explained_batch(string kind)
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(kind, Options());
        await Seed(store);
        var executor = new StatementExecutor(store);
        var share = TextQuery.Parse("percent (month(a) | month(b)) of (month(a) | month(c))").Single();
        var none = TextQuery.Parse("percent month(a) of month(nothing)").Single();
        var queries = new NamedQueries(store, Microsoft.Extensions.Options.Options.Create(new BitmapistOptions { Queries = { ["share"] = share.Text } }));

        // Explain shows one batch counting the whole and the part; the named query's explain is the same document.
        var explained = ExplainedCommands.Parse(executor.Explain(share));
        queries.Explain("share").ShouldBe(executor.Explain(share));
        async Task Share() => ((PercentResult)await executor.RunAsync(share)).Percent.ShouldNotBeNull().ShouldBeGreaterThan(0);

        var first = await redis.ObserveAsync(store, Share);
        var again = await redis.ObserveAsync(store, Share);
        var named = await redis.ObserveAsync(store, async () => (await queries.PercentAsync("share")).ShouldNotBeNull());
        var empty = await redis.ObserveAsync(store, async () => ((PercentResult)await executor.RunAsync(none)).ShouldBe(new PercentResult(null, 0, 0)));
        var noneExplained = ExplainedCommands.Parse(executor.Explain(none));
        if (kind == StoreKind.RedisAsBitmapistServer)
        {
            // No scripts: the counts batch is one MULTI/EXEC.
            explained.Sent[0].ShouldBe("MULTI");
            ShouldBe(first, [explained.Sent], explained.ServerCalls(), "a percent");
            ShouldBe(again, [explained.Sent], explained.ServerCalls(), "a percent, again");
            ShouldBe(named, [explained.Sent], explained.ServerCalls(), "a named percent query");
            ShouldBe(empty, [noneExplained.Sent], noneExplained.ServerCalls(), "a percent of an empty whole");
        }
        else
        {
            // One EVALSHA of the counts script, which runs the explained commands; the connection's first call may
            // be SCRIPT LOAD then EVAL, as for a cohort table (see above): at most two round trips, never more.
            var numKeys = explained.Sent.ShouldHaveSingleItem().Split(' ')[3];
            foreach (var (seen, what) in new[] { (again, "a percent"), (named, "a named percent query") })
            {
                var call = seen.RoundTrips.ShouldHaveSingleItem(what).ShouldHaveSingleItem(what);
                call.ShouldStartWith("EVALSHA ");
                call.Split(' ')[2].ShouldBe(numKeys);
                seen.ServerCalls.OrderBy(kv => kv.Key).ShouldBe(explained.ServerCalls().OrderBy(kv => kv.Key), what + ": the commands the script ran");
            }
            first.RoundTrips.Count.ShouldBeInRange(1, 2, string.Join("\n", first.Lines));
            // The script skips the part's BITOP when a key it ANDs is missing: fewer commands than explained, still one call.
            empty.RoundTrips.ShouldHaveSingleItem("a percent of an empty whole").ShouldHaveSingleItem().ShouldStartWith("EVALSHA ");
            empty.ServerCalls.Keys.ShouldBeSubsetOf(noneExplained.ServerCalls().Keys);
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task A_script_of_neighbouring_counts_and_percents_is_one_round_trip_with_the_same_answers(string kind)
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(kind, Options());
        await Seed(store);
        var executor = new StatementExecutor(store);
        var script = TextQuery.Parse("count month(a); month(b) | month(c); percent month(a) of month(a) | month(b); count month(c) - month(a)");
        async Task<List<StatementResult>> RunAll()
        {
            var results = new List<StatementResult>();
            await foreach (var r in executor.ExecuteAllAsync(script)) results.Add(r);
            return results;
        }
        var alone = new List<StatementResult>();
        foreach (var statement in script) alone.Add(await executor.RunAsync(statement));
        await RunAll(); // a first script call may be SCRIPT LOAD then EVAL: counted below once the script is cached

        List<StatementResult> together = [];
        var seen = await redis.ObserveAsync(store, async () => together = await RunAll());

        together.ShouldBe(alone, "the same answers as one statement at a time");
        // The events the statements read are then checked (EXISTS, one round trip); the counts are one batch.
        var batches = seen.RoundTrips.Where(t => !t.All(c => c.StartsWith("EXISTS ", StringComparison.Ordinal))).ToList();
        batches.ShouldHaveSingleItem(string.Join("\n", seen.Lines)).First().ShouldStartWith(kind == StoreKind.Redis ? "EVALSHA " : "MULTI");
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task A_failing_count_in_a_script_fails_alone_after_the_results_before_it(string kind)
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(kind, Options());
        await Seed(store);
        // The second statement needs a universe and none is configured: the batch cannot be planned, so the
        // statements run one by one and the first result is still given before the second one's own error.
        var script = TextQuery.Parse("count month(a); count ~month(b); count month(c)");
        var results = new List<StatementResult>();
        var e = await Should.ThrowAsync<BitmapistQueryException>(async () =>
        {
            await foreach (var r in new StatementExecutor(store).ExecuteAllAsync(script)) results.Add(r);
        });
        e.Message.ShouldContain("~month(b)");
        results.ShouldBe([new CountResult(await store.Month("a").CountAsync())]);
    }
}
