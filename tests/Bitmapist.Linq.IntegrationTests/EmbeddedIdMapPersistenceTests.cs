using System.Buffers.Binary;
using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// The embedded store's id maps on disk: mappings, counters and erasures in progress survive a reopen (journal
/// replay), a save, an automatic compaction and a reopen after one; readers (<see cref="EmbeddedStore.OpenReadOnly"/>)
/// see them; an id is never handed out twice across processes; a version-2 file (no maps) still opens.
/// </summary>
public sealed class EmbeddedIdMapPersistenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitmapist-idmap-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static readonly DateTime Nov1 = new(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);

    private static StoreOptions Options(KeyLayout? layout = null, long compactionBytes = 64 << 20) =>
        new() { IdMap = "users", Layout = layout ?? KeyLayout.Bitmapist, JournalCompactionBytes = compactionBytes };

    private static string[] Users(int from, int count) => [.. Enumerable.Range(from, count).Select(i => $"user-{i:D5}")];

    /// <summary>Everything the map answers about <paramref name="externalIds"/>: ids, their external ids back, and the counts.</summary>
    private static async Task<string> StateOf(BitmapStore store, IReadOnlyList<string> externalIds)
    {
        var map = store.IdMap("users");
        var ids = await map.FindAsync(externalIds);
        var back = await map.FindExternalAsync([.. ids.Where(i => i is not null).Select(i => i!.Value)]);
        var counts = await map.CountAsync();
        var pending = new List<string>();
        foreach (var lane in map.Lanes)
            pending.AddRange((await map.Backend().PendingErasuresAsync(lane, default)).Select(p => $"{p.ExternalId}={p.Id}"));
        return $"ids [{string.Join(",", ids)}] back [{string.Join(",", back)}] mapped {counts.Mapped} allocated {counts.Allocated} " +
               $"per lane [{string.Join(",", counts.AllocatedPerLane)}] erasing [{string.Join(",", pending.Order(StringComparer.Ordinal))}]";
    }

    /// <summary>Erases <paramref name="externalId"/> through the seam, as an erasure does: begin, then (unless <paramref name="finish"/> is false) end.</summary>
    private static async Task<uint> Erase(BitmapStore store, string externalId, bool finish = true)
    {
        var map = store.IdMap("users");
        var lane = map.LaneOf(externalId);
        var id = await map.Backend().BeginEraseAsync(lane, externalId, default);
        id.ShouldBeGreaterThanOrEqualTo(0, $"{externalId} had a mapping to erase");
        if (finish) await map.Backend().EndEraseAsync(lane, externalId, (uint)id, default);
        return (uint)id;
    }

    public static TheoryData<string> Layouts => ["bitmapist", "sharded"];

    private static KeyLayout LayoutOf(string name) => name == "sharded" ? KeyLayout.Sharded() : KeyLayout.Bitmapist;

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Mappings_survive_a_reopen_a_save_and_a_reopen_after_it(string layout)
    {
        var path = PathOf("maps.bmdb");
        var users = Users(0, 300);
        string expected;
        using (var store = EmbeddedStore.Open(path, Options(LayoutOf(layout))))
        {
            await store.IdMap("users").GetOrCreateAsync(users[..200]);
            await store.MarkAsync("active", users[200], Nov1);
            await store.IdMap("users").GetOrCreateAsync(users[150..]);
            expected = await StateOf(store, users);
        }

        // The journal alone: replayed on open, by a writer and by a reader.
        using (var reopened = EmbeddedStore.Open(path, Options(LayoutOf(layout))))
            (await StateOf(reopened, users)).ShouldBe(expected, "a writer's open replays the journal's mappings");
        using (var reader = EmbeddedStore.OpenReadOnly(path, Options(LayoutOf(layout))))
            (await StateOf(reader, users)).ShouldBe(expected, "a reader's open replays the journal's mappings");

        // Saved: the snapshot holds them and the journal is empty.
        using (var store = EmbeddedStore.Open(path, Options(LayoutOf(layout))))
        {
            store.Save();
            store.JournalBytes.ShouldBeLessThan(100);
        }
        using (var reopened = EmbeddedStore.Open(path, Options(LayoutOf(layout))))
        {
            (await StateOf(reopened, users)).ShouldBe(expected, "the snapshot holds the mappings");
            (await reopened.Month("active", 2026, 11).ContainsAsync("user-00200")).ShouldBeTrue("the mark by external id finds its bit again");
        }
        using (var reader = EmbeddedStore.OpenReadOnly(path, Options(LayoutOf(layout))))
            (await StateOf(reader, users)).ShouldBe(expected);
    }

    [Fact]
    public async Task Mappings_survive_automatic_compaction_and_the_reopen_after_it()
    {
        var path = PathOf("compacted.bmdb");
        var users = Users(0, 2000);
        string expected;
        using (var store = EmbeddedStore.Open(path, Options(compactionBytes: 4 << 10)))
        {
            var map = store.IdMap("users");
            var compactions = 0;
            foreach (var chunk in users.Chunk(50))
            {
                var before = store.JournalBytes;
                await map.GetOrCreateAsync(chunk);
                if (store.JournalBytes < before) compactions++;
            }
            // 2000 mappings are about 40 KB of journal: writes past 4 KB (and past the snapshot) compacted it.
            compactions.ShouldBeGreaterThan(1, "the journal was compacted while the ids were created");
            new FileInfo(path).Length.ShouldBeGreaterThan(10 << 10, "the snapshot holds the compacted mappings");
            expected = await StateOf(store, users);
        }
        using var reopened = EmbeddedStore.Open(path, Options());
        (await StateOf(reopened, users)).ShouldBe(expected);
        var ids = await reopened.IdMap("users").FindAsync(users);
        ids.ShouldBe([.. Enumerable.Range(0, users.Length).Select(i => (uint?)i)], "dense ids in creation order, each once");
    }

    [Fact]
    public async Task An_erasure_begun_and_not_ended_survives_the_journal_a_save_and_a_reader()
    {
        var path = PathOf("erasing.bmdb");
        var users = Users(0, 5);
        using (var store = EmbeddedStore.Open(path, Options()))
        {
            await store.IdMap("users").GetOrCreateAsync(users);
            (await Erase(store, "user-00002", finish: false)).ShouldBe(2u);
            (await Erase(store, "user-00003")).ShouldBe(3u);
        }
        const string erasing = "ids [0,1,,,4] back [user-00000,user-00001,user-00004] mapped 3 allocated 5 per lane [5] erasing [user-00002=2]";
        foreach (var save in new[] { false, true })
        {
            using (var store = EmbeddedStore.Open(path, Options()))
            {
                (await StateOf(store, users)).ShouldBe(erasing, $"after {(save ? "a save" : "the journal")}");
                (await store.IdMap("users").FindExternalAsync([2u, 3u])).ShouldBe(["user-00002", null],
                    "an erasure in progress keeps the reverse mapping (its bits are not cleared yet); an ended one does not");
                if (!save) store.Save();
            }
            using var reader = EmbeddedStore.OpenReadOnly(path, Options());
            (await StateOf(reader, users)).ShouldBe(erasing);
        }

        // Ending it after the reopen, then reopening again: the erasure is gone, and so is the reverse mapping.
        using (var store = EmbeddedStore.Open(path, Options()))
        {
            await store.IdMap("users").Backend().EndEraseAsync(store.IdMap("users").Lanes[0], "user-00002", 2, default);
            store.Save();
        }
        using var final = EmbeddedStore.Open(path, Options());
        (await StateOf(final, users)).ShouldBe("ids [0,1,,,4] back [user-00000,user-00001,user-00004] mapped 3 allocated 5 per lane [5] erasing []");
        (await final.IdMap("users").FindExternalAsync([2u])).ShouldBe([null]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ids_handed_out_after_a_reopen_never_repeat_an_earlier_one_even_an_erased_one(bool save)
    {
        var path = PathOf($"counter-{save}.bmdb");
        var handedOut = new List<uint>();
        for (var round = 0; round < 4; round++)
        {
            using var store = EmbeddedStore.Open(path, Options());
            var map = store.IdMap("users");
            handedOut.AddRange(await map.GetOrCreateAsync(Users(round * 10, 10)));
            // The newest ids erased: a counter rebuilt from the mappings left would hand them out again.
            foreach (var user in Users(round * 10 + 7, 3)) await Erase(store, user);
            // And an erased external id mapped again gets a new id, not its old one.
            handedOut.Add(await map.GetOrCreateAsync($"user-{round * 10 + 9:D5}"));
            if (save) store.Save();
        }
        handedOut.ShouldBe(handedOut.Distinct(), "an id was handed out twice");
        handedOut.Count.ShouldBe(44);
        using var last = EmbeddedStore.Open(path, Options());
        var counts = await last.IdMap("users").CountAsync();
        (counts.Mapped, counts.Allocated).ShouldBe((32L, 44L), "mapped: 7 + 1 a round; allocated: every id ever handed out");
    }

    [Fact]
    public async Task SaveAs_copies_the_id_maps_with_the_bitmaps()
    {
        var users = Users(0, 20);
        string expected;
        using (var store = new EmbeddedStore(Options()))
        {
            await store.IdMap("users").GetOrCreateAsync(users);
            await Erase(store, "user-00004", finish: false);
            await store.MarkAsync("active", "user-00005", Nov1);
            expected = await StateOf(store, users);
            store.SaveAs(PathOf("copy.bmdb"));
        }
        using var copy = EmbeddedStore.OpenReadOnly(PathOf("copy.bmdb"), Options());
        (await StateOf(copy, users)).ShouldBe(expected);
        (await copy.Month("active", 2026, 11).ToListAsync()).ShouldBe([5L]);
    }

    [Fact]
    public async Task A_version_2_file_opens_takes_id_maps_and_is_saved_as_version_3()
    {
        var path = PathOf("old.bmdb");
        using (var store = EmbeddedStore.Open(path, Options()))
        {
            await store.MarkAsync("active", 42, Nov1);
            store.Save();
        }
        // A store without id maps is still written as version 2, so a library that reads only versions 1 and 2 opens it.
        Version(path).ShouldBe(2u);

        using (var store = EmbeddedStore.Open(path, Options()))
        {
            (await store.Month("active", 2026, 11).ToListAsync()).ShouldBe([42L]);
            await store.MarkAsync("active", "alice", Nov1);
            store.Save();
        }
        Version(path).ShouldBe(3u);
        using var reopened = EmbeddedStore.Open(path, Options());
        (await reopened.IdMap("users").FindAsync("alice")).ShouldBe(0u);
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([0L, 42L]);
    }

    [Fact]
    public async Task MemoryBytes_counts_the_id_maps()
    {
        using var store = new EmbeddedStore(Options());
        var before = store.MemoryBytes;
        await store.IdMap("users").GetOrCreateAsync(Users(0, 10_000));
        // Each id: its string (10 characters, 48 bytes) and a slot in the forward and the reverse map (28 bytes each).
        (store.MemoryBytes - before).ShouldBeGreaterThan(10_000 * (48 + 2 * 28));
        store.IdMapMemoryBytes.ShouldBe(store.MemoryBytes - before);
    }

    private static uint Version(string path) => BinaryPrimitives.ReadUInt32LittleEndian(File.ReadAllBytes(path).AsSpan(8));
}
