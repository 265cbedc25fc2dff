using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// The counts script (<c>CountsScript.lua</c>) that runs a cohort table on Redis: it skips steps whose set it
/// has learnt is empty, so every skip rule is checked here against the HashSet oracle and against the same
/// program run as MULTI/EXEC, on data where most sets are empty; then errors, refused scripting and a flushed
/// script cache.
/// </summary>
public class CountsScriptTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    /// <summary>Six small flags over ids 0..40 (so most intersections are empty), one emptied key, one never written.</summary>
    private static async Task<Dictionary<string, HashSet<uint>>> SeedFlags(BitmapStore store, Random r)
    {
        var data = new Dictionary<string, HashSet<uint>>();
        var batch = store.CreateBatch();
        for (var f = 0; f < 6; f++)
        {
            var ids = data[store.Keys.Key($"f{f}", Period.Unique)] = [];
            for (var i = 0; i < r.Next(0, 7); i++)
            {
                var id = (uint)r.Next(0, 41);
                batch.MarkUnique($"f{f}", id);
                ids.Add(id);
            }
        }
        // The universe (for NOT): every id that can occur.
        var all = data[store.Keys.Key("all", Period.Unique)] = [];
        for (var id = 0u; id <= 40; id++)
        {
            batch.MarkUnique("all", id);
            all.Add(id);
        }
        // A key that exists but holds no member: set, then cleared.
        batch.MarkUnique("emptied", 17).UnmarkUnique("emptied", 17);
        data[store.Keys.Key("emptied", Period.Unique)] = [];
        await batch.ExecuteAsync();
        return data;
    }

    private static BatchProgram Emit(IReadOnlyList<SetExpr> sets, BindContext context, CapabilityProfile profile)
    {
        var universe = Binder.Bind(context.Universe!, context);
        return ProgramEmitter.EmitCounts([.. sets.Select(s => Optimizer.Optimize(Binder.Bind(s, context), universe, asWritten: s))], profile);
    }

    [SkippableFact]
    public async Task Random_count_batches_with_mostly_empty_sets_match_the_oracle_and_the_transaction()
    {
        var options = new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)), Keys = new KeyScheme($"t{Guid.NewGuid():N}_") };
        await using var scripted = (RedisStore)await StoreKind.CreateAsync(StoreKind.Redis, options);
        scripted.Profile.HasScripts.ShouldBeTrue();
        var noScripts = scripted.Profile with { HasScripts = false };
        await using var queued = (RedisStore)await StoreKind.CreateAsync(StoreKind.Redis, options with { Profile = noScripts });
        var r = new Random(20261128);
        var data = await SeedFlags(scripted, r);
        var oracle = new SetOracle(scripted.Keys, data, Now, SetExpr.Unique("all"));
        SetExpr[] leaves = [.. Enumerable.Range(0, 6).Select(f => SetExpr.Unique($"f{f}")), SetExpr.Unique("emptied"), SetExpr.Unique("never")];
        var context = new BindContext(Now, scripted.Keys, SetExpr.Unique("all"));
        int zero = 0, total = 0;
        for (var round = 0; round < 40; round++)
        {
            // Later sets repeat earlier ones inside them, so the emitter shares temporaries between counts.
            var sets = new List<SetExpr>();
            for (var i = 0; i < 30; i++)
            {
                var set = RandomFormula.Build(r, leaves, depth: 3, allowUniverse: false);
                sets.Add(i > 0 && r.Next(3) == 0 ? SetExpr.And(sets[r.Next(sets.Count)], set) : set);
            }
            // Literal ids must be users: the universe holds every id the application knows.
            var literals = sets.SelectMany(Subtrees).OfType<IdsNode>().SelectMany(n => n.Members).ToArray();
            if (literals.Length > 0)
            {
                var users = scripted.CreateBatch();
                foreach (var id in literals) users.MarkUnique("all", id);
                await users.ExecuteAsync();
                data[scripted.Keys.Key("all", Period.Unique)].UnionWith(literals);
            }
            var expected = sets.Select(s => (long)oracle.Eval(s).Count).ToArray();
            var program = Emit(sets, context, scripted.Profile);
            RedisCountsScript.CanRun(program).ShouldBeTrue();
            var viaScript = (await scripted.Backend.RunAsync(program, default)).Select(r => r.Integer).ToArray();
            var viaTransaction = (await queued.Backend.RunAsync(Emit(sets, context, noScripts), default)).Select(r => r.Integer).ToArray();
            for (var i = 0; i < sets.Count; i++)
            {
                viaScript[i].ShouldBe(expected[i], $"round {round}, set {i}: {sets[i]} (script)");
                viaTransaction[i].ShouldBe(expected[i], $"round {round}, set {i}: {sets[i]} (MULTI/EXEC)");
            }
            zero += expected.Count(c => c == 0);
            total += expected.Length;
        }
        // The data must give many empty sets, or the skip rules would not be exercised.
        zero.ShouldBeGreaterThan(total / 4);
        (await scripted.ListTemporariesAsync()).ShouldBeEmpty();
        await scripted.DeleteEventsAsync();
    }

    [SkippableFact]
    public async Task The_program_encoding_is_what_redis_cmsgpack_decodes()
    {
        // Every size class of the encoder, checked against the decoder the script uses.
        long[] edges = [0, 1, 127, 128, 255, 256, 65535, 65536, uint.MaxValue];
        var mux = await ConnectionMultiplexer.ConnectAsync(RedisServer.Endpoint);
        foreach (var length in new[] { 0, 15, 16, 65535, 65536 })
        {
            var values = Enumerable.Range(0, length).Select(i => edges[i % edges.Length]).ToArray();
            var bytes = RedisCountsScript.MessagePack(values);
            var decoded = (RedisResult[])(await mux.GetDatabase().ScriptEvaluateAsync(
                "local t = cmsgpack.unpack(ARGV[1]) local out = {} for i, v in ipairs(t) do out[i] = tostring(v) end return out",
                [], [bytes]))!;
            decoded.Select(v => long.Parse((string)v!)).ShouldBe(values, $"{length} values");
        }
        Should.Throw<ArgumentOutOfRangeException>(() => RedisCountsScript.MessagePack([-1]));
        await mux.DisposeAsync();
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_whole_table_is_one_call_that_skips_empty_cells_and_leaves_no_temporary(bool scripts)
    {
        using var server = RedisServer.StartPrivate(out var port);
        try
        {
            var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
            var profile = CapabilityProfile.Redis7 with { HasScripts = scripts };
            await using var store = new RedisStore(mux, profile,
                new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(CohortTests.Now)) }, ownsConnection: true);
            await CohortTests.SeedDays(store);
            await CohortTests.Mark(store, "web", CohortTests.D(3, 1), 1, 2);
            var admin = mux.GetServer($"127.0.0.1:{port}");
            await store.CohortAsync(CohortTests.Parse("cohort signup & web then active by day rows 31 cols 12")); // the script is cached
            await admin.ConfigResetStatisticsAsync();
            var table = await store.CohortAsync(CohortTests.Parse("cohort signup & web then active by day rows 31 cols 12"));
            table.Rows.Length.ShouldBe(31);
            var calls = (await admin.InfoAsync("commandstats")).SelectMany(g => g)
                .ToDictionary(kv => kv.Key, kv => long.Parse(kv.Value.Split(',')[0].Split('=')[1]));
            if (scripts)
            {
                calls.GetValueOrDefault("cmdstat_evalsha").ShouldBe(1);
                calls.GetValueOrDefault("cmdstat_eval").ShouldBe(0);
                calls.GetValueOrDefault("cmdstat_exec").ShouldBe(0);
                // One BITOP per row for its cohort (signup & web), then one per cell that is not empty: a cell
                // whose cohort or return day counted 0 costs nothing.
                var shown = table.Rows.Sum(row => row.Retained.Count(c => c is not null));
                calls.GetValueOrDefault("cmdstat_bitop").ShouldBe(31 + shown);
                shown.ShouldBeLessThan(31 * 13 / 2);
            }
            else
            {
                calls.GetValueOrDefault("cmdstat_exec").ShouldBe(1);
                calls.GetValueOrDefault("cmdstat_multi").ShouldBe(1);
                calls.GetValueOrDefault("cmdstat_bitop").ShouldBe(31 + 31 * 13);
            }
            (await store.ListTemporariesAsync()).ShouldBeEmpty();
        }
        finally
        {
            server.Kill();
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_key_of_the_wrong_type_fails_the_table_clearly_and_leaves_no_temporary(bool scripts)
    {
        var options = new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(CohortTests.Now)), Keys = new KeyScheme($"t{Guid.NewGuid():N}_") };
        await using var store = (RedisStore)await StoreKind.CreateAsync(StoreKind.Redis, options);
        await using var checkedStore = (RedisStore)await StoreKind.CreateAsync(StoreKind.Redis, options with { Profile = store.Profile with { HasScripts = scripts } });
        await CohortTests.SeedDays(store);
        await CohortTests.Mark(store, "web", CohortTests.D(3, 1), 1, 2);
        // The Mar 2 cohort's filter is a list: its BITOP fails in the middle of the table.
        var mux = await ConnectionMultiplexer.ConnectAsync(RedisServer.Endpoint);
        await mux.GetDatabase().ListRightPushAsync(store.Keys.Key("web", Period.Of(PeriodUnit.Day, CohortTests.D(3, 2))), "x");
        var query = CohortTests.Parse("cohort signup & web then active by day rows 4 cols 3 from 2026-03-01");
        var e = await Should.ThrowAsync<BitmapistQueryException>(() => checkedStore.CohortAsync(query));
        e.Message.ShouldContain("WRONGTYPE");
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
        // Nothing is broken: without the bad key the same table runs.
        await mux.GetDatabase().KeyDeleteAsync(store.Keys.Key("web", Period.Of(PeriodUnit.Day, CohortTests.D(3, 2))));
        (await checkedStore.CohortAsync(query)).Rows[0].Size.ShouldBe(2);
        await store.DeleteEventsAsync();
        await mux.DisposeAsync();
    }

    [SkippableFact]
    public async Task A_user_without_scripting_gets_the_same_table_through_multi_exec()
    {
        using var server = RedisServer.StartPrivate(out var port);
        try
        {
            var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
            await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "analyst", "on", ">secret", "~*", "+@all", "-@scripting");
            var options = new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(CohortTests.Now)) };
            await using var full = new RedisStore(admin, CapabilityProfile.Redis7, options, ownsConnection: true);
            var limitedMux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},user=analyst,password=secret");
            await using var limited = new RedisStore(limitedMux, CapabilityProfile.Redis7, options, ownsConnection: true);
            await CohortTests.SeedDays(full);
            var query = CohortTests.Parse("cohort signup then active by day rows 4 cols 3 from 2026-03-01 counts");
            var expected = CohortTests.Show(await full.CohortAsync(query));
            limited.Explain(query).ShouldContain("EVALSHA <counts script>");
            CohortTests.Show(await limited.CohortAsync(query)).ShouldBe(expected);
            CohortTests.Show(await limited.CohortAsync(query)).ShouldBe(expected); // now straight to MULTI/EXEC
            // Explain shows what the store sends now.
            limited.Explain(query).ShouldContain("MULTI");
            limited.Explain(query).ShouldNotContain("EVALSHA");
            (await limited.ListTemporariesAsync()).ShouldBeEmpty();
        }
        finally
        {
            server.Kill();
        }
    }

    [SkippableFact]
    public async Task A_flushed_script_cache_is_refilled_without_an_error()
    {
        using var server = RedisServer.StartPrivate(out var port);
        try
        {
            var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
            await using var store = new RedisStore(mux, CapabilityProfile.Redis7,
                new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(CohortTests.Now)) }, ownsConnection: true);
            await CohortTests.SeedDays(store);
            var query = CohortTests.Parse("cohort signup then active by day rows 4 cols 3 from 2026-03-01 counts");
            var expected = CohortTests.Show(await store.CohortAsync(query));
            await mux.GetServer($"127.0.0.1:{port}").ScriptFlushAsync();
            CohortTests.Show(await store.CohortAsync(query)).ShouldBe(expected);
        }
        finally
        {
            server.Kill();
        }
    }

    private static IEnumerable<SetExpr> Subtrees(SetExpr e) => e.Children.SelectMany(Subtrees).Prepend(e);
}
