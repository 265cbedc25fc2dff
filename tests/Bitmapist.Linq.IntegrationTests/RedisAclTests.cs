using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// An ACL user restricted to a key pattern: the store still detects Redis (not bitmapist-server, whose lack of BITPOS
/// the refused probe looked like), works inside its pattern, and outside it reports NOPERM as a permission problem
/// naming the command and key - not "check that the key is a bitmap", not an EXECABORT that hides the cause.
/// On a private redis-server.
/// </summary>
public sealed class RedisAclTests : IDisposable
{
    private readonly System.Diagnostics.Process _server;
    private readonly int _port;

    public RedisAclTests()
    {
        _server = RedisServer.StartPrivate(out _port);
        using var admin = ConnectionMultiplexer.Connect($"127.0.0.1:{_port},allowAdmin=true");
        admin.GetDatabase().Execute("ACL", "SETUSER", "scoped", "on", ">pw", "~allowed:*", "+@all");
        admin.GetDatabase().Execute("ACL", "SETUSER", "keeper", "on", ">pw", "~allowed:*", "+@all", "-unlink");
    }

    public void Dispose()
    {
        _server.Kill();
        _server.WaitForExit();
        _server.Dispose();
    }

    private Task<RedisStore> Connect(string prefix) =>
        RedisStore.ConnectAsync($"127.0.0.1:{_port},user=scoped,password=pw", new StoreOptions().WithPrefix(prefix));

    [SkippableFact]
    public async Task A_user_restricted_to_a_key_pattern_is_detected_as_redis_and_works_inside_it()
    {
        await using var store = await Connect("allowed:");
        store.Profile.ShouldBe(CapabilityProfile.Redis7);
        await store.CreateBatch().Mark("a", 1).Mark("b", 2).ExecuteAsync();
        (await (store.Month("a") | store.Month("b")).ToListAsync()).ShouldBe([1L, 2L]);
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableFact]
    public async Task Outside_its_pattern_noperm_is_a_permission_problem_naming_the_command_and_key()
    {
        await using var store = await Connect("other:");
        store.Profile.ShouldBe(CapabilityProfile.Redis7);

        var mark = await Should.ThrowAsync<BitmapistStoreException>(() => store.MarkAsync("a", 1));
        mark.Message.ShouldContain("no permission");
        mark.Message.ShouldContain("NOPERM");
        mark.Message.ShouldContain("Nothing of it was written");

        var month = store.Keys.Key("a", Model.Period.Of(Model.PeriodUnit.Month, store.Now));
        var single = await Should.ThrowAsync<BitmapistStoreException>(() => store.Month("a").CountAsync());
        single.Message.ShouldContain($"no permission for BITCOUNT {month}");
        single.Message.ShouldContain("NOPERM");
        single.Message.ShouldNotContain("is a bitmap");

        var compound = await Should.ThrowAsync<BitmapistStoreException>(() => (store.Month("a") | store.Month("b")).CountAsync());
        compound.Message.ShouldContain("no permission");
        compound.Message.ShouldContain(month);
        compound.Message.ShouldContain("NOPERM");
        compound.Message.ShouldNotContain("EXECABORT");
    }

    [SkippableFact]
    public async Task A_refused_deletion_says_how_much_was_deleted_and_that_running_it_again_finishes_it()
    {
        await using var store = await Connect("allowed:");
        await store.CreateBatch().Mark("a", 1).Mark("b", 2).ExecuteAsync();
        await using var keeper = await RedisStore.ConnectAsync($"127.0.0.1:{_port},user=keeper,password=pw", new StoreOptions().WithPrefix("allowed:"));
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => keeper.DeleteEventsAsync());
        e.Message.ShouldStartWith("Deleting keys failed after 0 of 6 were deleted (one UNLINK per 500 keys): the Redis user has no permission for UNLINK ");
        e.Message.ShouldContain("NOPERM");
        e.Message.ShouldEndWith("Running the deletion again finishes it.");
        (await store.DeleteEventsAsync()).ShouldBe(6);
    }
}
