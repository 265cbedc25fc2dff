using System.Text.Json;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>--id-map NAME</c>: mark and import take external ids (any text), mapped through the store's id map; on the
/// embedded store here, on Redis and bitmapist-server when the CI names them.
/// </summary>
public sealed class IdMapCommandTests : IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();

    public void Dispose() => _dir.Dispose();

    /// <summary>The store file opened read-only with the library, its id map named <c>users</c>.</summary>
    private static EmbeddedStore OpenMapped(string path) => EmbeddedStore.OpenReadOnly(path, new StoreOptions { IdMap = "users" });

    private static long[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt64())];

    [Fact]
    public async Task Mark_maps_external_ids_numbers_included_and_gives_each_one_id_for_good()
    {
        var file = _dir.File("m.bms");
        string[] Args(params string[] args) => [.. args, "--id-map", "users", "--data", file, "--now", CliHarness.Now, "--format", "json"];
        var first = (await CliHarness.Run(Args("mark", "active", "alice", "bob@example.com", "7", "alice"))).Json();
        QueryCommandTests.Strings(first.GetProperty("ids")).ShouldBe(["alice", "bob@example.com", "7"]); // repeats marked once
        first.GetProperty("idMap").GetString().ShouldBe("users");
        Numbers(first.GetProperty("internalIds")).ShouldBe([0, 1, 2]); // dense, from 0: "7" is an external id, not bit 7

        var second = (await CliHarness.Run(Args("mark", "active", "bob@example.com", "carol", "--at", "2026-11-27T10:00:00"))).Json();
        Numbers(second.GetProperty("internalIds")).ShouldBe([1, 3]); // bob keeps his id; carol gets the next one

        // The bits are the internal ids: read without the map, by number.
        (await CliHarness.Run("ids", "active", "--period", "month", "--data", file, "--now", CliHarness.Now, "--format", "json"))
            .Json().GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([0, 1, 2, 3]);
        using var store = OpenMapped(file);
        (await store.IdMap("users").FindAsync(["alice", "bob@example.com", "7", "carol", "dave"])).ShouldBe([0u, 1u, 2u, 3u, null]);
        (await store.Day("active", 2026, 11, 27).ToListAsync()).ShouldBe([1, 3]);
    }

    [Fact]
    public async Task Mark_unique_and_unique_only_by_external_id()
    {
        var file = _dir.File("u.bms");
        string[] Args(params string[] args) => [.. args, "--id-map", "users", "--data", file, "--now", CliHarness.Now, "--format", "json"];
        (await CliHarness.Run(Args("mark", "premium", "alice", "--unique", "--at", "2026-11-27T09:00:00"))).ExitCode.ShouldBe(0);
        var only = (await CliHarness.Run(Args("mark", "premium", "bob", "--unique-only"))).Json();
        only.GetProperty("at").ValueKind.ShouldBe(JsonValueKind.Null);
        Numbers(only.GetProperty("internalIds")).ShouldBe([1]);
        using var store = OpenMapped(file);
        (await store.Unique("premium").ToListAsync()).ShouldBe([0, 1]);
        (await store.Month("premium", 2026, 11).ToListAsync()).ShouldBe([0]); // the flag alone for bob
    }

    [Fact]
    public async Task Import_maps_the_id_column_and_a_rerun_gives_the_same_ids_and_no_new_ones()
    {
        var csv = _dir.File("people.csv");
        await File.WriteAllTextAsync(csv, string.Join('\n',
            "user,event,time", // a header: its third field is no timestamp (any first field is an external id)
            "alice,active,2026-11-28T10:00:00",
            "\"doe, jane\",active,2026-11-28T11:00:00", // a quoted id with a comma
            "42,active,2026-11-27", // a number is an external id too: its text
            "3f2b1c9e-5d4a-4e8f-9b7a-2c1d0e9f8a7b,signup,1795860000", // Unix seconds: 2026-11-28T10:00:00Z
            "alice,signup,2026-11-28",
            ",active,2026-11-28", // no id: skipped
            "\"doe, jane\",signup,2026-11-28T12:00:00") + "\n");
        var file = _dir.File("i.bms");
        string[] Args(params string[] args) => [.. args, "--id-map", "users", "--data", file, "--now", CliHarness.Now, "--format", "json"];
        var run = await CliHarness.Run(Args("import", csv));
        run.ExitCode.ShouldBe(Cli.Skipped, run.Err);
        run.Err.ShouldContain("took the first line 'user,event,time' as a header and skipped it: its third field 'time' is not a timestamp.");
        run.Err.ShouldContain("line 7 skipped: the user id is empty.");
        using (var doc = JsonDocument.Parse(run.Out))
        {
            doc.RootElement.GetProperty("imported").GetInt64().ShouldBe(6);
            doc.RootElement.GetProperty("idMap").GetString().ShouldBe("users");
            doc.RootElement.GetProperty("newIds").GetInt64().ShouldBe(4);
        }
        string[] people = ["alice", "doe, jane", "42", "3f2b1c9e-5d4a-4e8f-9b7a-2c1d0e9f8a7b"];
        uint?[] ids;
        using (var store = OpenMapped(file))
        {
            ids = await store.IdMap("users").FindAsync(people);
            ids.ShouldAllBe(id => id != null);
            ids.Distinct().Count().ShouldBe(4);
            (await store.Month("active", 2026, 11).ToListAsync()).ShouldBe(new long[] { ids[0]!.Value, ids[1]!.Value, ids[2]!.Value }.Order());
            (await store.Day("signup", 2026, 11, 28).ToListAsync()).ShouldBe(new long[] { ids[0]!.Value, ids[1]!.Value, ids[3]!.Value }.Order());
        }

        // Again: every id is mapped already; the same internal ids, nothing new, no record counted twice.
        var again = await CliHarness.Run(Args("import", csv));
        again.ExitCode.ShouldBe(Cli.Skipped, again.Err);
        using (var doc = JsonDocument.Parse(again.Out)) doc.RootElement.GetProperty("newIds").GetInt64().ShouldBe(0);
        using (var store = OpenMapped(file))
        {
            (await store.IdMap("users").FindAsync(people)).ShouldBe(ids);
            (await store.IdMap("users").CountAsync()).Allocated.ShouldBe(4);
            (await store.Month("active", 2026, 11).CountAsync()).ShouldBe(3);
        }
        var table = await CliHarness.Run("import", csv, "--id-map", "users", "--data", file);
        table.Out.ShouldBe($"imported 6 records (2 events) into file '{file}'; 0 new ids in the id map 'users'; 1 bad line skipped\n");
    }

    [Fact]
    public async Task Mark_says_which_external_ids_it_marked_in_each_format()
    {
        var file = _dir.File("t.bms");
        var table = await CliHarness.Run("mark", "signup", "alice", "--id-map", "users", "--data", file, "--at", "2026-11-28T10:00:00");
        table.ExitCode.ShouldBe(0, table.Err);
        table.Out.ShouldStartWith($"marked 'signup' at 2026-11-28T10:00:00 for user 'alice' in file '{file}' (id map 'users'): trackist_signup_2026-11,");
        var csv = await CliHarness.Run("mark", "signup", "bob", "x,y", "--id-map", "users", "--data", file, "--at", "2026-11-28T10:00:00", "--format", "csv");
        csv.ExitCode.ShouldBe(0, csv.Err);
        csv.Out.ShouldContain("signup,bob,trackist_signup_2026-11");
        csv.Out.ShouldContain("signup,\"x,y\",trackist_signup_2026-11"); // quoted as CSV
    }

    [Fact]
    public async Task Bad_names_and_ids_are_refused_with_the_librarys_message_before_anything_is_written()
    {
        var file = _dir.File("bad.bms");
        (await CliHarness.Run("mark", "active", "alice", "--id-map", "my users", "--data", file))
            .ShouldFailWith(Cli.Usage, "--id-map: 'my users' cannot name an id map: use 1 to 64 letters, digits, '_', '-' or '.', e.g. 'users'.");
        (await CliHarness.Run("mark", "active", "alice", "", "--id-map", "users", "--data", file))
            .ShouldFailWith(Cli.Usage, "An external id cannot be empty.");
        (await CliHarness.Run("mark", "active", new string('x', 1025), "--id-map", "users", "--data", file))
            .ShouldFailWith(Cli.Usage, "is 1025 bytes of UTF-8; the most is 1024. Map a hash of it instead.");
        File.Exists(file).ShouldBeFalse();
        // Without --id-map an id is a number, as before.
        (await CliHarness.Run("mark", "active", "alice", "--data", file)).ShouldFailWith(Cli.Usage, "'alice' is not a user id");
    }

    [Fact]
    public async Task Import_by_external_id_skips_ids_an_id_map_cannot_hold()
    {
        var csv = _dir.File("odd.csv");
        // 70 KB of good records first: a byte that is not UTF-8 past the 64 KiB checked up front reads as U+FFFD, and an id
        // with it would map two different ids as one.
        var good = string.Concat(Enumerable.Range(0, 3000).Select(i => $"user-{i},active,2026-11-28\n"));
        await File.WriteAllBytesAsync(csv, [
            .. System.Text.Encoding.UTF8.GetBytes(good),
            .. System.Text.Encoding.UTF8.GetBytes(new string('x', 1025) + ",active,2026-11-28\n"),
            .. "caf"u8, 0xE9, .. ",active,2026-11-28\n"u8,
        ]);
        var file = _dir.File("o.bms");
        var run = await CliHarness.Run("import", csv, "--id-map", "users", "--data", file);
        run.ExitCode.ShouldBe(Cli.Skipped, run.Err);
        run.Err.ShouldContain("line 3001 skipped: the user id 'xxxxxxxx");
        run.Err.ShouldContain("is 1,025 bytes of UTF-8; an id map takes at most 1,024. Map a hash of it instead.");
        run.Err.ShouldContain("line 3002 skipped: the user id holds bytes that are not UTF-8: save the file as UTF-8.");
        run.Out.ShouldContain("imported 3000 records (1 event)");
    }

    [SkippableFact]
    public async Task Mark_and_import_by_external_id_on_redis()
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");
        var prefix = $"clidmap_{Guid.NewGuid():N}_";
        string[] Args(params string[] args) => [.. args, "--id-map", "users", "--redis", redis!, "--prefix", prefix, "--now", CliHarness.Now, "--format", "json"];
        var csv = _dir.File("r.csv");
        await File.WriteAllLinesAsync(csv, ["carol,active,2026-11-28T01:00:00", "\"x, y\",active,2026-11-28", "alice,active,2026-11-27"]);
        await using var store = await RedisStore.ConnectAsync(redis!, new StoreOptions { Keys = new Linq.Model.KeyScheme(prefix), IdMap = "users" });
        try
        {
            Numbers((await CliHarness.Run(Args("mark", "active", "alice", "bob", "--at", "2026-11-26T09:00:00"))).Json().GetProperty("internalIds")).ShouldBe([0, 1]);
            var first = await CliHarness.Run(Args("import", csv));
            first.ExitCode.ShouldBe(0, first.Err);
            using (var doc = JsonDocument.Parse(first.Out)) doc.RootElement.GetProperty("newIds").GetInt64().ShouldBe(2); // alice had one
            var again = await CliHarness.Run(Args("import", csv));
            using (var doc = JsonDocument.Parse(again.Out)) doc.RootElement.GetProperty("newIds").GetInt64().ShouldBe(0);
            (await store.IdMap("users").FindAsync(["alice", "bob", "carol", "x, y"])).ShouldBe([0u, 1u, 2u, 3u]);
            (await store.Month("active", 2026, 11).ToListAsync()).ShouldBe([0, 1, 2, 3]);
            (await store.Day("active", 2026, 11, 28).ToListAsync()).ShouldBe([2, 3]);
        }
        finally
        {
            await DeleteKeys(redis!, prefix);
        }
    }

    [SkippableFact]
    public async Task On_bitmapist_server_an_id_map_is_refused_in_one_line_as_a_store_error()
    {
        var server = Environment.GetEnvironmentVariable("BITMAPIST_SERVER");
        if (string.IsNullOrEmpty(server) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_BITMAPIST_SERVER") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_BITMAPIST_SERVER=1 but BITMAPIST_SERVER is not set.");
        Skip.If(string.IsNullOrEmpty(server), "BITMAPIST_SERVER is not set");
        var prefix = $"clidmap_{Guid.NewGuid():N}_";
        const string needs = "The id map 'users' needs a store that can hold it: Redis or the embedded store.";
        var mark = await CliHarness.Run("mark", "active", "alice", "--id-map", "users", "--redis", server!, "--prefix", prefix);
        mark.ShouldFailWith(Cli.Failed, needs);
        mark.Err.Trim().Split('\n').Length.ShouldBe(1);
        var csv = _dir.File("s.csv");
        await File.WriteAllLinesAsync(csv, ["alice,active,2026-11-28"]);
        var import = await CliHarness.Run("import", csv, "--id-map", "users", "--redis", server!, "--prefix", prefix);
        import.ShouldFailWith(Cli.Failed, needs);
        import.Err.Trim().Split('\n').Length.ShouldBe(1);
        // Nothing was marked: the map is asked for ids before any bit is written.
        (await CliHarness.Run("events", "--redis", server!, "--prefix", prefix, "--format", "json")).Json()
            .GetProperty("events").GetArrayLength().ShouldBe(0);
    }

    /// <summary>Deletes a test's keys (its own prefix) from a Redis.</summary>
    internal static async Task DeleteKeys(string redis, string prefix)
    {
        await using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis);
        var server = mux.GetServers()[0];
        var keys = server.Keys(pattern: prefix + "*").ToArray();
        if (keys.Length > 0) await mux.GetDatabase().KeyDeleteAsync(keys);
    }
}
