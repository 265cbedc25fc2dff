using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Reference;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// The back ends every behaviour and oracle test runs on: the embedded store, real Redis with its detected
/// profile, real Redis restricted to the bitmapist-server profile (AND/OR/XOR and GET only), and the real
/// bitmapist-server reached by a plain address, and the reference back end (<see cref="ReferenceBackend"/>: HashSets,
/// written outside the library against its public API only, through <c>new BitmapStore(backend)</c>). Each store
/// gets a fresh key prefix so tests sharing one server never see each other's keys.
/// </summary>
public static class StoreKind
{
    public const string Embedded = "embedded";
    public const string Redis = "redis";
    public const string RedisAsBitmapistServer = "redis-as-bitmapist-server";
    public const string BitmapistServer = "bitmapist-server";
    public const string Reference = "reference";

    /// <summary>A single Redis with the sharded layout, shards of 2^12 ids so that the tests' ids (mostly below 2^17, some up to 2^20 and 2^32) span dozens to hundreds of shards.</summary>
    public const string RedisSharded = "redis-sharded";

    /// <summary>A local 3-primary Redis Cluster (BITMAPIST_REDIS_CLUSTER, started by .ci/redis-cluster), with the sharded layout.</summary>
    public const string RedisCluster = "redis-cluster";

    /// <summary>The shard width of the sharded store kinds: small, so tests' ids span many shards.</summary>
    public const int TestShardBits = 12;

    public static TheoryData<string> All() => [Embedded, Redis, RedisAsBitmapistServer, BitmapistServer, Reference, RedisSharded, RedisCluster];

    /// <summary>The kinds that are a server reached over the network (the lifecycle suite's).</summary>
    public static TheoryData<string> Servers() => [Redis, BitmapistServer];

    // Generous timeouts: a 512 MiB bitmap (id 2^32-1) on a loaded 2-core machine takes seconds to allocate.
    private static string Configuration => RedisServer.Endpoint + ",syncTimeout=30000,asyncTimeout=30000";

    /// <summary>A plain address, as a user would give it: the store must detect the server by itself.</summary>
    private static async Task<BitmapStore> ConnectToBitmapistServer(StoreOptions options)
    {
        var store = await RedisStore.ConnectAsync(BitmapistServerPeer.Endpoint + ",syncTimeout=30000,asyncTimeout=30000", options);
        if (store.Profile != CapabilityProfile.BitmapistServer)
        {
            await store.DisposeAsync();
            throw new InvalidOperationException($"bitmapist-server at {BitmapistServerPeer.Endpoint} was detected as {store.Profile}");
        }
        return store;
    }

    public static async Task<BitmapStore> CreateAsync(string kind, StoreOptions? options = null)
    {
        options ??= new StoreOptions();
        if (options.Keys == KeyScheme.Default) options = options with { Keys = new KeyScheme($"t{Guid.NewGuid():N}_") };
        return kind switch
        {
            Embedded => new EmbeddedStore(options),
            Redis => await RedisStore.ConnectAsync(Configuration, options),
            RedisAsBitmapistServer => await RedisStore.ConnectAsync(Configuration, options with { Profile = CapabilityProfile.BitmapistServer }),
            BitmapistServer => await ConnectToBitmapistServer(options),
            Reference => new BitmapStore(new ReferenceBackend(), options),
            RedisSharded => await RedisStore.ConnectAsync(Configuration, options with { Layout = KeyLayout.Sharded(TestShardBits) }),
            RedisCluster => await RedisStore.ConnectAsync(RedisClusterServer.Seeds + ",syncTimeout=30000,asyncTimeout=30000",
                options with { Layout = KeyLayout.Sharded(TestShardBits) }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
    }
}
