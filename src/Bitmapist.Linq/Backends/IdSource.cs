using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Backends;

/// <summary>
/// The members of a query result, streamed in ascending order. Owns whatever holds the result (a leased
/// temporary key on Redis), released on dispose.
/// </summary>
public abstract class IdSource : IAsyncDisposable
{
    /// <summary>
    /// The ids from <paramref name="from"/> on, a page (an array, ascending) at a time: consumers loop over
    /// arrays instead of paying an async step per id (that cost ~90 ns per id; docs/performance.md, suite 2).
    /// </summary>
    public abstract IAsyncEnumerable<uint[]> PagesAsync(uint from, CancellationToken ct);

    /// <summary>The largest member, or null when there is none.</summary>
    public abstract Task<uint?> MaxAsync(CancellationToken ct);

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>The members of <paramref name="ids"/> (any order, duplicates allowed), held in memory.</summary>
    public static IdSource Of(IEnumerable<uint> ids) => new BitmapIdSource(PagedBitmap.Of(ids));

    /// <summary>No members.</summary>
    public static IdSource Empty => new BitmapIdSource(new PagedBitmap());
}

/// <summary>Ids of a bitmap already in memory (the embedded store, or a value fetched with GET).</summary>
internal sealed class BitmapIdSource(PagedBitmap bitmap) : IdSource
{
    private const int PageSize = 1 << 16;

    public override async IAsyncEnumerable<uint[]> PagesAsync(uint from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var page = new uint[PageSize];
        var n = 0;
        foreach (var id in bitmap.Ids(from))
        {
            page[n++] = id;
            if (n < PageSize) continue;
            ct.ThrowIfCancellationRequested();
            yield return page;
            page = new uint[PageSize];
            n = 0;
            await Task.Yield(); // a long enumeration does not monopolise a thread
        }
        if (n > 0) yield return page[..n];
    }

    public override Task<uint?> MaxAsync(CancellationToken ct) => Task.FromResult(bitmap.Max());
}
