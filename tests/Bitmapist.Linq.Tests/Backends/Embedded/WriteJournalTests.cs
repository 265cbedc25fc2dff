using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tests.Backends.Embedded;

/// <summary>
/// The embedded store's write journal: acknowledged writes survive without a save, in order; a torn last record
/// is dropped, damage before the end is refused; compaction (explicit and automatic) and its crash points.
/// A crash is simulated by copying the store's two files while the writer still has them open: exactly what
/// <c>kill -9</c> leaves on disk (the process test is in Bitmapist.Linq.Reliability).
/// </summary>
public sealed class WriteJournalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitmapist-journal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static string Journal(string path) => WriteJournal.PathFor(path);

    /// <summary>What a kill -9 of the writer leaves: the snapshot and the journal as they are now, under another name.</summary>
    private string Crash(string path, string name = "crashed.bmdb")
    {
        var copy = PathOf(name);
        File.Copy(path, copy, overwrite: true);
        if (File.Exists(Journal(path))) File.Copy(Journal(path), Journal(copy), overwrite: true);
        else File.Delete(Journal(copy));
        return copy;
    }

    /// <summary>Every key with its id count and a hash of its ids, in key order (short enough to read in a failure).</summary>
    private static async Task<List<string>> Contents(EmbeddedStore store)
    {
        var keys = new List<string>();
        await foreach (var key in store.Backend.ScanAsync("*", default)) keys.Add(key);
        keys.Sort(StringComparer.Ordinal);
        return [.. keys.Select(k => store.Snapshot(k)!.Ids().ToArray()).Zip(keys, (ids, k) =>
            $"{k}: {ids.Length} ids, hash {ids.Aggregate(17L, (h, id) => h * 31 + id)}")];
    }

    private static BitmapMerge Merge(string key, params IEnumerable<uint> ids) => new(key, PagedBitmap.Of(ids));

    /// <summary>A random mix of every write the engine takes (bits set and cleared, dense and sparse merges, deletes) on a few keys.</summary>
    private static async Task RandomWrites(IBitmapBackend a, IBitmapBackend b, int seed, int count)
    {
        var rng = new Random(seed);
        string Key() => "k" + rng.Next(6);
        uint Id() => rng.Next(4) switch { 0 => (uint)rng.Next(200), 1 => (uint)rng.Next(1 << 20), 2 => uint.MaxValue - (uint)rng.Next(3), _ => (uint)rng.Next(70_000) };
        for (var i = 0; i < count; i++)
        {
            switch (rng.Next(10))
            {
                case < 6:
                    var writes = Enumerable.Range(0, rng.Next(1, 5)).Select(_ => new BitWrite(Key(), Id(), rng.Next(4) > 0)).ToArray();
                    await a.WriteBitsAsync(writes, default);
                    await b.WriteBitsAsync(writes, default);
                    break;
                case < 8:
                    // Dense pages (a run of 20,000 ids) and sparse ones, merged into new and existing keys.
                    var from = (uint)rng.Next(1 << 18);
                    var merges = new[]
                    {
                        Merge(Key(), Enumerable.Range(0, rng.Next(2) * 20_000).Select(n => from + (uint)n)),
                        Merge(Key(), Enumerable.Range(0, 50).Select(_ => Id())),
                    };
                    await a.MergeAsync(merges, default);
                    await b.MergeAsync([Merge(merges[0].Key, merges[0].Ids()), Merge(merges[1].Key, merges[1].Ids())], default);
                    break;
                default:
                    string[] gone = [Key(), "missing"];
                    (await a.DeleteAsync(gone, default)).ShouldBe(await b.DeleteAsync(gone, default));
                    break;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Every_acknowledged_write_is_replayed_in_order_without_a_save(int seed)
    {
        var path = PathOf("data.bmdb");
        using var writer = EmbeddedStore.Open(path);
        using var model = new EmbeddedStore();
        await RandomWrites(writer.Backend, model.Backend, seed, 300);
        File.Exists(path).ShouldBeTrue("the first write creates the store file (empty) for its journal");

        using var reopened = EmbeddedStore.Open(Crash(path));
        var expected = await Contents(model);
        expected.Count.ShouldBeGreaterThan(0);
        (await Contents(reopened)).ShouldBe(expected);
        (await Contents(writer)).ShouldBe(expected);
    }

    [Fact]
    public async Task Writes_on_top_of_a_saved_file_are_replayed_over_it_and_a_delete_stays_deleted()
    {
        var path = PathOf("data.bmdb");
        using var writer = EmbeddedStore.Open(path);
        await writer.MarkAsync("active", 1, at: Nov1);
        await writer.MarkAsync("gone", 1, at: Nov1);
        writer.Save();
        writer.JournalBytes.ShouldBe(JournalFormat.HeaderLength);

        await writer.MarkAsync("active", 2, at: Nov1);
        (await writer.DeleteEventsAsync("gone")).ShouldBeGreaterThan(0);
        await writer.MarkAsync("active", 3, at: Nov1);

        using var reopened = EmbeddedStore.OpenReadOnly(Crash(path));
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L, 2L, 3L]);
        (await reopened.ListEventsAsync()).ShouldBe(["active"]);
    }

    [Fact]
    public async Task A_torn_last_record_is_dropped_and_cut_off_by_the_writer_but_left_by_a_reader()
    {
        var path = PathOf("data.bmdb");
        long before;
        using (var writer = EmbeddedStore.Open(path))
        {
            await writer.MarkAsync("active", 1, at: Nov1);
            before = writer.JournalBytes;
            await writer.MarkAsync("active", 2, at: Nov1);
        }
        var whole = await File.ReadAllBytesAsync(Journal(path));
        for (var cut = before; cut < whole.Length; cut++)
        {
            await File.WriteAllBytesAsync(Journal(path), whole[..(int)cut]);
            using (var reader = EmbeddedStore.OpenReadOnly(path))
                (await reader.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L], $"cut at {cut}");
            new FileInfo(Journal(path)).Length.ShouldBe(cut, "a reader never writes");

            using (var writer = EmbeddedStore.Open(path))
            {
                (await writer.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L], $"cut at {cut}");
                writer.JournalBytes.ShouldBe(before);
            }
            new FileInfo(Journal(path)).Length.ShouldBe(before, "the writer cuts the torn record off");
        }
    }

    [Fact]
    public async Task Zeros_after_the_last_record_read_as_a_torn_tail()
    {
        // After a power cut a file system may show the file's new length with zeros where the data did not land.
        var path = PathOf("data.bmdb");
        using (var writer = EmbeddedStore.Open(path)) await writer.MarkAsync("active", 1, at: Nov1);
        await using (var journal = new FileStream(Journal(path), FileMode.Append)) journal.Write(new byte[4096]);
        using var reopened = EmbeddedStore.Open(path);
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L]);
    }

    [Theory]
    [InlineData(0)] // in the frame (the length)
    [InlineData(12)] // in the payload
    public async Task A_damaged_record_before_the_end_is_refused_and_nothing_is_touched(int offsetInRecord)
    {
        var path = PathOf("data.bmdb");
        using (var writer = EmbeddedStore.Open(path))
        {
            await writer.MarkAsync("active", 1, at: Nov1);
            await writer.MarkAsync("active", 2, at: Nov1);
        }
        var journal = await File.ReadAllBytesAsync(Journal(path));
        var snapshot = await File.ReadAllBytesAsync(path);
        journal[JournalFormat.HeaderLength + offsetInRecord] ^= 0x10;
        await File.WriteAllBytesAsync(Journal(path), journal);

        foreach (var open in new Func<EmbeddedStore>[] { () => EmbeddedStore.Open(path), () => EmbeddedStore.OpenReadOnly(path) })
        {
            var e = Should.Throw<EmbeddedStoreFileException>(open);
            e.Message.ShouldContain($"journal '{Journal(path)}' is damaged: record 1 (at byte {JournalFormat.HeaderLength})");
            e.Message.ShouldContain("move the journal away");
        }
        (await File.ReadAllBytesAsync(Journal(path))).ShouldBe(journal);
        (await File.ReadAllBytesAsync(path)).ShouldBe(snapshot);

        // The failed open released the writer lock; without the journal the last saved snapshot opens.
        File.Move(Journal(path), PathOf("kept.journal"));
        using var reopened = EmbeddedStore.Open(path, new StoreOptions { FileLockTimeout = TimeSpan.Zero });
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_damaged_header_or_a_file_that_is_not_a_journal_is_refused()
    {
        var path = PathOf("data.bmdb");
        using (var writer = EmbeddedStore.Open(path)) await writer.MarkAsync("active", 1, at: Nov1);
        var journal = await File.ReadAllBytesAsync(Journal(path));
        journal[20] ^= 1;
        await File.WriteAllBytesAsync(Journal(path), journal);
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.Open(path)).Message.ShouldContain("its header does not check");

        await File.WriteAllTextAsync(Journal(path), "this is some other file, long enough to hold a header");
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.OpenReadOnly(path)).Message.ShouldContain("is not an embedded store journal");
        (await File.ReadAllTextAsync(Journal(path))).ShouldStartWith("this is some other file");
    }

    [Fact]
    public async Task Save_compacts_the_journal_into_the_file()
    {
        var path = PathOf("data.bmdb");
        using var writer = EmbeddedStore.Open(path);
        for (var id = 0; id < 50; id++) await writer.MarkAsync("active", id, at: Nov1);
        writer.JournalBytes.ShouldBeGreaterThan(50 * 20);
        writer.Save();
        writer.JournalBytes.ShouldBe(JournalFormat.HeaderLength);
        new FileInfo(Journal(path)).Length.ShouldBe(JournalFormat.HeaderLength);
        await writer.MarkAsync("active", 50, at: Nov1);

        using var reopened = EmbeddedStore.Open(Crash(path));
        (await reopened.Month("active", 2026, 11).CountAsync()).ShouldBe(51);
    }

    [Fact]
    public async Task A_write_compacts_once_the_journal_outgrows_the_threshold_and_the_file()
    {
        var path = PathOf("data.bmdb");
        using var writer = EmbeddedStore.Open(path, new StoreOptions { JournalCompactionBytes = 4096 });
        var compactions = 0;
        var last = 0L;
        for (var id = 0; id < 400; id++)
        {
            await writer.MarkAsync("active", id, at: Nov1);
            if (writer.JournalBytes < last) compactions++;
            last = writer.JournalBytes;
            // Never much past the larger of the threshold and the file (one page per key here, about 25 KB).
            last.ShouldBeLessThan(Math.Max(4096, new FileInfo(path).Length) + 200);
        }
        compactions.ShouldBeGreaterThanOrEqualTo(2);

        using var reopened = EmbeddedStore.Open(Crash(path));
        (await reopened.Month("active", 2026, 11).CountAsync()).ShouldBe(400);
    }

    [Fact]
    public async Task A_crash_between_the_file_rewrite_and_the_journal_reset_loses_nothing()
    {
        var path = PathOf("data.bmdb");
        using var writer = EmbeddedStore.Open(path);
        await writer.MarkAsync("active", 1, at: Nov1);
        await writer.DeleteEventsAsync("active");
        await writer.MarkAsync("active", 2, at: Nov1);
        await writer.MarkAsync("active", 3, at: Nov1);
        var oldJournal = await File.ReadAllBytesAsync(Journal(path));
        writer.Save();
        var newHeader = await File.ReadAllBytesAsync(Journal(path));

        // The new file with the old journal (renamed, header not yet rewritten): the journal is stale and dropped.
        var renamed = Crash(path, "renamed.bmdb");
        await File.WriteAllBytesAsync(Journal(renamed), oldJournal);
        using (var store = EmbeddedStore.Open(renamed))
            (await store.Month("active", 2026, 11).ToListAsync()).ShouldBe([2L, 3L]);
        File.Exists(Journal(renamed)).ShouldBeFalse("a stale journal is removed by the writer");

        // The new header over the old records (rewritten, not yet cut): they are replayed again, changing nothing.
        var rewritten = Crash(path, "rewritten.bmdb");
        await File.WriteAllBytesAsync(Journal(rewritten), [.. newHeader, .. oldJournal.AsSpan(JournalFormat.HeaderLength)]);
        using (var store = EmbeddedStore.OpenReadOnly(rewritten))
            (await store.Month("active", 2026, 11).ToListAsync()).ShouldBe([2L, 3L]);
    }

    [Fact]
    public async Task Id_map_records_replayed_over_a_file_that_holds_them_change_nothing()
    {
        var path = PathOf("maps.bmdb");
        var options = new StoreOptions { IdMap = "users" };
        using var writer = EmbeddedStore.Open(path, options);
        var map = writer.IdMap("users");
        var lane = map.Lanes[0];
        await map.GetOrCreateAsync(["alice", "bob"]);
        await map.Backend().BeginEraseAsync(lane, "alice", default);
        await map.Backend().EndEraseAsync(lane, "alice", 0, default);
        await map.GetOrCreateAsync(["alice"]); // mapped again after its erasure: a new id
        await map.Backend().BeginEraseAsync(lane, "bob", default); // left in progress
        async Task<string> State(EmbeddedStore store)
        {
            var m = store.IdMap("users");
            var pending = await m.Backend().PendingErasuresAsync(lane, default);
            return $"{string.Join(",", await m.FindAsync(["alice", "bob"]))} | {string.Join(",", await m.FindExternalAsync([0, 1, 2]))} | " +
                   $"{(await m.CountAsync()).Allocated} | {string.Join(",", pending)}";
        }
        const string expected = "2, | ,bob,alice | 3 | (bob, 1)";
        (await State(writer)).ShouldBe(expected);
        var oldJournal = await File.ReadAllBytesAsync(Journal(path));
        writer.Save();
        var newHeader = await File.ReadAllBytesAsync(Journal(path));

        // The new header over the old records (rewritten, not yet cut): every record replayed again over the file.
        var rewritten = Crash(path, "rewritten.bmdb");
        await File.WriteAllBytesAsync(Journal(rewritten), [.. newHeader, .. oldJournal.AsSpan(JournalFormat.HeaderLength)]);
        using (var store = EmbeddedStore.Open(rewritten, options))
            (await State(store)).ShouldBe(expected);
        using (var store = EmbeddedStore.OpenReadOnly(rewritten, options))
            (await State(store)).ShouldBe(expected);
    }

    [Fact]
    public async Task A_journal_left_beside_a_file_moved_away_does_not_come_back()
    {
        var path = PathOf("data.bmdb");
        using (var writer = EmbeddedStore.Open(path)) await writer.MarkAsync("active", 1, at: Nov1);
        File.Delete(path); // "move it away to start empty", leaving the journal behind
        using var fresh = EmbeddedStore.Open(path);
        (await fresh.ListEventsAsync()).ShouldBeEmpty();
        await fresh.MarkAsync("other", 5, at: Nov1);
        using var reopened = EmbeddedStore.OpenReadOnly(Crash(path));
        (await reopened.ListEventsAsync()).ShouldBe(["other"]);
    }

    [Fact]
    public async Task A_reader_sees_the_writers_acknowledged_writes_and_never_writes()
    {
        var path = PathOf("data.bmdb");
        using var writer = EmbeddedStore.Open(path);
        await writer.MarkAsync("active", 7, at: Nov1);
        var journal = await File.ReadAllBytesAsync(Journal(path));
        var snapshot = await File.ReadAllBytesAsync(path);
        using (var reader = EmbeddedStore.OpenReadOnly(path))
        {
            (await reader.Month("active", 2026, 11).ToListAsync()).ShouldBe([7L]);
            reader.JournalBytes.ShouldBe(0);
        }
        (await File.ReadAllBytesAsync(Journal(path))).ShouldBe(journal);
        (await File.ReadAllBytesAsync(path)).ShouldBe(snapshot);
    }

    [Theory]
    [InlineData("EveryBatch")]
    [InlineData("Every")]
    [InlineData("Off")]
    public async Task Every_sync_policy_hands_each_write_to_the_file_before_it_returns(string policy)
    {
        var sync = policy switch { "EveryBatch" => JournalSync.EveryBatch, "Every" => JournalSync.Every(TimeSpan.FromMilliseconds(50)), _ => JournalSync.Off };
        var path = PathOf("data.bmdb");
        using var writer = EmbeddedStore.Open(path, new StoreOptions { JournalSync = sync });
        var import = writer.CreateBulkImport();
        await import.AddAsync("bulk", 3, Nov1);
        await import.FlushAsync();
        await writer.MarkAsync("active", 4, at: Nov1);
        using var reopened = EmbeddedStore.OpenReadOnly(Crash(path));
        (await reopened.Month("bulk", 2026, 11).ToListAsync()).ShouldBe([3L]);
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([4L]);
    }

    [Fact]
    public void The_sync_policies_print_and_refuse_a_period_that_is_not_positive()
    {
        JournalSync.EveryBatch.ToString().ShouldBe("EveryBatch");
        JournalSync.Every(TimeSpan.FromMilliseconds(250)).ToString().ShouldBe("Every(250 ms)");
        JournalSync.Off.ToString().ShouldBe("Off");
        Should.Throw<ArgumentOutOfRangeException>(() => JournalSync.Every(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_memory_only_store_and_SaveAs_write_no_journal()
    {
        using var store = new EmbeddedStore();
        await store.MarkAsync("active", 1, at: Nov1);
        store.JournalBytes.ShouldBe(0);
        var copy = PathOf("copy.bmdb");
        store.SaveAs(copy);
        File.Exists(Journal(copy)).ShouldBeFalse();
        using var reopened = EmbeddedStore.OpenReadOnly(copy);
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L]);
    }

    [Fact]
    public async Task Opening_without_writing_creates_no_file()
    {
        var path = PathOf("data.bmdb");
        using (var store = EmbeddedStore.Open(path)) (await store.ListEventsAsync()).ShouldBeEmpty();
        File.Exists(path).ShouldBeFalse();
        File.Exists(Journal(path)).ShouldBeFalse();
    }

    private static readonly DateTime Nov1 = new(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
}
