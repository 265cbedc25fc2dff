using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// The members of a query result, streamed in ascending order. Owns whatever holds the result (a leased
/// temporary key on Redis), released on dispose.
/// </summary>
internal abstract class IdSource : IAsyncDisposable
{
    public abstract IAsyncEnumerable<uint> IdsAsync(uint from, CancellationToken ct);

    public abstract Task<uint?> MaxAsync(CancellationToken ct);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Ids of a bitmap already in memory (the embedded store, or a value fetched with GET).</summary>
internal sealed class BitmapIdSource(PagedBitmap bitmap) : IdSource
{
    public override async IAsyncEnumerable<uint> IdsAsync(uint from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var n = 0;
        foreach (var id in bitmap.Ids(from))
        {
            ct.ThrowIfCancellationRequested();
            if ((++n & 0xFFFF) == 0) await Task.Yield(); // a long enumeration does not monopolise a thread
            yield return id;
        }
    }

    public override Task<uint?> MaxAsync(CancellationToken ct) => Task.FromResult(bitmap.Max());
}
