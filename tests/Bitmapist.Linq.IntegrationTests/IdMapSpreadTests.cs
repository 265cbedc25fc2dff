using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// How new internal ids spread on the sharded layout (issue 16, item 2): 100,000 new external ids go to the 16 lanes by
/// a hash of the external id, each lane fills its own shards (l, l + 16, l + 32, ...) densely in order, so new users
/// land in 16 shards at once instead of all in the newest one; on a cluster the lanes' first shards (where the lanes'
/// keys live) spread over every primary. The inputs are fixed, so the hash, and every figure asserted, is the same
/// in every run: these are properties, not timings. The figures are printed for docs/ARCHITECTURE.md ("6c. Id maps").
/// </summary>
public class IdMapSpreadTests(ITestOutputHelper output)
{
    private const int NewIds = 100_000;
    private const int PerLane = NewIds / IdMap.ShardedLanes; // 6,250

    private static string[] ExternalIds() => [.. Enumerable.Range(0, NewIds).Select(i => $"user-{i}")];

    public static TheoryData<string, int> KindsAndWidths() => new()
    {
        { StoreKind.Embedded, 20 }, { StoreKind.Embedded, 8 },
        { StoreKind.Reference, 20 }, { StoreKind.Reference, 8 },
        { StoreKind.Redis, 20 }, { StoreKind.Redis, 8 },
    };

    [SkippableTheory]
    [MemberData(nameof(KindsAndWidths))]
    public async Task New_external_ids_spread_evenly_over_the_lanes_and_fill_each_lanes_shards_in_order(string kind, int shardBits)
    {
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions { Layout = KeyLayout.Sharded(shardBits), IdMap = "users" });
        var map = store.DefaultIdMap!;
        var externalIds = ExternalIds();
        try
        {
            var ids = await map.GetOrCreateAsync(externalIds);

            // Lanes: by the hash, each within 5% of an even share (6,250 +- 312: 4 standard deviations of a fair draw; these
            // ids give 6,003 to 6,351, a chi-square of 19 on 15 degrees of freedom, as uniform as a fair draw).
            var perLane = (await map.CountAsync()).AllocatedPerLane;
            perLane.Count.ShouldBe(IdMap.ShardedLanes);
            perLane.Sum().ShouldBe(NewIds);
            foreach (var (count, lane) in perLane.Select((c, l) => (c, l)))
                count.ShouldBeInRange((long)(PerLane * 0.95), (long)(PerLane * 1.05), $"ids of lane {lane}: {string.Join(", ", perLane)}");

            // Shards: each id lies in a shard of its external id's lane, and each lane's ids are its counter's first
            // values, so its shards fill one after another, every one full but the last.
            var width = 1L << shardBits;
            var byLane = new Dictionary<IdMapLane, List<uint>>();
            for (var i = 0; i < ids.Length; i++)
            {
                var lane = map.LaneOf(externalIds[i]);
                if (!byLane.TryGetValue(lane, out var list)) byLane[lane] = list = [];
                list.Add(ids[i]);
            }
            foreach (var (lane, laneIds) in byLane)
            {
                laneIds.Order().Select(id => (long)id).ShouldBe(Enumerable.Range(0, laneIds.Count).Select(c => lane.IdAt(c)),
                    $"lane {lane.FirstShard} hands out its counter's ids in order");
                laneIds.ShouldAllBe(id => (id >> shardBits) % IdMap.ShardedLanes == lane.FirstShard);
            }
            var perShard = ids.GroupBy(id => id >> shardBits).ToDictionary(g => g.Key, g => g.Count());
            var expectedShards = perLane.Sum(n => (n + width - 1) / width);
            perShard.Count.ShouldBe((int)expectedShards, "shards holding new ids: each lane's full shards and its last");
            perShard.Values.Count(n => n < width).ShouldBe(perLane.Count(n => n % width != 0), "partly filled shards: one per lane at most");

            // The newest 10% of users: in how many shards they landed (one counter for all would put them in one or two).
            var newest = ids.Skip(NewIds - NewIds / 10).Select(id => id >> shardBits).Distinct().Count();
            newest.ShouldBeGreaterThanOrEqualTo(IdMap.ShardedLanes, "the newest users land in every lane's current shard");

            output.WriteLine($"{kind}, k={shardBits}: {NewIds:N0} new ids; per lane min {perLane.Min():N0} max {perLane.Max():N0} mean {perLane.Average():N0}; " +
                $"{perShard.Count} shards hold ids, per shard min {perShard.Values.Min():N0} max {perShard.Values.Max():N0} mean {perShard.Values.Average():N1}; " +
                $"the newest {NewIds / 10:N0} users are in {newest} shards");
        }
        finally
        {
            if (kind == StoreKind.Redis) await IdMapKeys.DeleteAsync(RedisServer.Endpoint, store, "users"); // about 10 MB
        }
    }

    /// <summary>
    /// On a 3-primary cluster the 16 lanes' keys (in each lane's first shard's slot, shards 0 to 15 aiming at the slots
    /// 0, 8192, 4096, 12288, ...) land on every primary: no node holds most of the map or takes most new users.
    /// </summary>
    [SkippableFact]
    public async Task On_a_cluster_the_lanes_and_their_new_ids_spread_over_every_primary()
    {
        var seeds = RedisClusterServer.Seeds;
        await using var store = await StoreKind.CreateAsync(StoreKind.RedisCluster, new StoreOptions { IdMap = "users" });
        store.Options.Layout.ShardBits.ShouldNotBeNull();
        var map = store.DefaultIdMap!;
        await using var client = await ConnectionMultiplexer.ConnectAsync(seeds);
        try
        {
            await map.GetOrCreateAsync(ExternalIds());
            var shards = new ShardMap(store.Keys.Prefix, store.Options.Layout.ShardBits!.Value);
            var db = client.GetDatabase();
            var byNode = new Dictionary<string, (int Lanes, long Ids, List<int> Slots)>();
            foreach (var lane in map.Lanes)
            {
                var key = shards.PhysicalKey(lane.FirstShard, lane.ForwardKey);
                var node = (await db.IdentifyEndpointAsync(key))!.ToString()!;
                var held = await db.HashLengthAsync(key); // asked of the cluster: the key is where its slot's node is
                var (lanes, ids, slots) = byNode.GetValueOrDefault(node, (0, 0, []));
                slots.Add(client.HashSlot(key));
                byNode[node] = (lanes + 1, ids + held, slots);
            }
            var primaries = client.GetServers().Count(s => s.IsConnected && !s.IsReplica);
            output.WriteLine($"cluster of {primaries} primaries, {NewIds:N0} new ids: " + string.Join("; ", byNode.OrderBy(n => n.Key).Select(n =>
                $"{n.Key}: {n.Value.Lanes} lanes (slots {string.Join(", ", n.Value.Slots.Order())}), {n.Value.Ids:N0} ids")));
            byNode.Count.ShouldBe(primaries, "every primary holds lanes");
            byNode.Values.Sum(n => n.Ids).ShouldBe(NewIds);
            foreach (var (node, (lanes, ids, _)) in byNode)
            {
                lanes.ShouldBeGreaterThanOrEqualTo(IdMap.ShardedLanes / primaries - 1, $"lanes on {node}");
                ids.ShouldBeGreaterThan(NewIds / primaries * 3 / 4, $"ids mapped on {node}");
            }
        }
        finally
        {
            await IdMapKeys.DeleteAsync(seeds, store, "users");
            await store.DeleteEventsAsync();
        }
    }
}
