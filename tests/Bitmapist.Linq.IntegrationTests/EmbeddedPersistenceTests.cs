using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>The embedded store's single file: round trips, atomic replace, and damaged files refused without loss.</summary>
public sealed class EmbeddedPersistenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitmapist-store-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public async Task A_saved_store_reads_back_identically()
    {
        var path = PathOf("data.bmdb");
        using (var store = EmbeddedStore.Open(path))
        {
            await Sample.SampleData.GenerateAsync(store, new Sample.SampleDataOptions(Users: 2000, Days: 30, End: new DateTime(2026, 11, 28)));
            await store.MarkAsync("edge", Model.UserIds.Max, new DateTime(2026, 11, 28));
            store.HasUnsavedChanges.ShouldBeTrue();
            store.Save();
            store.HasUnsavedChanges.ShouldBeFalse();
        }
        File.Exists(path + ".tmp").ShouldBeFalse();

        using var reopened = EmbeddedStore.Open(path);
        using var fresh = new EmbeddedStore();
        await Sample.SampleData.GenerateAsync(fresh, new Sample.SampleDataOptions(Users: 2000, Days: 30, End: new DateTime(2026, 11, 28)));
        (await reopened.ListEventsAsync()).ShouldBe(["active", "edge", "premium", "signup", "song:played"]);
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe(await fresh.Month("active", 2026, 11).ToListAsync());
        (await reopened.Day("edge", 2026, 11, 28).ToListAsync()).ShouldBe([Model.UserIds.Max]);
        reopened.KeyCount.ShouldBe(fresh.KeyCount + 3);
    }

    [Fact]
    public async Task A_truncated_or_altered_file_is_refused_and_left_untouched()
    {
        var path = PathOf("data.bmdb");
        using (var store = EmbeddedStore.Open(path))
        {
            await store.MarkAsync("active", 42);
            store.Save();
        }
        var good = await File.ReadAllBytesAsync(path);

        await File.WriteAllBytesAsync(path, good[..(good.Length / 2)]);
        var e = Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.Open(path));
        e.Message.ShouldContain("damaged");
        e.Message.ShouldContain(path);
        (await File.ReadAllBytesAsync(path)).Length.ShouldBe(good.Length / 2, "a damaged file is never overwritten");

        var flipped = (byte[])good.Clone();
        flipped[flipped.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(path, flipped);
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.Open(path)).Message.ShouldContain("checksum");

        await File.WriteAllTextAsync(path, "{\"not\": \"a store\"}");
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.Open(path)).Message.ShouldContain("header");
    }

    [Fact]
    public async Task Saving_replaces_the_file_atomically()
    {
        var path = PathOf("data.bmdb");
        using var store = EmbeddedStore.Open(path);
        await store.MarkAsync("active", 1);
        store.Save();
        var first = await File.ReadAllBytesAsync(path);
        await store.MarkAsync("active", 2);
        // A stale temporary from a crashed save does not matter: it is overwritten, then renamed.
        await File.WriteAllTextAsync(path + ".tmp", "half a write");
        store.Save();
        File.Exists(path + ".tmp").ShouldBeFalse();
        (await File.ReadAllBytesAsync(path)).ShouldNotBe(first);
        using var reopened = EmbeddedStore.OpenReadOnly(path); // the writer above still holds the file
        (await reopened.Month("active").CountAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task Disposing_without_saving_keeps_the_file_as_it_was_and_the_journal_keeps_the_marks()
    {
        var path = PathOf("data.bmdb");
        using (var store = EmbeddedStore.Open(path))
        {
            await store.MarkAsync("active", 1, at: Nov1);
            store.Save();
        }
        var saved = await File.ReadAllBytesAsync(path);
        using (var store = EmbeddedStore.Open(path)) await store.MarkAsync("active", 2, at: Nov1);
        (await File.ReadAllBytesAsync(path)).ShouldBe(saved, "disposing does not rewrite the file");
        using var reopened = EmbeddedStore.OpenReadOnly(path);
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L, 2L], "an acknowledged mark is durable without a save");
    }

    [Fact]
    public void A_memory_only_store_cannot_save_without_a_path()
    {
        using var store = new EmbeddedStore();
        Should.Throw<InvalidOperationException>(() => store.Save()).Message.ShouldContain("SaveAs");
    }

    [Fact]
    public async Task A_second_writer_waits_for_the_first_and_starts_from_its_saved_data()
    {
        var path = PathOf("shared.bmdb");
        var first = EmbeddedStore.Open(path);
        await first.MarkAsync("active", 1, at: Nov1);

        // Opened while the first writer holds the file: it must wait, then load what the first one saved.
        var second = Task.Run(() => EmbeddedStore.Open(path, new StoreOptions { FileLockTimeout = TimeSpan.FromSeconds(30) }));
        await Task.Delay(200);
        second.IsCompleted.ShouldBeFalse("the second writer got in while the first still held the file");
        first.Save();
        first.Dispose();

        using (var store = await second)
        {
            (await store.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L]);
            await store.MarkAsync("active", 2, at: Nov1);
            store.Save();
        }
        using var reopened = EmbeddedStore.OpenReadOnly(path);
        (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([1L, 2L]);
    }

    [Fact]
    public void A_writer_that_waits_past_the_timeout_gets_a_clear_error_and_changes_nothing()
    {
        var path = PathOf("busy.bmdb");
        using var holder = EmbeddedStore.Open(path);
        var e = Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.Open(path, new StoreOptions { FileLockTimeout = TimeSpan.FromMilliseconds(300) }));
        e.Message.ShouldContain("being written by another process");
        e.Message.ShouldContain("Nothing was changed");
        File.Exists(path).ShouldBeFalse();
    }

    [Fact]
    public async Task A_reader_opens_while_a_writer_holds_the_file_and_sees_every_acknowledged_mark()
    {
        var path = PathOf("read.bmdb");
        using var writer = EmbeddedStore.Open(path);
        await writer.MarkAsync("active", 7, at: Nov1);
        writer.Save();
        await writer.MarkAsync("active", 8, at: Nov1); // not saved, but in the journal

        using var reader = EmbeddedStore.OpenReadOnly(path);
        (await reader.Month("active", 2026, 11).ToListAsync()).ShouldBe([7L, 8L]);
        Should.Throw<InvalidOperationException>(() => reader.Save()).Message.ShouldContain("read-only");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Saving_keeps_the_files_mode_and_owner()
    {
        var path = PathOf("mode.bmdb");
        using (var store = EmbeddedStore.Open(path))
        {
            await store.MarkAsync("active", 1);
            store.Save();
        }
        const UnixFileMode readOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(path, readOnly);
        var root = Environment.IsPrivilegedProcess;
        if (root) Chown(path, 4242, 4343); // only root may give a file away; others keep their own files

        using (var store = EmbeddedStore.Open(path))
        {
            await store.MarkAsync("active", 2);
            store.Save();
        }
        File.GetUnixFileMode(path).ShouldBe(readOnly);
        if (root) UnixFileOwnership.Stat(path).ShouldBe((4242u, 4343u, true));
    }

    [Fact]
    public void A_directory_or_a_device_is_refused_clearly_and_nothing_is_left_behind()
    {
        var dir = PathOf("adir");
        Directory.CreateDirectory(dir);
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.Open(dir)).Message.ShouldContain("is a directory");
        using (var store = new EmbeddedStore())
            Should.Throw<EmbeddedStoreFileException>(() => store.SaveAs(dir)).Message.ShouldContain("is a directory");
        File.Exists(dir + ".tmp").ShouldBeFalse();

        if (!File.Exists("/dev/full")) return;
        // Reading /dev/full never ends (zeros forever): it must be refused before it is read.
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStore.OpenReadOnly("/dev/full")).Message.ShouldContain("not a regular file");
    }

    private static readonly DateTime Nov1 = new(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);

    private static void Chown(string path, int uid, int gid)
    {
        using var chown = System.Diagnostics.Process.Start("chown", [$"{uid}:{gid}", path])!;
        chown.WaitForExit();
        chown.ExitCode.ShouldBe(0);
    }
}
