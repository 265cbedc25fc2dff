using Bitmapist.Linq.Backends;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Reference;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// The contract of <see cref="IIdMapBackend"/>, called directly, on the reference back end (written from the contract
/// alone) and on the library's embedded and Redis back ends, which must agree with it: get-or-create hands out the lane's
/// counter's ids once each, concurrent callers never split or share a mapping, a full lane creates nothing, and an
/// erasure removes the forward mapping at once, keeps the reverse one until it ends, and never gives the id back.
/// A new back end copies these tests with its own back end.
/// </summary>
public class ReferenceIdMapTests
{
    public static TheoryData<string> Kinds() => [StoreKind.Reference, StoreKind.Embedded, StoreKind.Redis];

    private sealed class Subject(BitmapStore store) : IAsyncDisposable
    {
        public IIdMapBackend Backend { get; } = (IIdMapBackend)store.Backend;

        private readonly List<IdMapLane> _lanes = [];

        /// <summary>A lane of its own, in this store's key space (so Redis tests sharing a server never meet).</summary>
        public IdMapLane Lane(uint firstShard = 0, uint stride = 1, int shardBits = 32)
        {
            var p = $"{store.Keys.Prefix}bitop_idmap:contract:{_lanes.Count}:";
            var lane = new IdMapLane(p + "fwd", p + "rev", p + "next", p + "erasing", firstShard, stride, shardBits);
            _lanes.Add(lane);
            return lane;
        }

        public async ValueTask DisposeAsync()
        {
            if (Backend.GetType().Name.StartsWith("Redis", StringComparison.Ordinal))
            {
                await using var client = await ConnectionMultiplexer.ConnectAsync(RedisServer.Endpoint);
                foreach (var key in _lanes.SelectMany(l => l.Keys)) await client.GetDatabase().KeyDeleteAsync(key);
            }
            await store.DisposeAsync();
        }
    }

    private static async Task<Subject> CreateAsync(string kind) => new(await StoreKind.CreateAsync(kind));

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Get_or_create_hands_out_the_lanes_counter_ids_once_each(string kind)
    {
        await using var s = await CreateAsync(kind);
        var lane = s.Lane(firstShard: 3, stride: 16, shardBits: 8); // shards 3, 19, 35, ...: 256 ids each
        var ct = CancellationToken.None;
        string[] first = [.. Enumerable.Range(0, 300).Select(i => $"u{i}")];
        var ids = await s.Backend.GetOrCreateIdsAsync(lane, first, ct);
        ids.Select(id => (long)id).ShouldBe(Enumerable.Range(0, 300).Select(c => lane.IdAt(c)), "new ids are the counter's, in order");
        ids.ShouldAllBe(id => lane.Holds(id));
        (await s.Backend.GetOrCreateIdsAsync(lane, ["u7", "new", "u299"], ct)).ShouldBe([ids[7], (uint)lane.IdAt(300), ids[299]]);
        (await s.Backend.FindIdsAsync(lane, ["u0", "absent", "new"], ct)).ShouldBe([ids[0], -1, lane.IdAt(300)]);
        (await s.Backend.FindExternalIdsAsync(lane, [ids[5], (uint)lane.IdAt(301), 0], ct)).ShouldBe(["u5", null, null]);
        (await s.Backend.CountAsync(lane, ct)).ShouldBe((301L, 301L));
        (await s.Backend.CountAsync(s.Lane(), ct)).ShouldBe((0L, 0L), "a lane never written is empty");
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Concurrent_callers_get_one_id_per_external_id_and_no_id_twice(string kind)
    {
        await using var s = await CreateAsync(kind);
        var lane = s.Lane();
        // 12 callers at once, each asking for 400 of 1,000 ids, overlapping: every pair shares some.
        var asked = Enumerable.Range(0, 12).Select(c => Enumerable.Range(0, 400).Select(i => $"user-{(c * 53 + i * 7) % 1000}").Distinct().ToArray()).ToArray();
        using var start = new ManualResetEventSlim();
        var calls = asked.Select(batch => Task.Run(async () =>
        {
            start.Wait();
            return await s.Backend.GetOrCreateIdsAsync(lane, batch, CancellationToken.None);
        })).ToArray();
        start.Set();
        var answers = await Task.WhenAll(calls);
        var mapping = new Dictionary<string, uint>();
        for (var c = 0; c < asked.Length; c++)
            for (var i = 0; i < asked[c].Length; i++)
            {
                if (mapping.TryGetValue(asked[c][i], out var seen)) answers[c][i].ShouldBe(seen, $"'{asked[c][i]}' got two internal ids");
                else mapping[asked[c][i]] = answers[c][i];
            }
        mapping.Values.Distinct().Count().ShouldBe(mapping.Count, "two external ids share an internal id");
        (await s.Backend.CountAsync(lane, CancellationToken.None)).ShouldBe(((long)mapping.Count, (long)mapping.Count), "the counter moved once per new id");
        mapping.Values.Order().Select(id => (long)id).ShouldBe(Enumerable.Range(0, mapping.Count).Select(c => lane.IdAt(c)));
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task A_full_lane_creates_nothing_and_says_why(string kind)
    {
        await using var s = await CreateAsync(kind);
        var lane = s.Lane(firstShard: (1u << 24) - 16, stride: 16, shardBits: 8); // the last shard of its kind: 256 ids in all
        var ct = CancellationToken.None;
        await s.Backend.GetOrCreateIdsAsync(lane, [.. Enumerable.Range(0, 250).Select(i => $"a{i}")], ct);
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => s.Backend.GetOrCreateIdsAsync(lane, [.. Enumerable.Range(0, 7).Select(i => $"b{i}")], ct));
        e.Message.ShouldContain(lane.ForwardKey);
        (await s.Backend.CountAsync(lane, ct)).ShouldBe((250L, 250L), "a call the lane cannot hold whole creates none of its ids");
        (await s.Backend.FindIdsAsync(lane, ["b0"], ct)).ShouldBe([-1L]);
        (await s.Backend.GetOrCreateIdsAsync(lane, [.. Enumerable.Range(0, 6).Select(i => $"b{i}"), "a0"], ct)).Last().ShouldBe((uint)lane.IdAt(0),
            "the ids that fit are still handed out");
        (await s.Backend.CountAsync(lane, ct)).ShouldBe((256L, 256L));
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task An_erasure_removes_the_mapping_at_once_keeps_the_reverse_until_it_ends_and_never_reuses_the_id(string kind)
    {
        await using var s = await CreateAsync(kind);
        var lane = s.Lane();
        var ct = CancellationToken.None;
        var ids = await s.Backend.GetOrCreateIdsAsync(lane, ["alice", "bob"], ct);
        (await s.Backend.BeginEraseAsync(lane, "alice", ct)).ShouldBe(ids[0]);
        (await s.Backend.BeginEraseAsync(lane, "alice", ct)).ShouldBe(ids[0], "an erasure started again (a resumed run) names the same id");
        (await s.Backend.BeginEraseAsync(lane, "carol", ct)).ShouldBe(-1, "no mapping, nothing to erase");
        (await s.Backend.FindIdsAsync(lane, ["alice", "bob"], ct)).ShouldBe([-1L, ids[1]]);
        (await s.Backend.FindExternalIdsAsync(lane, [ids[0]], ct)).ShouldBe(["alice"], "the reverse mapping stays while the bits are cleared");
        (await s.Backend.PendingErasuresAsync(lane, ct)).ShouldBe([("alice", ids[0])]);
        (await s.Backend.CountAsync(lane, ct)).ShouldBe((1L, 2L));

        await s.Backend.EndEraseAsync(lane, "alice", ids[0], ct);
        (await s.Backend.PendingErasuresAsync(lane, ct)).ShouldBeEmpty();
        (await s.Backend.FindExternalIdsAsync(lane, [ids[0]], ct)).ShouldBe([null]);
        var again = await s.Backend.GetOrCreateIdsAsync(lane, ["alice"], ct);
        again[0].ShouldNotBe(ids[0], "an erased id is never handed out again");
        again[0].ShouldBe((uint)lane.IdAt(2));
        (await s.Backend.CountAsync(lane, ct)).ShouldBe((2L, 3L));
    }

    [Fact]
    public async Task The_reference_back_end_refuses_a_call_that_names_an_external_id_twice()
    {
        await using var backend = new ReferenceBackend();
        var lane = new IdMapLane("f", "r", "n", "e", 0, 1, 32);
        var e = await Should.ThrowAsync<InvalidOperationException>(() => backend.GetOrCreateIdsAsync(lane, ["a", "b", "a"], CancellationToken.None));
        e.Message.ShouldContain("'a' twice");
        (await backend.CountAsync(lane, CancellationToken.None)).ShouldBe((0L, 0L));
    }

    [Fact]
    public async Task Copied_mappings_land_whole_or_not_at_all_and_a_migrated_reverse_mapping_is_erased_only_for_its_user()
    {
        await using var backend = new ReferenceBackend();
        var ct = CancellationToken.None;
        var lane = new IdMapLane("f", "r", "n", "e", 0, 1, 32);
        var alice = (await backend.GetOrCreateIdsAsync(lane, ["alice"], ct))[0];
        // A conflict (alice named another id) writes nothing, not even the entries that would fit.
        (await backend.AddMappingsAsync(lane, [("bob", 500), ("alice", 501)], [(500, "bob")], 600, ct)).ShouldBe([("alice", alice)]);
        (await backend.CountAsync(lane, ct)).ShouldBe((1L, 1L));
        (await backend.AddMappingsAsync(lane, [("bob", 500), ("alice", alice)], [(500, "bob"), (900, "zed")], 600, ct)).ShouldBeEmpty();
        (await backend.CountAsync(lane, ct)).ShouldBe((2L, 600L), "the counter moves past the copied ids");
        var scanned = new List<(string, uint)>();
        await foreach (var entry in backend.ScanMappingsAsync(lane, ct)) scanned.Add(entry);
        scanned.ShouldBe([("alice", alice), ("bob", 500u)], ignoreOrder: true);

        // 900 -> zed is a reverse mapping with no forward one here (a migrated map keeps it in its shard's lane).
        await backend.EndEraseAsync(lane, "someone-else", 900, ct);
        (await backend.FindExternalIdsAsync(lane, [900], ct)).ShouldBe(["zed"], "another user's erasure leaves it");
        await backend.EndEraseAsync(lane, "zed", 900, ct);
        (await backend.FindExternalIdsAsync(lane, [900], ct)).ShouldBe([null]);
    }

    [Fact]
    public async Task A_store_over_the_reference_back_end_marks_and_queries_by_external_id_on_both_layouts()
    {
        foreach (var layout in new[] { KeyLayout.Bitmapist, KeyLayout.Sharded(8) })
        {
            await using var store = new BitmapStore(new ReferenceBackend(), new StoreOptions { IdMap = "users", Layout = layout });
            await store.MarkAsync("active", "alice");
            await store.MarkAsync("active", "bob");
            (await store.Month("active").CountAsync()).ShouldBe(2);
            (await store.Month("active").ContainsAsync("alice")).ShouldBeTrue();
            (await (store.Ids("bob", "carol") & store.Month("active")).CountAsync()).ShouldBe(1);
        }
    }
}
