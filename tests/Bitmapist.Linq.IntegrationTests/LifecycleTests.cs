using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Temporary keys never leak: after success, a server error inside the batch, cancellation and a
/// connection dropped mid-batch, a SCAN of the temporary namespace is empty once the call returns. On Redis and on
/// the real bitmapist-server, except where a test says why it cannot apply there.
/// </summary>
public class LifecycleTests
{
    private static async Task<RedisStore> Redis() => (RedisStore)await StoreKind.CreateAsync(StoreKind.Redis);

    private static async Task<RedisStore> Store(string kind) => (RedisStore)await StoreKind.CreateAsync(kind);

    private static string Endpoint(string kind) => kind == StoreKind.BitmapistServer ? BitmapistServerPeer.Endpoint : RedisServer.Endpoint;

    private static System.Diagnostics.Process StartPrivate(string kind, out int port) =>
        kind == StoreKind.BitmapistServer ? BitmapistServerPeer.StartPrivate(out port) : RedisServer.StartPrivate(out port);

    private static async Task<RedisStore> Connect(string endpoint, string prefix) =>
        await RedisStore.ConnectAsync(endpoint, new StoreOptions().WithPrefix(prefix));

    private static async Task Seed(BitmapStore store)
    {
        var batch = store.CreateBatch();
        for (var i = 0; i < 300; i++) batch.Mark(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", i * 37);
        await batch.ExecuteAsync();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.Servers), MemberType = typeof(StoreKind))]
    public async Task No_temporary_remains_after_successful_queries_or_an_abandoned_enumeration(string kind)
    {
        await using var store = await Store(kind);
        await Seed(store);
        var deep = (store.Month("a") | store.Month("b")) & ~(store.Week("c") ^ store.Day("a")) | store.Ids(1, 2, 3);
        await deep.CountAsync();
        await deep.AnyAsync();
        await deep.ContainsAsync(37);
        await deep.MinAsync();
        await deep.MaxAsync();
        await deep.ToListAsync();
        await foreach (var _ in deep.IdsAsync()) break; // abandoned after one id: the lease is disposed
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    /// <summary>Every key of the temporary namespace, listed by SCAN on the server itself (nothing left out).</summary>
    private static async Task<List<string>> RawTemporaries(RedisStore store)
    {
        var keys = new List<string>();
        foreach (var server in store.Connection.GetServers().Where(s => !s.IsReplica))
            await foreach (var key in server.KeysAsync(pattern: store.Keys.TemporaryPattern)) keys.Add(key!);
        return keys;
    }

    private static async Task RunEveryRead(UserSet deep)
    {
        await deep.CountAsync();
        await deep.AnyAsync();
        await deep.ContainsAsync(37);
        await deep.MinAsync();
        await deep.MaxAsync();
        await deep.ToListAsync();
        await foreach (var _ in deep.IdsAsync()) break;
    }

    [SkippableFact]
    public async Task With_a_scratch_ttl_of_zero_not_one_key_remains_after_the_call()
    {
        await using var store = (RedisStore)await StoreKind.CreateAsync(StoreKind.Redis, new StoreOptions { ScratchTtl = TimeSpan.Zero });
        await Seed(store);
        await RunEveryRead((store.Month("a") | store.Month("b")) & ~(store.Week("c") ^ store.Day("a")) | store.Ids(1, 2, 3));
        (await RawTemporaries(store)).ShouldBeEmpty();
    }

    [SkippableFact]
    public async Task Kept_scratch_keys_are_the_queries_own_few_each_expiring_within_the_scratch_ttl_and_a_leak_is_still_listed()
    {
        await using var store = await Redis();
        store.Options.ScratchTtl.ShouldBe(TimeSpan.FromSeconds(2), "the default");
        await Seed(store);
        var deep = (store.Month("a") | store.Month("b")) & ~(store.Week("c") ^ store.Day("a")) | store.Ids(1, 2, 3);
        await RunEveryRead(deep);
        await RunEveryRead(store.Month("a") - store.Month("b"));

        // What remains: scratch keys only (no lease), no more than the query that needs the most temporaries writes,
        // each with a TTL of at most 2 s; and the store does not list them as left behind.
        var most = (from q in new[] { deep, store.Month("a") - store.Month("b") }
                    from read in new[] { ReadKind.Count, ReadKind.Ids }
                    select store.Plan(new SetQuery(q.ToSetExpr(), read)).Program.TempCount).Max();
        var raw = await RawTemporaries(store);
        raw.ShouldNotBeEmpty("the default keeps the scratch keys");
        raw.ShouldAllBe(k => k.StartsWith(store.Keys.TemporaryNamespace + "q:"));
        raw.Count.ShouldBeLessThanOrEqualTo(most);
        var db = store.Connection.GetDatabase();
        foreach (var key in raw)
        {
            var ttl = (await db.KeyTimeToLiveAsync(key)).ShouldNotBeNull($"{key} has no TTL");
            ttl.ShouldBeGreaterThan(TimeSpan.Zero);
            ttl.ShouldBeLessThanOrEqualTo(TimeSpan.FromSeconds(2));
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();

        // A scratch-named key that would not expire by itself (no TTL, or a longer one) is a leak, and is listed.
        var noTtl = store.Keys.TemporaryNamespace + "q:97";
        var longTtl = store.Keys.TemporaryNamespace + "q:98";
        await db.StringSetAsync(noTtl, "x");
        await db.StringSetAsync(longTtl, "x", TimeSpan.FromMinutes(5));
        (await store.ListTemporariesAsync()).OrderBy(k => k, StringComparer.Ordinal).ShouldBe([noTtl, longTtl]);
        await db.KeyDeleteAsync([noTtl, longTtl]);
    }

    [SkippableFact]
    public async Task Bitmapist_server_keeps_no_scratch_key_even_by_default()
    {
        await using var store = await Store(StoreKind.BitmapistServer);
        store.Options.ScratchTtl.ShouldBeGreaterThan(TimeSpan.Zero);
        await Seed(store);
        await RunEveryRead((store.Month("a") | store.Month("b")) - store.Month("c"));
        (await store.Connection.GetDatabase().ExecuteAsync("SCAN", "0", "MATCH", store.Keys.TemporaryPattern, "COUNT", "1000")).ToString()
            .ShouldNotContain("bitop_tmp");
    }

    // Not on bitmapist-server: its profile reads ids with one GET inside the batch, so no result outlives the batch
    // as a lease (the test above checks that nothing is left there).
    [SkippableFact]
    public async Task A_lease_has_a_ttl_while_it_exists()
    {
        await using var store = await Redis();
        await Seed(store);
        await foreach (var _ in (store.Month("a") | store.Month("b")).IdsAsync())
        {
            var temps = await store.ListTemporariesAsync();
            temps.Count.ShouldBe(1);
            var ttl = await store.Connection.GetDatabase().KeyTimeToLiveAsync(temps[0]);
            ttl.ShouldNotBeNull().ShouldBeGreaterThan(TimeSpan.Zero);
            break;
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    // Not on bitmapist-server: every value there is a bitmap (SET reads any bytes as one) and every command of a
    // batch is one it knows (the audit in CommandAuditTests), so no command of a batch can be refused.
    [SkippableFact]
    public async Task A_server_error_inside_the_batch_is_reported_and_leaves_nothing()
    {
        await using var store = await Redis();
        await Seed(store);
        var wrongType = store.Keys.Key("broken", Model.Period.Of(Model.PeriodUnit.Month, store.Now));
        await store.Connection.GetDatabase().HashSetAsync(wrongType, "not", "a bitmap");
        var query = (store.Month("a") & store.Month("broken")) | store.Month("c");
        var e = await Should.ThrowAsync<BitmapistQueryException>(() => query.CountAsync());
        e.Message.ShouldContain("WRONGTYPE");
        await Should.ThrowAsync<BitmapistQueryException>(() => query.ToListAsync());
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.Servers), MemberType = typeof(StoreKind))]
    public async Task Cancellation_leaves_nothing(string kind)
    {
        await using var store = await Store(kind);
        await Seed(store);
        var query = (store.Month("a") | store.Month("b")) - store.Month("c");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => query.CountAsync(cancelled.Token));
        await Should.ThrowAsync<OperationCanceledException>(() => query.ToListAsync(cancelled.Token));

        using var midway = new CancellationTokenSource();
        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in query.IdsAsync(ct: midway.Token)) await midway.CancelAsync();
        });
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.Servers), MemberType = typeof(StoreKind))]
    public async Task A_connection_dropped_before_exec_applies_nothing_and_leaves_nothing(string kind)
    {
        var endpoint = Endpoint(kind);
        await using var proxy = new DroppingProxy(endpoint);
        var prefix = $"t{Guid.NewGuid():N}_";
        await using var viaProxy = await Connect(proxy.Endpoint + ",connectRetry=0", prefix);
        await using var direct = await Connect(endpoint, prefix);
        await Seed(viaProxy);

        proxy.DropOnNext("EXEC");
        var cut = await Should.ThrowAsync<BitmapistStoreException>(() => ((viaProxy.Month("a") | viaProxy.Month("b")) - viaProxy.Month("c")).CountAsync());
        proxy.Drops.ShouldBe(1);
        // One short sentence; the client's ~600-character diagnostic stays in the inner exception.
        cut.Message.ShouldBe($"The query was not answered: the connection to Redis at {proxy.Endpoint} was lost.");
        cut.InnerException.ShouldBeAssignableTo<RedisException>();
        (await direct.ListTemporariesAsync()).ShouldBeEmpty();

        // A mark batch cut before it runs writes nothing at all: no half-written state. On Redis it is one call of the
        // mark script (EVALSHA: this connection sent the script with its first batch), on bitmapist-server a MULTI/EXEC.
        if (kind == StoreKind.BitmapistServer) proxy.DropOnNext("EXEC");
        else proxy.DropOnNext("EVALSHA", hasArguments: true);
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => viaProxy.CreateBatch().Mark("new", 1).Mark("new", 2).ExecuteAsync());
        proxy.Drops.ShouldBe(2);
        (await direct.ListEventsAsync()).ShouldBe(["a", "b", "c"]);
        // One short sentence that names the cause; the client's diagnostic dump stays in the inner exception.
        e.Message.ShouldStartWith($"The mark batch failed: the connection to Redis at {proxy.Endpoint} was lost.");
        e.Message.Length.ShouldBeLessThan(250, e.Message);
        e.InnerException.ShouldBeAssignableTo<RedisException>();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.Servers), MemberType = typeof(StoreKind))]
    public async Task A_connection_dropped_before_a_cohort_table_runs_is_a_clear_error_and_leaves_nothing(string kind)
    {
        var endpoint = Endpoint(kind);
        await using var proxy = new DroppingProxy(endpoint);
        var prefix = $"t{Guid.NewGuid():N}_";
        await using var viaProxy = await Connect(proxy.Endpoint + ",connectRetry=0", prefix);
        await using var direct = await Connect(endpoint, prefix);
        var batch = direct.CreateBatch();
        for (var i = 0; i < 50; i++) batch.Mark(i % 2 == 0 ? "signup" : "active", i, DateTime.UtcNow.AddDays(-(i % 5)));
        await batch.ExecuteAsync();
        var query = ((Bitmapist.Linq.Text.CohortStatement)Bitmapist.Linq.Text.TextQuery.Parse("cohort signup & active then active by day rows 5 cols 3").Single()).Query;
        (await direct.CohortAsync(query)).Rows.Length.ShouldBe(5);

        // On Redis this connection has not sent the script yet, so its first table goes as EVAL with the script's
        // text; bitmapist-server has no scripts and gets the table as one MULTI/EXEC.
        if (kind == StoreKind.BitmapistServer) proxy.DropOnNext("EXEC");
        else proxy.DropOnNext("EVAL", hasArguments: true);
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => viaProxy.CohortAsync(query));
        e.Message.ShouldBe($"The cohort batch was not answered: the connection to Redis at {proxy.Endpoint} was lost.");
        e.InnerException.ShouldBeAssignableTo<RedisException>();
        proxy.Drops.ShouldBe(1);
        (await direct.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.Servers), MemberType = typeof(StoreKind))]
    public async Task A_dead_server_is_a_clear_error(string kind)
    {
        _ = Endpoint(kind);
        var e = await Should.ThrowAsync<BitmapistStoreException>(() =>
            RedisStore.ConnectAsync($"127.0.0.1:{RedisServer.FreePort()},connectTimeout=500"));
        e.Message.ShouldStartWith("Cannot connect to Redis at '127.0.0.1:");

        using var server = StartPrivate(kind, out var port);
        await using var store = await Connect($"127.0.0.1:{port},connectTimeout=500,connectRetry=0,syncTimeout=1000,asyncTimeout=1000", "x_");
        await store.MarkAsync("a", 1);
        server.Kill();
        await server.WaitForExitAsync();
        var cohort = ((Bitmapist.Linq.Text.CohortStatement)Bitmapist.Linq.Text.TextQuery.Parse("cohort a then b by day rows 3 cols 2").Single()).Query;
        // Each one short sentence naming the server and the cause (it had been connected: not "Cannot connect").
        foreach (var failed in new[]
        {
            await Should.ThrowAsync<BitmapistStoreException>(() => store.MarkAsync("a", 2)),
            await Should.ThrowAsync<BitmapistStoreException>(() => (store.Month("a") & store.Month("b")).CountAsync()),
            await Should.ThrowAsync<BitmapistStoreException>(() => store.CohortAsync(cohort)),
        })
        {
            failed.Message.ShouldContain($"Redis at 127.0.0.1:{port} ");
            failed.Message.ShouldNotContain("Cannot connect");
            failed.Message.Length.ShouldBeLessThan(250, failed.Message);
            failed.InnerException.ShouldBeAssignableTo<RedisException>();
        }
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.Servers), MemberType = typeof(StoreKind))]
    public async Task Every_query_is_one_multi_exec_whatever_its_depth(string kind)
    {
        // Counted on the wire: bitmapist-server's INFO commands does not count MULTI and EXEC (its protocol layer
        // runs them, not a command handler), and a proxy sees this store's commands only.
        await using var proxy = new RecordingProxy(Endpoint(kind));
        await using var store = await Connect(proxy.Endpoint, $"t{Guid.NewGuid():N}_");
        await Seed(store);
        SetExpr leaf(int i) => SetExpr.Event(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", PeriodRef.Relative(Model.PeriodUnit.Day, -(i % 2)));
        SetExpr build(int depth, ref int n) => depth == 0 ? leaf(n++) :
            (depth % 3) switch
            {
                0 => SetExpr.And(build(depth - 1, ref n), build(depth - 1, ref n)),
                1 => SetExpr.Or(build(depth - 1, ref n), build(depth - 1, ref n)),
                _ => SetExpr.Diff(build(depth - 1, ref n), build(depth - 1, ref n)),
            };
        for (var depth = 1; depth <= 6; depth++)
        {
            var n = 0;
            var query = store.Set(build(depth, ref n));
            proxy.Clear();
            await query.CountAsync();
            // A reply is recorded before the client sees it, so the query's EXEC is in once CountAsync returns.
            var sent = proxy.Exchanges.Select(e => e.Command).ToList();
            sent.Count(c => c == "EXEC").ShouldBe(1, $"depth {depth}: {string.Join(' ', sent)}");
            sent.Count(c => c == "MULTI").ShouldBe(1, $"depth {depth}");
            sent.Count(c => c == "BITOP").ShouldBeGreaterThan(0);
        }
    }
}
