using Bitmapist.Linq.Execution;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// The back ends every behaviour and oracle test runs on: the embedded store, real Redis with its detected
/// profile, and real Redis restricted to the bitmapist-server profile (AND/OR/XOR and GET only). Each store
/// gets a fresh key prefix so tests sharing one redis-server never see each other's keys.
/// </summary>
public static class StoreKind
{
    public const string Embedded = "embedded";
    public const string Redis = "redis";
    public const string RedisAsBitmapistServer = "redis-as-bitmapist-server";

    public static TheoryData<string> All() => [Embedded, Redis, RedisAsBitmapistServer];

    // Generous timeouts: a 512 MiB bitmap (id 2^32-1) on a loaded 2-core machine takes seconds to allocate.
    private static string Configuration => RedisServer.Endpoint + ",syncTimeout=30000,asyncTimeout=30000";

    public static async Task<BitmapStore> CreateAsync(string kind, StoreOptions? options = null)
    {
        options ??= new StoreOptions();
        if (options.Keys == KeyScheme.Default) options = options with { Keys = new KeyScheme($"t{Guid.NewGuid():N}_") };
        return kind switch
        {
            Embedded => new EmbeddedStore(options),
            Redis => await RedisStore.ConnectAsync(Configuration, options),
            RedisAsBitmapistServer => await RedisStore.ConnectAsync(Configuration, options with { Profile = CapabilityProfile.BitmapistServer }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }
}
