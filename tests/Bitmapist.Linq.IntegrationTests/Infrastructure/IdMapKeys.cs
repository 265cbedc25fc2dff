using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// Deletes a store's id map from Redis after a test: its lanes' keys are not events, so DeleteEventsAsync leaves them,
/// and the library has no call that drops a map. On the sharded layout each lane's keys are in its first shard.
/// </summary>
public static class IdMapKeys
{
    /// <summary>Deletes every lane key of <paramref name="store"/>'s id map <paramref name="name"/> on the Redis at <paramref name="configuration"/>.</summary>
    public static async Task DeleteAsync(string configuration, BitmapStore store, string name)
    {
        await using var client = await ConnectionMultiplexer.ConnectAsync(configuration);
        var db = client.GetDatabase();
        var shards = store.Options.Layout.ShardBits is { } bits ? new ShardMap(store.Keys.Prefix, bits) : null;
        foreach (var lane in store.IdMap(name).Lanes)
            foreach (var key in lane.Keys)
                await db.KeyDeleteAsync(shards is null ? key : shards.PhysicalKey(lane.FirstShard, key)); // one key a call: lanes are in different slots
    }
}
