using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// A bulk import that fails part-way (Redis out of memory, the connection cut) says the real cause, how much was
/// applied (whole groups before the failure, not the failed one), and that running it again is safe; running it
/// again then gives exactly the full data. Each test starts its own redis-server.
/// </summary>
public class RedisImportFailureTests
{
    private static readonly DateTime At = new(2026, 3, 15, 10, 0, 0, DateTimeKind.Utc);
    private const int Events = 12;

    // Every key gets two ids, the second 24 million bits in: a 3 MB value. 12 events x (month, week, day) = 36 keys,
    // 108 MB: more than 60 MB of maxmemory, and four groups of about 32 MiB.
    private static long[] IdsOf(int e) => [e, 24_000_000 + e];

    private static async Task Import(BitmapStore store)
    {
        var import = store.CreateBulkImport();
        for (var e = 0; e < Events; e++)
            foreach (var id in IdsOf(e)) await import.AddAsync($"e{e}", id, At);
        await import.FlushAsync();
    }

    private static IEnumerable<(string Key, long[] Ids)> Expected(BitmapStore store) =>
        from e in Enumerable.Range(0, Events)
        from unit in new[] { PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day }
        select (store.Keys.Key($"e{e}", Period.Of(unit, At)), IdsOf(e));

    /// <summary>Every key on the server, and its ids (read directly, not through the store).</summary>
    private static async Task<Dictionary<string, long[]>> Contents(IDatabase db, IServer server)
    {
        var result = new Dictionary<string, long[]>();
        await foreach (var key in server.KeysAsync())
        {
            var bytes = (byte[])(await db.StringGetAsync(key))!;
            var ids = new List<long>();
            for (var i = 0; i < bytes.Length; i++)
                if (bytes[i] != 0)
                    for (var bit = 0; bit < 8; bit++)
                        if ((bytes[i] & (0x80 >> bit)) != 0) ids.Add(i * 8L + bit); // Redis bit order: bit 0 is the high bit
            result[key!] = [.. ids];
        }
        return result;
    }

    /// <param name="scripts">Groups run as the merge script; else (a user without EVAL) as MULTI/EXEC, whose EXECABORT hides the cause.</param>
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Out_of_memory_names_oom_and_what_was_applied_and_a_rerun_gives_exactly_the_full_data(bool scripts)
    {
        using var server = RedisServer.StartPrivate(out var port, "--maxmemory", "60mb", "--maxmemory-policy", "noeviction");
        try
        {
            await using var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,syncTimeout=30000,asyncTimeout=30000");
            var user = "";
            if (!scripts)
            {
                await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "importer", "on", ">secret", "~*", "+@all", "-@scripting");
                user = ",user=importer,password=secret";
            }
            await using var store = await RedisStore.ConnectAsync($"127.0.0.1:{port},syncTimeout=30000,asyncTimeout=30000{user}");

            var e = await Should.ThrowAsync<BitmapistImportException>(() => Import(store));
            e.Message.ShouldContain("OOM", customMessage: e.Message);
            if (scripts)
            {
                // The script answers with Redis' own error.
                e.Message.ShouldContain($"Redis at 127.0.0.1:{port} is out of memory: OOM command not allowed");
                e.Message.ShouldNotContain("EXECABORT");
            }
            else
            {
                // MULTI/EXEC: the client reports only EXECABORT; the message says so and names the usual causes.
                e.Message.ShouldContain("EXECABORT");
                e.Message.ShouldContain("the usual causes are OOM");
            }
            e.Message.ShouldContain($"{e.GroupsApplied} group(s) of about 32 MiB, {e.KeysApplied} of {Events * 3} key(s)");
            e.Message.ShouldContain("running the same import again is safe");
            e.GroupsApplied.ShouldBeGreaterThan(0);
            e.KeysApplied.ShouldBeLessThan(Events * 3);

            // Exactly the groups before the failure: their keys whole, the failed group's keys absent.
            var partial = await Contents(admin.GetDatabase(), admin.GetServers()[0]);
            partial.Count.ShouldBe(e.KeysApplied);
            var expected = Expected(store).ToDictionary(x => x.Key, x => x.Ids);
            foreach (var (key, ids) in partial) ids.ShouldBe(expected[key], key);

            await admin.GetServers()[0].ConfigSetAsync("maxmemory", "0");
            await Import(store);
            var full = await Contents(admin.GetDatabase(), admin.GetServers()[0]);
            full.Keys.Order(StringComparer.Ordinal).ShouldBe(expected.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, ids) in full) ids.ShouldBe(expected[key], key);
        }
        finally
        {
            server.Kill();
        }
    }

    [SkippableFact]
    public async Task A_connection_cut_before_the_third_group_says_two_groups_were_applied_and_a_rerun_completes_the_data()
    {
        using var server = RedisServer.StartPrivate(out var port);
        try
        {
            await using var proxy = new DroppingProxy($"127.0.0.1:{port}");
            await using var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,syncTimeout=30000,asyncTimeout=30000");
            await using var viaProxy = await RedisStore.ConnectAsync($"{proxy.Endpoint},connectRetry=0,syncTimeout=30000,asyncTimeout=30000");

            // A group is one call of the merge script: the first sent as EVAL, the next as EVALSHA; cut the third.
            proxy.DropOnNext("EVALSHA", hasArguments: true, skip: 1);
            var e = await Should.ThrowAsync<BitmapistImportException>(() => Import(viaProxy));
            proxy.Drops.ShouldBe(1);
            e.GroupsApplied.ShouldBe(2);
            e.Message.ShouldContain($"the connection to Redis at {proxy.Endpoint} was lost");
            e.Message.ShouldContain($"2 group(s) of about 32 MiB, {e.KeysApplied} of {Events * 3} key(s)");
            e.Message.ShouldContain("running the same import again is safe");
            e.Message.ShouldNotContain("RedisConnectionException"); // the client's dump is the inner exception's
            e.InnerException.ShouldBeAssignableTo<RedisException>();

            var expected = Expected(viaProxy).ToDictionary(x => x.Key, x => x.Ids);
            var partial = await Contents(admin.GetDatabase(), admin.GetServers()[0]);
            partial.Count.ShouldBe(e.KeysApplied); // the cut came before the call: that group did not run

            await using var direct = await RedisStore.ConnectAsync($"127.0.0.1:{port},syncTimeout=30000,asyncTimeout=30000");
            await Import(direct);
            var full = await Contents(admin.GetDatabase(), admin.GetServers()[0]);
            full.Keys.Order(StringComparer.Ordinal).ShouldBe(expected.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, ids) in full) ids.ShouldBe(expected[key], key);
        }
        finally
        {
            server.Kill();
        }
    }
}
