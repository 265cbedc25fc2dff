using System.Runtime.CompilerServices;

namespace Bitmapist.Linq;

// The paging model shared with the text language's ids statement (Paging): reads of one page of this set.
public sealed partial class UserSet
{
    /// <summary>
    /// The ids of one page of this set, ascending, streamed: those after <see cref="Paging.After"/>, the first
    /// <see cref="Paging.Skip"/> of them skipped, then at most <see cref="Paging.Limit"/> (after this set's own
    /// <see cref="Skip"/> and <see cref="Take"/>, when it has them). The same page as the text statement
    /// <c>ids SET limit N after ID</c>. Reading stops as soon as the page is full.
    /// </summary>
    /// <param name="paging">The page.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    public async IAsyncEnumerable<long> PageIdsAsync(Paging paging, [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (paging.IsEmpty) yield break; // nothing to read: not even a round trip
        int skipped = 0, taken = 0;
        await foreach (var id in IdsAsync(paging.From, ct).ConfigureAwait(false))
        {
            if (skipped < paging.Skip)
            {
                skipped++;
                continue;
            }
            yield return id;
            if (++taken == paging.Limit) yield break;
        }
    }

    /// <summary>
    /// Reads one page of ids (<see cref="PageIdsAsync(Paging, CancellationToken)"/>) and whether more follow: one id
    /// past the limit is read to tell, so <see cref="IdsPage.Next"/> is null exactly when the set has no id after the page.
    /// </summary>
    /// <param name="paging">The page; with no limit it is every id that follows, and with a limit of 0 it is empty: <see cref="IdsPage.Next"/> is null for both.</param>
    /// <param name="ct">Cancels the read.</param>
    public async Task<IdsPage> PageAsync(Paging paging, CancellationToken ct = default)
    {
        var ids = new List<long>();
        if (paging.IsEmpty) return new IdsPage(ids, null);
        // The same ids without the limit, stopped one past it.
        await foreach (var id in PageIdsAsync(new Paging(null, paging.After, paging.Skip), ct).ConfigureAwait(false))
        {
            if (ids.Count == paging.Limit) return new IdsPage(ids, paging.Next(ids[^1]));
            ids.Add(id);
        }
        return new IdsPage(ids, null);
    }
}
