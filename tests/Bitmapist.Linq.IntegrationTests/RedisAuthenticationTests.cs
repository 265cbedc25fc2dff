using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// A refused login says "authentication failed" and which case it is (no password given; a wrong password or an
/// unknown user, which Redis does not tell apart), never the password; on a private redis-server with
/// <c>requirepass</c> and an ACL user.
/// </summary>
public sealed class RedisAuthenticationTests : IDisposable
{
    private readonly System.Diagnostics.Process _server;
    private readonly int _port;

    public RedisAuthenticationTests()
    {
        // Started open (its start-up check pings without a password), then closed: requirepass for the default user.
        _server = RedisServer.StartPrivate(out _port);
        using var admin = ConnectionMultiplexer.Connect($"127.0.0.1:{_port},allowAdmin=true");
        admin.GetDatabase().Execute("ACL", "SETUSER", "analyst", "on", ">s3cret-analyst", "~*", "+@all");
        admin.GetDatabase().Execute("ACL", "SETUSER", "nobody-may", "on", ">s3cret-nobody", "~*", "-@all");
        admin.GetDatabase().Execute("CONFIG", "SET", "requirepass", "s3cret-default");
    }

    public void Dispose()
    {
        _server.Kill();
        _server.WaitForExit();
        _server.Dispose();
    }

    private async Task<BitmapistStoreException> Refused(string credentials) =>
        await Should.ThrowAsync<BitmapistStoreException>(() => RedisStore.ConnectAsync($"127.0.0.1:{_port},connectTimeout=5000{credentials}"));

    [SkippableFact]
    public async Task No_password_says_authentication_failed_because_none_was_given()
    {
        var e = await Refused("");
        e.Message.ShouldStartWith($"Authentication failed at Redis 127.0.0.1:{_port}: no password was given");
        e.Message.ShouldContain("NOAUTH");
    }

    [SkippableTheory]
    [InlineData(",password=wrong-s3cret")]
    [InlineData(",user=analyst,password=wrong-s3cret")]
    [InlineData(",user=nobody,password=wrong-s3cret")]
    public async Task A_wrong_password_or_unknown_user_says_so_and_never_prints_the_password(string credentials)
    {
        var e = await Refused(credentials);
        e.Message.ShouldStartWith($"Authentication failed at Redis 127.0.0.1:{_port}: wrong password or unknown user");
        e.Message.ShouldNotContain("s3cret");
        e.ToString().ShouldNotContain("wrong-s3cret");
    }

    [SkippableFact]
    public async Task A_user_without_rights_is_told_it_lacks_permission_not_that_the_server_is_unreachable()
    {
        var e = await Refused(",user=nobody-may,password=s3cret-nobody");
        e.Message.ShouldStartWith($"The Redis user 'nobody-may' at 127.0.0.1:{_port} logged in but has no permission");
        e.Message.ShouldContain("NOPERM");
        e.Message.ShouldNotContain("s3cret");
    }

    [SkippableFact]
    public async Task The_right_credentials_connect()
    {
        await using var store = await RedisStore.ConnectAsync($"127.0.0.1:{_port},user=analyst,password=s3cret-analyst");
        await store.MarkAsync("a", 1);
        (await store.Month("a").CountAsync()).ShouldBe(1);
    }
}

/// <summary>
/// Redis' default setup, where the default user needs no password: a refused login of a named ACL user must not
/// carry on as <c>default</c> (StackExchange.Redis keeps the connection after the WRONGPASS), which would write with
/// the default user's rights; on a private redis-server without <c>requirepass</c>.
/// </summary>
public sealed class RedisAuthenticationWithoutRequirepassTests : IDisposable
{
    private readonly System.Diagnostics.Process _server;
    private readonly int _port;

    public RedisAuthenticationWithoutRequirepassTests()
    {
        _server = RedisServer.StartPrivate(out _port);
        using var admin = ConnectionMultiplexer.Connect($"127.0.0.1:{_port},allowAdmin=true");
        admin.GetDatabase().Execute("ACL", "SETUSER", "narrow", "on", ">s3cret-narrow", "~t_*", "+@all");
        admin.GetDatabase().Execute("ACL", "SETUSER", "keys-only", "on", ">s3cret-keys", "~t_*", "+@all", "-acl");
    }

    public void Dispose()
    {
        _server.Kill();
        _server.WaitForExit();
        _server.Dispose();
    }

    [SkippableTheory]
    [InlineData("narrow")]
    [InlineData("nobody")]
    public async Task A_wrong_password_of_a_named_user_fails_instead_of_connecting_as_default(string user)
    {
        var e = await Should.ThrowAsync<BitmapistStoreException>(() =>
            RedisStore.ConnectAsync($"127.0.0.1:{_port},connectTimeout=5000,user={user},password=wrong-s3cret"));
        e.Message.ShouldStartWith($"Authentication failed at Redis 127.0.0.1:{_port}: wrong password or unknown user '{user}'");
        e.Message.ShouldContain("WRONGPASS");
        e.ToString().ShouldNotContain("s3cret");
    }

    [SkippableTheory]
    [InlineData("narrow", "s3cret-narrow")]
    [InlineData("keys-only", "s3cret-keys")] // ACL WHOAMI denied (NOPERM): a restricted user, accepted
    public async Task The_right_password_of_a_named_user_connects(string user, string password)
    {
        await using var store = await RedisStore.ConnectAsync($"127.0.0.1:{_port},user={user},password={password}",
            new StoreOptions { Keys = new Bitmapist.Linq.Model.KeyScheme("t_") });
        await store.MarkAsync("a", 1);
        (await store.Month("a").CountAsync()).ShouldBe(1);
    }
}
