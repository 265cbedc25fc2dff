using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// A mark batch on Redis is all or nothing, for real: a key of another type (a list where a bitmap belongs) stops the
/// batch before its first write, whether the batch runs as the checking script, as the checked MULTI/EXEC of a Redis
/// that refuses scripts (an ACL without EVAL), or with the bitmapist-server profile forced on Redis. The error names
/// the key and its type and says nothing was written; the server is then read directly to check it.
/// </summary>
public class RedisWriteAtomicityTests
{
    private static readonly DateTime At = new(2026, 3, 15, 10, 0, 0, DateTimeKind.Utc);

    /// <summary>How the store reaches Redis: with scripts, with the bitmapist-server profile, as a user without EVAL.</summary>
    public static TheoryData<string> Paths() => ["script", "bitmapist-server-profile", "acl-without-scripting"];

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task A_key_of_another_type_fails_the_whole_mark_batch_and_nothing_is_written(string path)
    {
        await using var setup = await Setup.Create(path);
        var store = setup.Store;
        var monthKey = store.Keys.Key("active", Period.Of(PeriodUnit.Month, At));
        await setup.Admin.ListLeftPushAsync(monthKey, "x");

        var e = await Should.ThrowAsync<BitmapistStoreException>(() =>
            store.CreateBatch().Mark("active", 5, At).Mark("active", 6, At).Mark("active", 7, At).Mark("other", 5, At).ExecuteAsync());

        // The day and week keys of "active" and every key of "other" are absent; the list is as it was.
        (await setup.Keys()).ShouldBe([monthKey]);
        (await setup.Admin.ListRangeAsync(monthKey)).Select(v => (string)v!).ShouldBe(["x"]);
        e.Message.ShouldContain($"key '{monthKey}' holds a list");
        e.Message.ShouldContain("Nothing of it was written");
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task Unmark_and_unique_flags_are_checked_the_same_way(string path)
    {
        await using var setup = await Setup.Create(path);
        var store = setup.Store;
        await store.CreateBatch().Mark("active", 5, At).MarkUnique("active", 5).ExecuteAsync();
        var before = await setup.Snapshot();
        var uniqueKey = store.Keys.Key("signup", Period.Unique);
        await setup.Admin.HashSetAsync(uniqueKey, "f", "v");

        var e = await Should.ThrowAsync<BitmapistStoreException>(() =>
            store.CreateBatch().Unmark("active", 5, At).UnmarkUnique("active", 5).MarkUnique("signup", 9).ExecuteAsync());
        (await setup.Snapshot()).Where(kv => kv.Key != uniqueKey).ShouldBe(before);
        e.Message.ShouldContain($"key '{uniqueKey}' holds a hash");

        // Once the foreign key is gone, the same batch applies whole.
        await setup.Admin.KeyDeleteAsync(uniqueKey);
        await store.CreateBatch().Unmark("active", 5, At).UnmarkUnique("active", 5).MarkUnique("signup", 9).ExecuteAsync();
        (await store.At("active", Period.Of(PeriodUnit.Month, At)).CountAsync()).ShouldBe(0);
        (await store.Unique("signup").ToListAsync()).ShouldBe([9L]);
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public async Task A_batch_without_foreign_keys_writes_every_key(string path)
    {
        await using var setup = await Setup.Create(path);
        var store = setup.Store;
        await store.CreateBatch().Mark("active", 5, At).Mark("active", 7, At).Mark("other", 5, At).ExecuteAsync();
        (await store.At("active", Period.Of(PeriodUnit.Week, At)).ToListAsync()).ShouldBe([5L, 7L]);
        (await store.At("other", Period.Of(PeriodUnit.Day, At)).ToListAsync()).ShouldBe([5L]);
        (await setup.Keys()).Count.ShouldBe(6); // month, week and day of two events
    }

    /// <summary>A store on one of the <see cref="Paths"/>, and an admin connection to read the server directly.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private System.Diagnostics.Process? _private;
        private ConnectionMultiplexer _admin = null!;

        public RedisStore Store { get; private set; } = null!;

        public IDatabase Admin => _admin.GetDatabase();

        public static async Task<Setup> Create(string path)
        {
            var setup = new Setup();
            var prefix = new KeyScheme($"t{Guid.NewGuid():N}_");
            var endpoint = RedisServer.Endpoint;
            if (path == "acl-without-scripting")
            {
                setup._private = RedisServer.StartPrivate(out var port);
                endpoint = $"127.0.0.1:{port}";
            }
            setup._admin = await ConnectionMultiplexer.ConnectAsync(endpoint + ",allowAdmin=true");
            var options = new StoreOptions { Keys = prefix };
            switch (path)
            {
                case "script":
                    setup.Store = await RedisStore.ConnectAsync(endpoint, options);
                    break;
                case "bitmapist-server-profile":
                    setup.Store = await RedisStore.ConnectAsync(endpoint, options with { Profile = CapabilityProfile.BitmapistServer });
                    break;
                default:
                    await setup.Admin.ExecuteAsync("ACL", "SETUSER", "marker", "on", ">secret", "~*", "+@all", "-@scripting");
                    setup.Store = await RedisStore.ConnectAsync($"{endpoint},user=marker,password=secret", options);
                    break;
            }
            return setup;
        }

        /// <summary>The store's keys on the server, sorted.</summary>
        public async Task<List<string>> Keys()
        {
            var server = _admin.GetServers()[0];
            var keys = new List<string>();
            await foreach (var k in server.KeysAsync(pattern: Store.Keys.Prefix + "*")) keys.Add(k!);
            return [.. keys.Order(StringComparer.Ordinal)];
        }

        /// <summary>Every key of the store with its raw value (bitmaps only).</summary>
        public async Task<List<KeyValuePair<string, string>>> Snapshot()
        {
            var result = new List<KeyValuePair<string, string>>();
            foreach (var k in await Keys())
                if (await Admin.KeyTypeAsync(k) == RedisType.String)
                    result.Add(new(k, Convert.ToHexString((byte[])(await Admin.StringGetAsync(k))!)));
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            await Store.DisposeAsync();
            var keys = await Keys();
            if (keys.Count > 0) await Admin.KeyDeleteAsync([.. keys.Select(k => (RedisKey)k)]);
            await _admin.DisposeAsync();
            if (_private is not null)
            {
                _private.Kill();
                await _private.WaitForExitAsync();
                _private.Dispose();
            }
        }
    }
}

/// <summary>
/// A bit offset Redis refuses (above 8 x proto-max-bulk-len) fails the mark batch before its first write, on every
/// path: the script checks every offset (GETBIT) before its first SETBIT, the MULTI/EXEC fallback checks them before
/// MULTI. Before, the script's earlier SETBITs stayed written while the message said nothing was. On a private
/// redis-server with proto-max-bulk-len 1mb (offsets up to 8 Mi bits).
/// </summary>
public sealed class RedisMarkOffsetTests : IAsyncLifetime
{
    private static readonly DateTime At = new(2026, 3, 15, 10, 0, 0, DateTimeKind.Utc);
    private System.Diagnostics.Process _server = null!;
    private string _endpoint = null!;
    private ConnectionMultiplexer _admin = null!;

    public async Task InitializeAsync()
    {
        _server = RedisServer.StartPrivate(out var port, "--proto-max-bulk-len", "1mb");
        _endpoint = $"127.0.0.1:{port}";
        _admin = await ConnectionMultiplexer.ConnectAsync(_endpoint + ",allowAdmin=true");
        await _admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "marker", "on", ">secret", "~*", "+@all", "-@scripting");
    }

    public async Task DisposeAsync()
    {
        await _admin.DisposeAsync();
        _server.Kill();
        await _server.WaitForExitAsync();
        _server.Dispose();
    }

    [SkippableTheory]
    [InlineData("script")]
    [InlineData("bitmapist-server-profile")]
    [InlineData("acl-without-scripting")]
    public async Task An_offset_Redis_refuses_fails_the_batch_before_any_write(string path)
    {
        var options = new StoreOptions { Keys = new KeyScheme("pb_") };
        await using var store = path switch
        {
            "script" => await RedisStore.ConnectAsync(_endpoint, options),
            "bitmapist-server-profile" => await RedisStore.ConnectAsync(_endpoint, options with { Profile = CapabilityProfile.BitmapistServer }),
            _ => await RedisStore.ConnectAsync($"{_endpoint},user=marker,password=secret", options),
        };

        var e = await Should.ThrowAsync<BitmapistStoreException>(() =>
            store.CreateBatch().Mark("pb", 1, At).Mark("pb", 4294967295, At).ExecuteAsync());

        var keys = new List<string>();
        await foreach (var k in _admin.GetServers()[0].KeysAsync(pattern: "*")) keys.Add(k!);
        keys.ShouldBeEmpty();
        e.Message.ShouldContain("bit offset 4294967295 of key 'pb_pb_");
        e.Message.ShouldContain("Nothing of it was written");
        e.Message.ShouldContain("proto-max-bulk-len");

        // Offsets within the limit are written as before.
        await store.CreateBatch().Mark("pb", 1, At).Mark("pb", 8_000_000, At).ExecuteAsync();
        (await store.At("pb", Period.Of(PeriodUnit.Day, At)).ToListAsync()).ShouldBe([1L, 8_000_000L]);
    }
}
