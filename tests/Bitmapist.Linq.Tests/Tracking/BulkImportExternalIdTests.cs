using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tests.Tracking;

/// <summary>
/// Bulk import by external id: batches are mapped while the next one is added, and a user's later records use the id
/// the import remembered. Whatever the path, every record lands on its id's bit and no external id gets two internal ids.
/// </summary>
public sealed class BulkImportExternalIdTests
{
    private static readonly DateTime Day = new(2026, 11, 28, 10, 0, 0);

    [Fact]
    public async Task Every_record_lands_on_its_ids_bit_through_new_returning_and_mixed_batches()
    {
        using var store = new EmbeddedStore(new StoreOptions { IdMap = "users" });
        // Batches of 10: returning users first, then new ones, then a mix, then unique flags, with repeats inside
        // batches and a batch left over for the flush.
        await store.IdMap("users").GetOrCreateAsync([.. Enumerable.Range(0, 40).Select(i => $"old-{i}")]);
        var records = new List<(string Event, string Id, bool Unique)>();
        records.AddRange(Enumerable.Range(0, 40).Select(i => ("active", $"old-{i}", false)));
        records.AddRange(Enumerable.Range(0, 150).Select(i => ("active", $"new-{i / 2}", false))); // each new id twice
        records.AddRange(Enumerable.Range(0, 60).Select(i => ("signup", i % 2 == 0 ? $"old-{i}" : $"mixed-{i}", false)));
        records.AddRange(Enumerable.Range(0, 25).Select(i => ("premium", $"new-{i}", true)));
        records.Add(("active", "last", false));

        var import = new Bitmapist.Linq.Tracking.BulkImport(store, progress: null) { MapBatchSize = 10 };
        foreach (var (name, id, unique) in records)
        {
            if (unique) await import.AddUniqueAsync(name, id);
            else await import.AddAsync(name, id, Day);
        }
        await import.FlushAsync();
        import.Added.ShouldBe(records.Count);

        var map = store.IdMap("users");
        var distinct = records.Select(r => r.Id).Distinct().ToArray();
        var ids = await map.FindAsync(distinct);
        ids.ShouldAllBe(id => id != null);
        ids.Distinct().Count().ShouldBe(distinct.Length); // one internal id per external id...
        (await map.CountAsync()).Allocated.ShouldBe(distinct.Length); // ...and none handed out twice
        var idOf = distinct.Zip(ids).ToDictionary(p => p.First, p => (long)p.Second!.Value);
        long[] Expected(string name, bool unique) => [.. records.Where(r => r.Event == name && r.Unique == unique).Select(r => idOf[r.Id]).Distinct().Order()];
        (await store.Day("active", 2026, 11, 28).ToListAsync()).ShouldBe(Expected("active", false));
        (await store.Day("signup", 2026, 11, 28).ToListAsync()).ShouldBe(Expected("signup", false));
        (await store.Unique("premium").ToListAsync()).ShouldBe(Expected("premium", true));
    }
}
