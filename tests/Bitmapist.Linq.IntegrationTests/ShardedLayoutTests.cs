using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// What the sharded layout promises beyond giving the same answers (the shared suites check those on
/// <see cref="StoreKind.RedisSharded"/> and <see cref="StoreKind.RedisCluster"/>): a store keeps the layout it was
/// written with, a cluster refuses bitmapist's layout, keys are created at the shard's full size, a huge id costs one
/// small key, a membership test visits one shard, and explain shows the per-shard program and the fan-out.
/// </summary>
public class ShardedLayoutTests
{
    private static readonly DateTime Day = new(2026, 11, 18, 12, 0, 0, DateTimeKind.Utc);

    public static TheoryData<string> Kinds() => [StoreKind.RedisSharded, StoreKind.RedisCluster];

    private static string Configuration(string kind) =>
        (kind == StoreKind.RedisCluster ? RedisClusterServer.Seeds : RedisServer.Endpoint) + ",syncTimeout=30000,asyncTimeout=30000";

    private static StoreOptions Options(string prefix, KeyLayout layout) => new() { Keys = new KeyScheme(prefix), Layout = layout };

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task A_store_is_opened_only_with_the_layout_it_was_written_with(string kind)
    {
        var prefix = $"t{Guid.NewGuid():N}_";
        await using (var store = await RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Sharded(12))))
            await store.MarkAsync("active", 5000, Day);

        var other = await Should.ThrowAsync<BitmapistStoreException>(() => RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Sharded(16))));
        other.Message.ShouldContain("holds the sharded:12 layout");
        other.Message.ShouldContain("--layout sharded:12");
        if (kind == StoreKind.RedisSharded)
        {
            var plain = await Should.ThrowAsync<BitmapistStoreException>(() => RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Bitmapist)));
            plain.Message.ShouldContain("opened with the bitmapist layout");
        }
        // The same layout opens, and reads what was written.
        await using var again = await RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Sharded(12)));
        (await again.At("active", Period.Of(PeriodUnit.Day, Day)).ToListAsync()).ShouldBe([5000L]);
    }

    [SkippableFact]
    public async Task A_cluster_refuses_bitmapists_layout_and_says_how_to_migrate()
    {
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => RedisStore.ConnectAsync(Configuration(StoreKind.RedisCluster), new StoreOptions()));
        e.Message.ShouldContain("is a Redis Cluster, which needs the sharded key layout");
        e.Message.ShouldContain("bitmapist migrate --from");
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Keys_are_created_at_the_shards_full_size_and_a_huge_id_costs_one_small_key(string kind)
    {
        const int bits = 20; // 128 KiB keys: smaller ones fall in allocator classes that hide the slack
        var prefix = $"t{Guid.NewGuid():N}_";
        await using var store = await RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Sharded(bits)));
        // Ascending marks: SETBIT alone would grow the key step by step and leave up to 2x slack (design/scale-out.md).
        var shard = uint.MaxValue >> bits;
        var first = (long)shard << bits;
        for (var id = first; id <= uint.MaxValue; id += 9973) await store.MarkUniqueAsync("huge", id);
        await store.MarkUniqueAsync("huge", uint.MaxValue);
        var map = ((ShardedBackend)store.Backend).Map;
        var key = map.PhysicalKey(shard, store.Keys.Key("huge", Period.Unique));
        var db = store.Connection.GetDatabase();
        (await db.StringLengthAsync(key)).ShouldBe(1 << (bits - 3)); // exactly the shard's bytes, not the id's 512 MiB
        var usage = (long)await db.ExecuteAsync("MEMORY", "USAGE", (RedisKey)key);
        usage.ShouldBeLessThan((1 << (bits - 3)) * 5 / 4 + 200, $"MEMORY USAGE {usage} B for an {1 << (bits - 3)} B key: slack left by growth");
        (await store.At("huge", Period.Unique).MaxAsync()).ShouldBe(uint.MaxValue);
        (await store.At("huge", Period.Unique).ContainsAsync(uint.MaxValue)).ShouldBeTrue();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Explain_shows_the_per_shard_program_and_its_fan_out(string kind)
    {
        var prefix = $"t{Guid.NewGuid():N}_";
        await using var store = await RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Sharded(12)));
        await store.MarkAsync("a", 1, Day);
        await store.MarkAsync("b", 1 << 13, Day);
        var day = Period.Of(PeriodUnit.Day, Day);
        (await (store.At("a", day) & store.At("b", day)).CountAsync()).ShouldBe(0);
        var both = (store.At("a", day) | store.At("b", day)).Explain();
        both.ShouldContain("sharded layout (shards of 2^12 ids; {tag}N: stands for shard N's hash tag and number)");
        both.ShouldContain("in every shard the shard registry lists (2 known to this process so far; the registry is read with each query), " +
            (kind == StoreKind.RedisCluster ? "each shard's batch on its own, all at once" : "joined into one batch"));
        both.ShouldContain($"BITOP OR {prefix}{{tag}}N:bitop_tmp:q:0 {prefix}{{tag}}N:a_2026-11-18 {prefix}{{tag}}N:b_2026-11-18");
        var contains = store.At("a", day).Explain(ReadKind.Contains);
        contains.ShouldContain("in the shard of its id only (1 shard)");
        // And the answer of a membership test comes from that one shard: the other holds the key of a, not the id.
        (await store.At("a", day).ContainsAsync(1)).ShouldBeTrue();
        (await (store.At("a", day) | store.At("b", day)).ToListAsync()).ShouldBe([1L, 1L << 13]);
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task A_shard_another_process_wrote_is_visited_by_the_next_query(string kind)
    {
        var prefix = $"t{Guid.NewGuid():N}_";
        await using var reader = await RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Sharded(12)));
        await using var writer = await RedisStore.ConnectAsync(Configuration(kind), Options(prefix, KeyLayout.Sharded(12)));
        var month = Period.Of(PeriodUnit.Month, Day);
        await writer.MarkAsync("a", 1, Day);
        (await reader.At("a", month).CountAsync()).ShouldBe(1); // the reader now knows shard 0 only
        await writer.MarkAsync("a", 5 << 12, Day); // shard 5, which the reader's cache does not list
        (await reader.At("a", month).CountAsync()).ShouldBe(2);
        (await reader.At("a", month).ToListAsync()).ShouldBe([1L, 5L << 12]);
    }
}
