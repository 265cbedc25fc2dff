using Bitmapist.Linq.Backends;
using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Tracking;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Erasure of external ids (<see cref="IdMap.EraseAsync"/>, <see cref="IdMap.ResumeErasuresAsync"/>) on every store
/// that holds id maps: the user's bits go from every key of every period, every other bit stays (the oracle is each
/// key's members before the erasure), the external id gets a new internal id, the old one is never handed out again,
/// a crash after the erasure started is finished by a resume, and no key grows.
/// </summary>
public class IdMapErasureTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    // Marks across periods: two months, two ISO weeks, several days and hours (hourly and unique tracking on).
    private static readonly DateTime[] Times =
    [
        new(2026, 10, 30, 23, 10, 0), new(2026, 11, 1, 0, 5, 0), new(2026, 11, 2, 9, 0, 0), new(2026, 11, 28, 14, 0, 0),
    ];

    private static readonly string[] EventNames = ["active", "signup", "paid"];

    private static readonly TrackingOptions Tracking = new(Hourly: true, Unique: true);

    public static TheoryData<string> Kinds() => [StoreKind.Embedded, StoreKind.Redis, StoreKind.RedisSharded, StoreKind.RedisCluster];

    private static Task<BitmapStore> Create(string kind) => StoreKind.CreateAsync(kind, new StoreOptions
    {
        Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
        Tracking = Tracking,
        IdMap = "users",
    });

    /// <summary>Marks 40 users (and alice, bob) in a spread of events and periods; returns every key written.</summary>
    private static async Task<SortedSet<string>> MarkSpreadAsync(BitmapStore store, IReadOnlyList<string> users)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        var batch = store.CreateBatch();
        for (var u = 0; u < users.Count; u++)
            for (var e = 0; e < EventNames.Length; e++)
                for (var t = 0; t < Times.Length; t++)
                {
                    // Each user in some (event, time) pairs, alice and bob (0 and 1) in all of them.
                    if (u > 1 && (u + e * 3 + t * 5) % 4 != 0) continue;
                    batch.Mark(EventNames[e], users[u], Times[t]);
                    keys.UnionWith(store.Keys.KeysForMark(EventNames[e], Times[t], Tracking));
                }
        await batch.ExecuteAsync();
        return keys;
    }

    private static async Task<Dictionary<string, HashSet<long>>> MembersAsync(BitmapStore store, IEnumerable<string> keys)
    {
        var members = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var key in keys) members[key] = [.. await store.Set(SetExpr.Key(key)).ToListAsync()];
        return members;
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Erasure_clears_the_user_in_every_period_and_nothing_else(string kind)
    {
        await using var store = await Create(kind);
        var map = store.IdMap("users");
        string[] users = ["alice", "bob", .. Enumerable.Range(0, 40).Select(i => $"user-{i}")];
        var keys = await MarkSpreadAsync(store, users);
        keys.Count.ShouldBeGreaterThan(30, "months, weeks, days, hours and unique keys of three events");
        var ids = await map.GetOrCreateAsync(users);
        var before = await MembersAsync(store, keys);
        var allocatedBefore = (await map.CountAsync()).Allocated;

        var reports = new List<IdErasureProgress>();
        var erased = await map.EraseAsync(["alice", "nobody", "bob", "alice"], new SynchronousProgress<IdErasureProgress>(reports.Add));

        erased.Select(e => e.ExternalId).ShouldBe(["alice", "nobody", "bob"], "one report per distinct id, in the order first given");
        erased[0].InternalId.ShouldBe(ids[0]);
        erased[1].ShouldBe(new IdErasure("nobody", null, 0, 0));
        erased[2].InternalId.ShouldBe(ids[1]);
        // alice and bob were in every key written.
        erased[0].BitsCleared.ShouldBe(keys.Count);
        erased[2].BitsCleared.ShouldBe(keys.Count);
        erased[0].KeysScanned.ShouldBe(keys.Count, "one scan of every event key, nothing else");
        reports.ShouldNotBeEmpty();
        reports[^1].ShouldBe(new IdErasureProgress(keys.Count, keys.Count, 2L * keys.Count));
        reports.Select(r => r.KeysScanned).ShouldBeInOrder();

        // The oracle: every key holds what it held, less alice and bob.
        var after = await MembersAsync(store, keys);
        foreach (var key in keys)
            after[key].ShouldBe(before[key].Where(id => id != ids[0] && id != ids[1]).Order(), ignoreOrder: true, $"key {key}");
        (await store.Month("active").ContainsAsync(ids[0])).ShouldBeFalse();
        (await store.Unique("paid").ContainsAsync(ids[1])).ShouldBeFalse();

        // The mappings are gone both ways; the other users' are intact.
        (await map.FindAsync(["alice", "bob"])).ShouldBe([null, null]);
        (await map.FindExternalAsync([ids[0], ids[1]])).ShouldBe([null, null]);
        (await map.FindExternalAsync([ids[2], ids[^1]])).ShouldBe([users[2], users[^1]]);
        var counts = await map.CountAsync();
        counts.Mapped.ShouldBe(users.Length - 2);
        counts.Allocated.ShouldBe(allocatedBefore, "an erasure frees no id");

        // alice comes back with a new id, never one handed out before, and only the new id is marked.
        var again = await map.GetOrCreateAsync("alice");
        ids.ShouldNotContain(again);
        await store.MarkAsync("active", "alice", Times[^1]);
        (await store.Month("active").ContainsAsync(again)).ShouldBeTrue();
        (await store.Month("active").ContainsAsync(ids[0])).ShouldBeFalse();

        // Hundreds of new users later, neither erased id has been handed out again.
        var fresh = await map.GetOrCreateAsync([.. Enumerable.Range(0, 500).Select(i => $"later-{i}")]);
        fresh.ShouldNotContain(ids[0]);
        fresh.ShouldNotContain(ids[1]);
        fresh.Concat(ids).Append(again).Distinct().Count().ShouldBe(fresh.Length + ids.Length + 1);

        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task A_crash_after_the_erasure_started_is_finished_by_a_resume(string kind)
    {
        await using var store = await Create(kind);
        var map = store.IdMap("users");
        string[] users = ["alice", "bob", .. Enumerable.Range(0, 20).Select(i => $"user-{i}")];
        var keys = await MarkSpreadAsync(store, users);
        var ids = await map.GetOrCreateAsync(users);
        var before = await MembersAsync(store, keys);

        // The process "dies" right after the atomic first step of two erasures: the mappings moved, no bit cleared.
        var backend = (IIdMapBackend)store.Backend;
        (await backend.BeginEraseAsync(map.LaneOf("alice"), "alice", default)).ShouldBe(ids[0]);
        (await backend.BeginEraseAsync(map.LaneOf("bob"), "bob", default)).ShouldBe(ids[1]);
        (await map.FindAsync("alice")).ShouldBeNull();
        (await store.Month("active").ContainsAsync(ids[0])).ShouldBeTrue("nothing was cleared yet");

        // Meanwhile alice is marked again: that makes a new id, which the resume must leave alone.
        await store.MarkAsync("active", "alice", Times[^1]);
        var newAlice = (await map.FindAsync("alice")).ShouldNotBeNull();
        ids.ShouldNotContain(newAlice);

        var resumed = await map.ResumeErasuresAsync();
        resumed.Select(r => (r.ExternalId, r.InternalId)).ShouldBe([("alice", (uint?)ids[0]), ("bob", (uint?)ids[1])]);
        resumed.ShouldAllBe(r => r.BitsCleared == keys.Count && r.KeysScanned == keys.Count);
        var markedAgain = store.Keys.KeysForMark("active", Times[^1], Tracking).ToHashSet();
        var after = await MembersAsync(store, keys);
        foreach (var key in keys)
        {
            var expected = before[key].Where(id => id != ids[0] && id != ids[1]).ToHashSet();
            if (markedAgain.Contains(key)) expected.Add(newAlice);
            after[key].ShouldBe(expected, ignoreOrder: true, $"key {key}");
        }
        (await store.Month("active").ContainsAsync(newAlice)).ShouldBeTrue("the mapping made after the erasure started keeps its bits");
        (await map.FindExternalAsync([ids[0], ids[1], newAlice])).ShouldBe([null, null, "alice"]);
        (await map.ResumeErasuresAsync()).ShouldBeEmpty("nothing is left in progress");
        (await map.EraseAsync(["alice"])).ShouldHaveSingleItem().InternalId.ShouldBe(newAlice, "erasing once more removes the new mapping too");
        (await store.Month("active").ContainsAsync(newAlice)).ShouldBeFalse();

        // Erasing an id whose erasure was started finishes that erasure.
        (await backend.BeginEraseAsync(map.LaneOf("user-3"), "user-3", default)).ShouldBe(ids[2 + 3]);
        var finished = (await map.EraseAsync(["user-3"])).ShouldHaveSingleItem();
        finished.InternalId.ShouldBe(ids[2 + 3]);
        finished.BitsCleared.ShouldBe(before.Count(k => k.Value.Contains(ids[2 + 3])));
        (await map.ResumeErasuresAsync()).ShouldBeEmpty();
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Erasure_grows_no_key(string kind)
    {
        await using var store = await Create(kind);
        var map = store.IdMap("users");
        // Small ids in "small" (1-byte keys on bitmapist's layout), then a user far beyond them, in "big" only.
        await store.MarkAsync("small", "alice", Times[0]);
        await map.GetOrCreateAsync([.. Enumerable.Range(0, 5000).Select(i => $"filler-{i}")]);
        await store.MarkAsync("big", "zed", Times[1]);
        var zed = (await map.FindAsync("zed")).ShouldNotBeNull();
        zed.ShouldBeGreaterThan(1000u);
        var sizes = await SizesAsync(kind, store);

        var erased = (await map.EraseAsync(["zed"])).ShouldHaveSingleItem();

        erased.BitsCleared.ShouldBe(5); // month, week, day, hour and unique of "big"
        // Only set bits are cleared: no key appeared and none grew (on Redis SETBIT k id 0 would extend a short key to
        // id/8 bytes, or create one; embedded, a page emptied of its last id is dropped, so "big" shrinks there).
        var after = await SizesAsync(kind, store);
        after.Keys.ShouldBe(sizes.Keys);
        foreach (var (key, size) in after) size.ShouldBeLessThanOrEqualTo(sizes[key], key);
        (await store.At("small", Period.Of(PeriodUnit.Month, Times[0])).ToListAsync()).ShouldBe([(long)(await map.FindAsync("alice"))!.Value]);
        (await store.Set(SetExpr.Key(store.Keys.Key("big", Period.Unique))).AnyAsync()).ShouldBeFalse();
    }

    /// <summary>
    /// Every stored string's length by key: on Redis every string under the store's prefix (each shard's copy, every
    /// node of a cluster) by STRLEN; embedded, each key's bitmap bytes.
    /// </summary>
    private static async Task<SortedDictionary<string, long>> SizesAsync(string kind, BitmapStore store)
    {
        var sizes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        if (store is EmbeddedStore embedded)
        {
            foreach (var key in await store.ListEventsAsync())
                foreach (var k in EventKeys(store, key))
                    if (embedded.Snapshot(k) is { } bitmap) sizes[k] = bitmap.MemoryBytes;
            return sizes;
        }
        var configuration = kind == StoreKind.RedisCluster ? RedisClusterServer.Seeds : RedisServer.Endpoint;
        await using var mux = await ConnectionMultiplexer.ConnectAsync(configuration);
        var db = mux.GetDatabase();
        foreach (var server in mux.GetServers().Where(s => !s.IsReplica))
            await foreach (var key in server.KeysAsync(pattern: store.Keys.Prefix + "*"))
                if (await db.KeyTypeAsync(key) == RedisType.String) sizes[key!] = await db.StringLengthAsync(key);
        return sizes;
    }

    private static IEnumerable<string> EventKeys(BitmapStore store, string eventName) =>
        Times.SelectMany(t => store.Keys.KeysForMark(eventName, t, Tracking)).Distinct();

    /// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread, in order (Progress posts to the pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
