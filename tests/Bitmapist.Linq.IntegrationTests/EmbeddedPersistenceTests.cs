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
        using var reopened = EmbeddedStore.Open(path + "");
        (await reopened.Month("active").CountAsync()).ShouldBe(2);
    }

    [Fact]
    public async Task Disposing_without_saving_keeps_the_file_as_it_was()
    {
        var path = PathOf("data.bmdb");
        using (var store = EmbeddedStore.Open(path))
        {
            await store.MarkAsync("active", 1);
            store.Save();
        }
        var saved = await File.ReadAllBytesAsync(path);
        using (var store = EmbeddedStore.Open(path)) await store.MarkAsync("active", 2); // e.g. a failed import
        (await File.ReadAllBytesAsync(path)).ShouldBe(saved);
    }

    [Fact]
    public void A_memory_only_store_cannot_save_without_a_path()
    {
        using var store = new EmbeddedStore();
        Should.Throw<InvalidOperationException>(() => store.Save()).Message.ShouldContain("SaveAs");
    }
}
