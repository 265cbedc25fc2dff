using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tests.Statements;

/// <summary>Ids mapped back to external ids: one lookup per page of ids, never one per id, streamed page by page.</summary>
public class MappedIdsTests
{
    private static async IAsyncEnumerable<long> Ids(int n)
    {
        for (var i = 0; i < n; i++)
        {
            await Task.Yield();
            yield return i * 3;
        }
    }

    [Theory]
    [InlineData(0, 4, 0)]
    [InlineData(3, 4, 1)]
    [InlineData(4, 4, 1)]
    [InlineData(10, 4, 3)]
    [InlineData(9000, IdsResult.MapPageSize, 3)]
    public async Task One_lookup_per_page(int ids, int pageSize, int lookups)
    {
        var calls = new List<int>();
        Task<string?[]> LookUp(IReadOnlyList<uint> page, CancellationToken ct)
        {
            calls.Add(page.Count);
            // every third id has no external id
            return Task.FromResult(page.Select(id => id % 9 == 0 ? null : "u" + id).ToArray());
        }
        var mapped = await IdsResult.MapAsync(Ids(ids), LookUp, pageSize).ToListAsync();
        calls.Count.ShouldBe(lookups);
        calls.ShouldAllBe(c => c <= pageSize);
        mapped.Select(m => m.Id).ShouldBe(Enumerable.Range(0, ids).Select(i => (long)i * 3));
        mapped.ShouldAllBe(m => m.ExternalId == (m.Id % 9 == 0 ? null : "u" + m.Id));
    }

    [Fact]
    public async Task The_first_page_is_yielded_before_the_rest_is_read()
    {
        var read = 0;
        async IAsyncEnumerable<long> Counting()
        {
            for (var i = 0; i < 100; i++)
            {
                read++;
                await Task.Yield();
                yield return i;
            }
        }
        await foreach (var _ in IdsResult.MapAsync(Counting(), (page, _) => Task.FromResult(new string?[page.Count]), 10))
        {
            read.ShouldBe(10); // one page held, not the list
            break;
        }
    }

    [Fact]
    public async Task A_store_with_an_id_map_maps_ids_back_and_shows_unmapped_ones_by_number()
    {
        var store = new EmbeddedStore(new StoreOptions { IdMap = "users" });
        await store.MarkAsync("active", "zed");
        await store.MarkAsync("active", "amy");
        await store.MarkAsync("active", 1000);
        var result = (IdsResult)await new StatementExecutor(store).ExecuteAsync(Bitmapist.Linq.Text.TextQuery.Parse("ids month(active)").Single());
        var mapped = await result.MappedIds.ToListAsync();
        // in order of internal id: zed was mapped first, so it comes before amy
        mapped.Select(m => m.Display).ShouldBe(["zed", "amy", "#1000"]);
        (await result.Ids.ToListAsync()).ShouldBe([0, 1, 1000]); // the internal ids, as before
        new MappedId(5, "a\nb").Display.ShouldBe("a\\nb");
    }
}
