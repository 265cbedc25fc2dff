using System.Text.Json;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>bitmapist migrate</c> between real Redis servers: bitmapist's keys into the sharded layout and back, on one Redis
/// (under other prefixes) when BITMAPIST_REDIS names one, and into the Redis Cluster of BITMAPIST_REDIS_CLUSTER (CI
/// sets both and requires them). Every prefix is the test's own and deleted after.
/// </summary>
public sealed class MigrateCommandTests
{
    /// <summary>The statements whose answers must not change with the layout: counts, a compound set, ids, a percent, a cohort.</summary>
    private static readonly string Statements =
        "count month(active); count week(active) & day(signup, -3); count year(active) - unique(premium); " +
        "ids day(song:played, -1) limit 30; ids day(active, -1) & {70000, 5000000, 40000000}; 5000000 in day(active, -1); " +
        "percent week(active) of month(active); cohort signup then active by week rows 3 cols 2 counts";

    [SkippableFact]
    public async Task Migrates_to_sharded_and_back_on_one_redis()
    {
        var redis = SingleRedis();
        var run = Guid.NewGuid().ToString("N")[..12];
        string source = $"migtest_{run}_a_", sharded = $"migtest_{run}_s_", back = $"migtest_{run}_b_";
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        try
        {
            await SeedAsync(redis, source);
            var sourceKeys = await KeysAsync(mux, source);
            sourceKeys.Count.ShouldBeGreaterThan(100);

            var first = await CliHarness.Run("migrate", "--from", redis, "--to", redis, "--prefix", source, "--to-prefix", sharded,
                "--layout", "sharded:8", "--verify", "--format", "json");
            var summary = first.Json();
            summary.GetProperty("keys").GetInt64().ShouldBe(sourceKeys.Count);
            summary.GetProperty("fromLayout").GetString().ShouldBe("bitmapist");
            summary.GetProperty("toLayout").GetString().ShouldBe("sharded:8");
            summary.GetProperty("verified").GetBoolean().ShouldBeTrue();
            summary.GetProperty("mismatches").GetArrayLength().ShouldBe(0);
            summary.GetProperty("ids").GetInt64().ShouldBeGreaterThan(10_000);
            first.Err.ShouldContain("migrate: copied"); // progress lines, as stderr is not a terminal here

            // Same answers: every key's count through the library (not through --verify), and the statements.
            await CompareCountsAsync(redis, source, KeyLayout.Bitmapist, redis, sharded, KeyLayout.Sharded(8), sourceKeys);
            await CompareStatementsAsync(["--redis", redis, "--prefix", source], ["--redis", redis, "--prefix", sharded, "--layout", "sharded:8"]);

            // The sharded store read without its layout is refused, with the option that opens it.
            (await CliHarness.Run("events", "--redis", redis, "--prefix", sharded))
                .ShouldFailWith(Cli.Failed, $"The store with key prefix '{sharded}' holds the sharded:8 layout")
                .Err.ShouldContain("Open it with --layout sharded:8");
            (await CliHarness.Run("events", "--redis", redis, "--prefix", sharded, "--layout", "sharded:8", "--format", "json")).Json()
                .GetProperty("events").EnumerateArray().Select(e => e.GetString()).ShouldBe(["active", "premium", "signup", "song:played"]);

            // Re-running changes nothing: the destination's keys hold the same bytes.
            var before = await ValuesAsync(mux, sharded);
            before.Keys.ShouldAllBe(k => k.StartsWith(sharded + "{", StringComparison.Ordinal) || k.StartsWith(sharded + "bitop_", StringComparison.Ordinal));
            var again = await CliHarness.Run("migrate", "--from", redis, "--to", redis, "--prefix", source, "--to-prefix", sharded, "--layout", "sharded:8", "--format", "json");
            again.Json().GetProperty("keys").GetInt64().ShouldBe(sourceKeys.Count);
            ShouldBeTheSameKeys(await ValuesAsync(mux, sharded), sharded, before, sharded);

            // Back to bitmapist's layout, for Python readers: exactly the source's keys and bytes.
            var home = await CliHarness.Run("migrate", "--from", redis, "--to", redis, "--prefix", sharded, "--to-prefix", back,
                "--layout", "bitmapist", "--from-layout", "sharded:8", "--verify", "--format", "json");
            home.Json().GetProperty("verified").GetBoolean().ShouldBeTrue();
            ShouldBeTheSameKeys(await ValuesAsync(mux, back), back, await ValuesAsync(mux, source), source);

            // --verify catches a key damaged in the destination (an extra member survives the copy's OR).
            var db = mux.GetDatabase();
            var day = $"active_{Period.Day(2026, 11, 27).KeySuffix}";
            var shardKey = (await KeysAsync(mux, sharded)).First(k => k.Contains('}', StringComparison.Ordinal) && k.EndsWith(":" + day, StringComparison.Ordinal));
            var clear = await db.StringBitPositionAsync(shardKey, false);
            await db.StringSetBitAsync(shardKey, clear, true);
            var damaged = await CliHarness.Run("migrate", "--from", redis, "--to", redis, "--prefix", source, "--to-prefix", sharded,
                "--layout", "sharded:8", "--verify", "--format", "json");
            damaged.ExitCode.ShouldBe(Cli.Failed, damaged.Err);
            var sourceCount = await db.StringBitCountAsync(source + day);
            damaged.Err.ShouldContain($"bitmapist: active 2026-11-27 (day): {sourceCount:N0} ids in the source, {sourceCount + 1:N0} ids in the destination");
            using var doc = JsonDocument.Parse(damaged.Out);
            var mismatch = doc.RootElement.GetProperty("mismatches").EnumerateArray().ShouldHaveSingleItem();
            mismatch.GetProperty("event").GetString().ShouldBe("active");
            mismatch.GetProperty("unit").GetString().ShouldBe("day");
            mismatch.GetProperty("period").GetString().ShouldBe("2026-11-27");
            mismatch.GetProperty("source").GetInt64().ShouldBe(sourceCount);
            mismatch.GetProperty("destination").GetInt64().ShouldBe(sourceCount + 1);

            // One key space on both sides is refused before anything is written.
            (await CliHarness.Run("migrate", "--from", redis, "--to", redis, "--prefix", source))
                .ShouldFailWith(Cli.Usage, $"the same key space (the same server and the key prefix '{source}')");
            // The source read with a width it does not hold: the library's advice, and migrate's option for it.
            (await CliHarness.Run("migrate", "--from", redis, "--to", redis, "--prefix", sharded, "--to-prefix", back, "--layout", "bitmapist"))
                .ShouldFailWith(Cli.Failed, "--from: The store with key prefix")
                .Err.ShouldContain("give the layout with --from-layout");
        }
        finally
        {
            foreach (var prefix in new[] { source, sharded, back }) await DeleteAsync(mux, prefix);
        }
    }

    [SkippableFact]
    public async Task Migrates_into_a_redis_cluster_and_back()
    {
        var redis = SingleRedis();
        var cluster = RedisClusterServer.Seeds;
        var run = Guid.NewGuid().ToString("N")[..12];
        string source = $"migtest_{run}_a_", back = $"migtest_{run}_b_";
        using var single = await ConnectionMultiplexer.ConnectAsync(redis);
        using var nodes = await ConnectionMultiplexer.ConnectAsync(cluster);
        try
        {
            await SeedAsync(redis, source);
            var sourceKeys = await KeysAsync(single, source);

            // A cluster read without --layout sharded is refused with how to get there.
            (await CliHarness.Run("events", "--redis", cluster, "--prefix", source))
                .ShouldFailWith(Cli.Failed, "is a Redis Cluster, which needs the sharded key layout")
                .Err.ShouldContain("bitmapist migrate --from <that redis> --to ");

            var copied = await CliHarness.Run("migrate", "--from", redis, "--to", cluster, "--prefix", source, "--layout", "sharded:8", "--verify", "--format", "json");
            var summary = copied.Json();
            summary.GetProperty("keys").GetInt64().ShouldBe(sourceKeys.Count);
            summary.GetProperty("verified").GetBoolean().ShouldBeTrue();
            // Shards of 2^8 ids: thousands of users and ids up to 2^32-1 spread over every primary.
            var perNode = nodes.GetServers().Where(s => !s.IsReplica).Select(s => s.Keys(pattern: source + "{*", pageSize: 1000).Count()).ToArray();
            perNode.Length.ShouldBe(3);
            perNode.ShouldAllBe(n => n > 0);

            await CompareCountsAsync(redis, source, KeyLayout.Bitmapist, cluster, source, KeyLayout.Sharded(8), sourceKeys);
            await CompareStatementsAsync(["--redis", redis, "--prefix", source], ["--redis", cluster, "--prefix", source, "--layout", "sharded:8"]);

            // The REPL on the cluster, the statements piped one a line: the same results as `query` on the single Redis.
            var expected = await CliHarness.Run("query", Statements, "--redis", redis, "--prefix", source, "--now", CliHarness.Now, "--format", "json");
            var (stdout, stderr) = (new StringWriter(), new StringWriter());
            var code = await Cli.RunAsync(["--redis", cluster, "--prefix", source, "--layout", "sharded:8", "--now", CliHarness.Now, "--format", "json"],
                stdout, stderr, new Repl.ReplInput(false, new StringReader(Statements.Replace("; ", "\n"))));
            code.ShouldBe(0, stderr.ToString());
            stdout.ToString().ShouldBe(expected.Out);

            // Back onto the single Redis in bitmapist's layout: the same keys and bytes.
            var home = await CliHarness.Run("migrate", "--from", cluster, "--to", redis, "--prefix", source, "--to-prefix", back,
                "--layout", "bitmapist", "--from-layout", "sharded:8", "--verify", "--format", "json");
            home.Json().GetProperty("verified").GetBoolean().ShouldBeTrue();
            ShouldBeTheSameKeys(await ValuesAsync(single, back), back, await ValuesAsync(single, source), source);
        }
        finally
        {
            await DeleteAsync(single, source);
            await DeleteAsync(single, back);
            await DeleteAsync(nodes, source);
        }
    }

    [SkippableFact]
    public async Task Migrates_from_bitmapist_server_to_sharded_and_back()
    {
        var server = Environment.GetEnvironmentVariable("BITMAPIST_SERVER");
        if (string.IsNullOrEmpty(server) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_BITMAPIST_SERVER") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_BITMAPIST_SERVER=1 but BITMAPIST_SERVER is not set.");
        Skip.If(string.IsNullOrEmpty(server), "BITMAPIST_SERVER is not set");
        var redis = SingleRedis();
        var run = Guid.NewGuid().ToString("N")[..12];
        string source = $"migtest_{run}_a_", back = $"migtest_{run}_b_";
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        try
        {
            // bitmapist-server keeps bitmapist's layout (the sharded one is refused there): it is a source, or the way back.
            await SeedAsync(server!, source);
            var copied = await CliHarness.Run("migrate", "--from", server!, "--to", redis, "--prefix", source, "--layout", "sharded:8", "--verify", "--format", "json");
            copied.Json().GetProperty("verified").GetBoolean().ShouldBeTrue();
            await CompareStatementsAsync(["--redis", server!, "--prefix", source], ["--redis", redis, "--prefix", source, "--layout", "sharded:8"]);

            var home = await CliHarness.Run("migrate", "--from", redis, "--to", server!, "--prefix", source, "--to-prefix", back,
                "--layout", "bitmapist", "--from-layout", "sharded:8", "--verify", "--format", "json");
            home.Json().GetProperty("verified").GetBoolean().ShouldBeTrue();
            await CompareStatementsAsync(["--redis", server!, "--prefix", source], ["--redis", server!, "--prefix", back]);
            (await CliHarness.Run("events", "--redis", server!, "--prefix", back, "--layout", "sharded"))
                .ShouldFailWith(Cli.Failed, "bitmapist-server at");
        }
        finally
        {
            await DeleteAsync(mux, source);
            foreach (var prefix in new[] { source, back })
            {
                await using var store = await RedisStore.ConnectAsync(server!, new StoreOptions().WithPrefix(prefix));
                await store.DeleteEventsAsync();
            }
        }
    }

    private static string SingleRedis()
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");
        return redis!;
    }

    /// <summary>bitmapist-layout data as the CLI writes it: the sample, and ids far apart (the last one 4e7, a 5 MB key in bitmapist's layout).</summary>
    private static async Task SeedAsync(string redis, string prefix)
    {
        string[] Args(params string[] args) => [.. args, "--redis", redis, "--prefix", prefix, "--now", CliHarness.Now];
        (await CliHarness.Run(Args("sample", "--users", "3000", "--days", "40"))).ExitCode.ShouldBe(0);
        var marked = await CliHarness.Run(Args("mark", "active", "70000", "5000000", "40000000", "--at", "2026-11-27T09:00:00"));
        marked.ExitCode.ShouldBe(0, marked.Err);
    }

    private static async Task CompareCountsAsync(string fromRedis, string fromPrefix, KeyLayout fromLayout, string toRedis, string toPrefix, KeyLayout toLayout,
        IReadOnlyCollection<string> sourceKeys)
    {
        await using var from = await RedisStore.ConnectAsync(fromRedis, new StoreOptions { Keys = new KeyScheme(fromPrefix), Layout = fromLayout });
        await using var to = await RedisStore.ConnectAsync(toRedis, new StoreOptions { Keys = new KeyScheme(toPrefix), Layout = toLayout });
        var compared = 0;
        foreach (var key in sourceKeys)
        {
            from.Keys.TryParse(key, out var name, out var period).ShouldBeTrue(key);
            var expected = await from.At(name, period).CountAsync();
            expected.ShouldBeGreaterThan(0, key);
            (await to.At(name, period).CountAsync()).ShouldBe(expected, key);
            compared++;
        }
        compared.ShouldBe(sourceKeys.Count);
    }

    private static async Task CompareStatementsAsync(string[] bitmapist, string[] sharded)
    {
        string[] Args(string[] store) => ["query", Statements, .. store, "--now", CliHarness.Now, "--format", "json"];
        var expected = await CliHarness.Run(Args(bitmapist));
        expected.ExitCode.ShouldBe(0, expected.Err);
        expected.Out.ShouldContain("\"ids\":[70000,5000000,40000000]");
        var actual = await CliHarness.Run(Args(sharded));
        actual.ExitCode.ShouldBe(0, actual.Err);
        actual.Out.ShouldBe(expected.Out);
    }

    /// <summary>Every key under <paramref name="prefix"/> on every primary.</summary>
    private static async Task<List<string>> KeysAsync(ConnectionMultiplexer mux, string prefix)
    {
        var keys = new List<string>();
        foreach (var server in mux.GetServers().Where(s => !s.IsReplica))
            await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
                keys.Add(key!);
        return [.. keys.Distinct()];
    }

    /// <summary>Every key under <paramref name="prefix"/> and its value (in hex), by key.</summary>
    private static async Task<SortedDictionary<string, string>> ValuesAsync(ConnectionMultiplexer mux, string prefix)
    {
        var db = mux.GetDatabase();
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in await KeysAsync(mux, prefix)) values[key] = Convert.ToHexString((byte[])(await db.StringGetAsync(key))!);
        return values;
    }

    /// <summary>The keys of <paramref name="actual"/> are those of <paramref name="expected"/> under another prefix, with the same values.</summary>
    private static void ShouldBeTheSameKeys(SortedDictionary<string, string> actual, string actualPrefix, SortedDictionary<string, string> expected, string expectedPrefix)
    {
        actual.Keys.Select(k => k[actualPrefix.Length..]).ShouldBe(expected.Keys.Select(k => k[expectedPrefix.Length..]));
        foreach (var (key, value) in expected)
            (actual[actualPrefix + key[expectedPrefix.Length..]] == value).ShouldBeTrue($"{key} differs");
    }

    private static async Task DeleteAsync(ConnectionMultiplexer mux, string prefix)
    {
        var db = mux.GetDatabase();
        foreach (var key in await KeysAsync(mux, prefix)) await db.KeyDeleteAsync(key);
    }
}
