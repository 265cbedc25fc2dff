using Bitmapist.Linq.Backends;
using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using Shouldly;
using Xunit;

namespace Bitmapist.Linq.Tests.IdMapping;

/// <summary>How a lane's counter becomes internal ids, and which lane an external id or an internal id belongs to.</summary>
public class IdMapLaneTests
{
    private static IdMapLane Lane(uint first, uint stride, int bits) => new("f", "r", "n", "e", first, stride, bits);

    [Fact]
    public void On_bitmapist_layout_ids_are_the_counter_itself_up_to_the_last_bit_number()
    {
        var lane = Lane(0, 1, 32);
        lane.IdAt(0).ShouldBe(0);
        lane.IdAt(41).ShouldBe(41);
        lane.IdAt(uint.MaxValue).ShouldBe(uint.MaxValue);
        lane.IdAt((long)uint.MaxValue + 1).ShouldBe(-1);
        lane.IdAt(-1).ShouldBe(-1);
    }

    [Fact]
    public void A_sharded_lane_fills_its_first_shard_then_steps_over_the_other_lanes_shards()
    {
        var lane = Lane(3, 16, 20);
        lane.IdAt(0).ShouldBe(3L << 20);
        lane.IdAt((1 << 20) - 1).ShouldBe((4L << 20) - 1);
        lane.IdAt(1 << 20).ShouldBe(19L << 20); // shard 3 + 16
        lane.IdAt((2L << 20) + 5).ShouldBe((35L << 20) + 5);
        lane.Holds((uint)(35L << 20) + 5).ShouldBeTrue();
        lane.Holds((uint)(4L << 20)).ShouldBeFalse();
        lane.Holds(5).ShouldBeFalse(); // shard 0 is lane 0's
    }

    [Fact]
    public void A_sharded_lane_ends_at_the_last_shard_below_2_to_the_32()
    {
        var lane = Lane(15, 16, 20); // shards 15, 31, ..., 4095: 256 shards of 2^20 ids
        lane.IdAt((256L << 20) - 1).ShouldBe(uint.MaxValue);
        lane.IdAt(256L << 20).ShouldBe(-1);
    }

    [Fact]
    public void Every_id_a_lane_hands_out_is_its_own_and_no_other_lanes()
    {
        var lanes = Enumerable.Range(0, 16).Select(l => Lane((uint)l, 16, 8)).ToArray();
        var seen = new HashSet<long>();
        foreach (var lane in lanes)
            for (long c = 0; c < 3000; c += 7)
            {
                var id = lane.IdAt(c);
                seen.Add(id).ShouldBeTrue($"id {id} handed out twice");
                lanes.Count(l => l.Holds((uint)id)).ShouldBe(1);
                lane.Holds((uint)id).ShouldBeTrue();
            }
    }

    [Fact]
    public void An_external_ids_lane_is_a_stable_hash_and_spreads_over_every_lane()
    {
        using var store = new EmbeddedStore(new StoreOptions { Layout = KeyLayout.Sharded(20) });
        var map = store.IdMap("users");
        map.Lanes.Count.ShouldBe(IdMap.ShardedLanes);
        // The hash is part of the stored format: an external id must find its lane in every process and version.
        map.LaneOf("alice").FirstShard.ShouldBe(map.LaneOf("alice").FirstShard);
        var perLane = Enumerable.Range(0, 16_000).GroupBy(i => map.LaneOf($"user-{i}").FirstShard).ToDictionary(g => g.Key, g => g.Count());
        perLane.Count.ShouldBe(16);
        perLane.Values.Min().ShouldBeGreaterThan(800);
        perLane.Values.Max().ShouldBeLessThan(1200);
    }

    [Fact]
    public void The_lane_hash_is_pinned_so_stored_maps_stay_readable()
    {
        using var store = new EmbeddedStore(new StoreOptions { Layout = KeyLayout.Sharded(20) });
        var map = store.IdMap("users");
        // XxHash64 of the UTF-8 bytes, modulo 16: changing it would split every stored map.
        string[] ids = ["alice", "bob", "7f3a9c2e-1b4d-4e8f-9a6b-0c1d2e3f4a5b", "élodie", "42"];
        var lanes = ids.Select(i => map.LaneOf(i).FirstShard).ToArray();
        lanes.ShouldBe(ids.Select(i => (uint)(System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(i)) % 16)).ToArray());
    }
}
