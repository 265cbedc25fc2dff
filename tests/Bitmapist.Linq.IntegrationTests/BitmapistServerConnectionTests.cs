using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>Connecting to the real bitmapist-server with the configurations a user may write.</summary>
public class BitmapistServerConnectionTests
{
    [SkippableTheory]
    [InlineData("")]
    [InlineData(",$ECHO=,$PING=,$TIME=,$UNLINK=")] // the workaround users wrote before a plain address worked
    [InlineData(",$ECHO=,$PING=,$TIME=,$UNLINK=,$SUBSCRIBE=,syncTimeout=5000")]
    public async Task An_address_with_or_without_the_workaround_connects_and_writes(string options)
    {
        var prefix = $"t{Guid.NewGuid():N}_";
        await using var store = await RedisStore.ConnectAsync(BitmapistServerPeer.Endpoint + options, new StoreOptions().WithPrefix(prefix));
        store.Profile.ShouldBe(CapabilityProfile.BitmapistServer);
        await store.MarkAsync("active", 7);
        (await store.Month("active").ToListAsync()).ShouldBe([7]);
        (await store.DeleteEventsAsync()).ShouldBe(3);
    }

    [SkippableFact]
    public async Task Another_database_is_refused_instead_of_writing_to_database_0()
    {
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => RedisStore.ConnectAsync(BitmapistServerPeer.Endpoint + ",defaultDatabase=1"));
        e.Message.ShouldContain("only database 0");
    }
}
