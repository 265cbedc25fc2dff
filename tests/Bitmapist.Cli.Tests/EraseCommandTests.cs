using System.Text.Json;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>bitmapist --id-map users erase</c>: the ids' bits leave every key, their mappings go, a report per id, exit status
/// 3 when some had none; <c>--resume</c> finishes what a crash left. On the embedded store and on Redis when the CI names one.
/// </summary>
public sealed class EraseCommandTests : IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();
    private readonly string _prefix = $"clierase_{Guid.NewGuid():N}_";
    private string? _redis;

    public void Dispose()
    {
        _dir.Dispose();
        if (_redis is not null) IdMapCommandTests.DeleteKeys(_redis, _prefix).GetAwaiter().GetResult();
    }

    /// <summary>The store options of a run: a file here, or a key prefix of this test's own on Redis.</summary>
    private string[] Store(string kind)
    {
        if (kind == "embedded") return ["--data", _dir.File("e.bms")];
        _redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(_redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(_redis), "BITMAPIST_REDIS is not set");
        return ["--redis", _redis!, "--prefix", _prefix];
    }

    private static Task<CliResult> Run(string[] store, params string[] args) =>
        CliHarness.Run([.. args, .. store, "--id-map", "users", "--now", CliHarness.Now, "--format", "json"]);

    private static long[] Ids(CliResult result) => [.. result.Json().GetProperty("ids").EnumerateArray().Select(e => e.GetInt64())];

    [SkippableTheory]
    [InlineData("embedded")]
    [InlineData("redis")]
    public async Task Erase_clears_every_bit_of_the_ids_says_which_had_none_and_never_reuses_their_ids(string kind)
    {
        var store = Store(kind);
        (await Run(store, "mark", "active", "alice", "bob", "carol", "--at", "2026-11-27T10:00:00")).ExitCode.ShouldBe(0);
        (await Run(store, "mark", "signup", "alice", "--unique", "--at", "2026-11-02T10:00:00")).ExitCode.ShouldBe(0);

        var erase = await Run(store, "erase", "alice", "dave", "alice");
        erase.ExitCode.ShouldBe(Cli.Skipped, erase.Err); // dave had no mapping
        using (var doc = JsonDocument.Parse(erase.Out))
        {
            var json = doc.RootElement;
            json.GetProperty("idMap").GetString().ShouldBe("users");
            json.GetProperty("keysScanned").GetInt64().ShouldBe(7); // active's and signup's 3 keys each, and the flag
            var ids = json.GetProperty("ids").EnumerateArray().ToList();
            ids.Count.ShouldBe(2); // alice once
            ids[0].GetProperty("id").GetString().ShouldBe("alice");
            ids[0].GetProperty("internalId").GetInt64().ShouldBe(0);
            ids[0].GetProperty("status").GetString().ShouldBe("erased");
            ids[0].GetProperty("bitsCleared").GetInt64().ShouldBe(7);
            ids[1].GetProperty("id").GetString().ShouldBe("dave");
            ids[1].GetProperty("internalId").ValueKind.ShouldBe(JsonValueKind.Null);
            ids[1].GetProperty("status").GetString().ShouldBe("no such id");
        }

        if (kind == "embedded")
        {
            // The erased id's text has left the disk too: the file was rewritten without it, and the journal that held
            // its mapping record emptied.
            var bytes = File.ReadAllBytes(store[1]).Concat(File.Exists(store[1] + ".journal") ? File.ReadAllBytes(store[1] + ".journal") : []).ToArray();
            bytes.AsSpan().IndexOf("alice"u8).ShouldBe(-1);
            bytes.AsSpan().IndexOf("carol"u8).ShouldBeGreaterThanOrEqualTo(0); // the others' mappings stay
        }

        // By number, without the map: alice's bit 0 is gone everywhere, the others' bits stay.
        string[] plain = [.. store, "--now", CliHarness.Now, "--format", "json"];
        Ids(await CliHarness.Run(["ids", "active", "--period", "month", .. plain])).ShouldBe([1, 2]);
        Ids(await CliHarness.Run(["ids", "signup", "--period", "month", .. plain])).ShouldBe([]);
        Ids(await CliHarness.Run(["ids", "signup", "--period", "unique", .. plain])).ShouldBe([]);

        // Erased for good: marking alice again gives her a new internal id, not her old one.
        var again = (await Run(store, "mark", "active", "alice", "bob")).Json();
        again.GetProperty("internalIds").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([3, 1]);
        var twice = await Run(store, "erase", "bob");
        twice.ExitCode.ShouldBe(0, twice.Err);
    }

    [SkippableTheory]
    [InlineData("embedded")]
    [InlineData("redis")]
    public async Task Ids_come_from_a_file_too_and_the_table_says_what_happened_to_each(string kind)
    {
        var store = Store(kind);
        (await Run(store, "mark", "active", "alice", "bob", "carol", "--at", "2026-11-27T10:00:00")).ExitCode.ShouldBe(0);
        var file = _dir.File("ids.txt");
        await File.WriteAllTextAsync(file, "  bob \n\ncarol\r\nerin\n");
        var run = await CliHarness.Run(["erase", "alice", "--from-file", file, .. store, "--id-map", "users"]);
        run.ExitCode.ShouldBe(Cli.Skipped, run.Err);
        var where = kind == "embedded" ? $"file '{store[1]}'" : $"Redis at '{store[1]}'";
        run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe([
            "erased 'alice' (internal id 0): 3 bits cleared",
            "erased 'bob' (internal id 1): 3 bits cleared",
            "erased 'carol' (internal id 2): 3 bits cleared",
            "no such id 'erin': it has no mapping in the id map 'users' (nothing to erase)",
            $"3 ids erased from the id map 'users' of {where}; 3 event keys scanned",
        ]);
    }

    [Fact]
    public async Task Erase_needs_an_id_map_and_ids_and_checks_every_id_before_erasing_any()
    {
        var data = _dir.File("x.bms");
        (await CliHarness.Run("mark", "active", "alice", "--id-map", "users", "--data", data)).ExitCode.ShouldBe(0);
        (await CliHarness.Run("erase", "alice", "--data", data)).ShouldFailWith(Cli.Usage, "erase needs the id map to erase from: give the global option --id-map NAME");
        (await CliHarness.Run("erase", "--id-map", "users", "--data", data)).ShouldFailWith(Cli.Usage, "give the external ids to erase");
        var file = _dir.File("bad.txt");
        await File.WriteAllTextAsync(file, "bob\n" + new string('x', 1100) + "\n");
        (await CliHarness.Run("erase", "alice", "--from-file", file, "--id-map", "users", "--data", data))
            .ShouldFailWith(Cli.Usage, $"line 2 of '{file}': The external id 'xxxx");
        (await CliHarness.Run("erase", "alice", "--from-file", _dir.File("none.txt"), "--id-map", "users", "--data", data))
            .ShouldFailWith(Cli.Usage, "No such file");
        (await CliHarness.Run("erase", "alice", "--id-map", "users", "--data", _dir.File("missing.bms")))
            .ShouldFailWith(Cli.Failed, "does not exist: there is nothing to erase.");
        File.Exists(_dir.File("missing.bms")).ShouldBeFalse();
        // alice is still there: nothing was erased by the refused commands.
        Ids(await CliHarness.Run("ids", "active", "--period", "month", "--data", data, "--now", CliHarness.Now, "--format", "json")).Length.ShouldBe(1);
    }

    [SkippableFact]
    public async Task Resume_finishes_an_erasure_a_crash_left_and_says_when_there_is_none()
    {
        var store = Store("redis");
        (await Run(store, "mark", "active", "alice", "bob", "--at", "2026-11-27T10:00:00")).ExitCode.ShouldBe(0);
        var none = await Run(store, "erase", "--resume");
        none.ExitCode.ShouldBe(0, none.Err);
        none.Err.ShouldBe("bitmapist: --resume: no erasure of the id map 'users' was in progress.\n");
        none.Json().GetProperty("ids").GetArrayLength().ShouldBe(0);

        // What the first step of an erasure does before the process dies: the mapping moves to the erasures in progress
        // (the keys and the step are the documented ones: IdMap's remarks, RedisBackend's BeginEraseScript).
        await using (var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(_redis!))
        {
            var db = mux.GetDatabase();
            var lane = $"{_prefix}bitop_idmap:users:0:";
            (await db.HashDeleteAsync(lane + "fwd", "alice")).ShouldBeTrue();
            await db.HashSetAsync(lane + "erasing", "alice", 0);
        }
        var resumed = await Run(store, "erase", "--resume", "bob");
        resumed.ExitCode.ShouldBe(0, resumed.Err);
        var ids = resumed.Json().GetProperty("ids").EnumerateArray().ToList();
        ids.Select(i => (i.GetProperty("id").GetString(), i.GetProperty("status").GetString(), i.GetProperty("bitsCleared").GetInt64()))
            .ShouldBe([("alice", "resumed", 3L), ("bob", "erased", 3L)]);
        Ids(await CliHarness.Run(["ids", "active", "--period", "month", .. store, "--now", CliHarness.Now, "--format", "json"])).ShouldBe([]);
        await using var check = await RedisStore.ConnectAsync(_redis!, new StoreOptions { Keys = new Linq.Model.KeyScheme(_prefix), IdMap = "users" });
        (await check.IdMap("users").CountAsync()).Mapped.ShouldBe(0);
    }

    [SkippableFact]
    public async Task On_bitmapist_server_erase_is_refused_in_one_line_as_a_store_error()
    {
        var server = Environment.GetEnvironmentVariable("BITMAPIST_SERVER");
        if (string.IsNullOrEmpty(server) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_BITMAPIST_SERVER") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_BITMAPIST_SERVER=1 but BITMAPIST_SERVER is not set.");
        Skip.If(string.IsNullOrEmpty(server), "BITMAPIST_SERVER is not set");
        var run = await CliHarness.Run("erase", "alice", "--id-map", "users", "--redis", server!, "--prefix", _prefix);
        run.ShouldFailWith(Cli.Failed, "The id map 'users' needs a store that can hold it: Redis or the embedded store.");
        run.Err.Trim().Split('\n').Length.ShouldBe(1);
    }
}
