using System.Text;
using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.Model;
using CsCheck;

namespace Bitmapist.Linq.Tests.Backends.Sharded;

/// <summary>The sharded layout's key names and arithmetic: Redis Cluster's hashing, tags that spread, names that parse back.</summary>
public class ShardMapTests
{
    [Fact]
    public void Crc16_is_redis_clusters()
    {
        // The check value of CRC16-CCITT (XMODEM), which the Redis Cluster spec quotes for "123456789".
        Crc16.Compute(Encoding.ASCII.GetBytes("123456789")).ShouldBe((ushort)0x31C3);
        // Hash tags: only the text between the first { and the next } counts; an empty tag hashes the whole key.
        Crc16.KeySlot("{user1000}.following").ShouldBe(Crc16.KeySlot("user1000"));
        Crc16.KeySlot("foo{}{bar}").ShouldBe(Crc16.Slot(Encoding.ASCII.GetBytes("foo{}{bar}")));
        Crc16.KeySlot("foo{{bar}}zap").ShouldBe(Crc16.KeySlot("{bar"));
    }

    [Fact]
    public void Every_key_of_a_shard_is_in_the_shards_slot_whatever_the_event()
    {
        var map = new ShardMap("trackist_", 20);
        Gen.UInt[0, 4095].Select(Gen.String).Sample((shard, eventName) =>
        {
            var key = map.PhysicalKey(shard, "trackist_" + eventName + "_2026-11");
            Crc16.KeySlot(key).ShouldBe(ShardMap.TargetSlot(shard));
            Crc16.KeySlot(map.PhysicalKey(shard, "trackist_bitop_tmp:q:0")).ShouldBe(ShardMap.TargetSlot(shard));
        });
    }

    [Fact]
    public void Consecutive_shards_spread_evenly_over_the_nodes_of_a_cluster()
    {
        // The default slot ranges of a 3-primary cluster; plain shard numbers as tags would pile up on some nodes.
        int Node(int slot) => slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
        var perNode = Enumerable.Range(0, 16).GroupBy(s => Node(ShardMap.TargetSlot((uint)s))).Select(g => g.Count()).Order().ToArray();
        perNode.ShouldBe([5, 5, 6]);
        // 2^14 consecutive shards take every slot once: none shares a slot with another.
        Enumerable.Range(0, 1 << 14).Select(s => ShardMap.TargetSlot((uint)s)).Distinct().Count().ShouldBe(1 << 14);
    }

    [Fact]
    public void A_stored_name_parses_back_to_its_shard_and_logical_key()
    {
        Gen.Select(Gen.Int[8, 24], Gen.UInt, Gen.String[0, 20]).Sample((bits, id, eventName) =>
        {
            var map = new ShardMap("p:", bits);
            var shard = map.ShardOf(id);
            var logical = "p:" + eventName + "_u";
            map.TryParsePhysical(map.PhysicalKey(shard, logical), out var parsedShard, out var parsed).ShouldBeTrue();
            (parsedShard, parsed).ShouldBe((shard, logical));
            (map.BaseOf(shard) + map.OffsetOf(id)).ShouldBe(id);
        });
    }

    [Fact]
    public void Keys_that_are_not_of_the_layout_do_not_parse()
    {
        var map = new ShardMap("trackist_", 20);
        var good = map.PhysicalKey(3, "trackist_active_2026-11");
        map.TryParsePhysical(good, out _, out _).ShouldBeTrue();
        foreach (var key in new[]
        {
            "trackist_active_2026-11", // bitmapist's layout
            "other_" + good["trackist_".Length..], // another prefix
            good.Replace("}3:", "}4:", StringComparison.Ordinal), // shard 4 under shard 3's tag
            "trackist_{1}x:active", // no shard number
            "trackist_{" + ShardMap.Tag(5000) + "}5000:a", // shard 5000 is beyond 2^32 ids at k = 20
        })
            map.TryParsePhysical(key, out _, out _).ShouldBeFalse(key);
    }

    [Fact]
    public void A_prefix_with_a_brace_is_refused_with_the_reason()
    {
        Should.Throw<ArgumentException>(() => new ShardMap("app{x}_", 20)).Message.ShouldContain("hash tag");
    }

    [Theory]
    [InlineData("bitmapist", null)]
    [InlineData("BITMAPIST", null)]
    [InlineData("sharded", 20)]
    [InlineData(" sharded:8 ", 8)]
    [InlineData("Sharded:24", 24)]
    public void Layouts_parse(string text, int? bits)
    {
        var layout = KeyLayout.Parse(text);
        layout.ShardBits.ShouldBe(bits);
        KeyLayout.Parse(layout.ToString()).ShouldBe(layout);
    }

    [Theory]
    [InlineData("sharded:7", "8 to 24 bits")]
    [InlineData("sharded:25", "8 to 24 bits")]
    [InlineData("sharded:", "not a key layout")]
    [InlineData("roaring", "not a key layout")]
    [InlineData("", "not a key layout")]
    public void A_bad_layout_says_what_is_accepted(string text, string expected)
    {
        KeyLayout.TryParse(text, out _, out var error).ShouldBeFalse();
        error.ShouldContain(expected);
        Should.Throw<ArgumentOutOfRangeException>(() => KeyLayout.Sharded(30));
    }
}
