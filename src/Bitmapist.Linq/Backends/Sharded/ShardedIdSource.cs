using System.Runtime.CompilerServices;

namespace Bitmapist.Linq.Backends.Sharded;

/// <summary>
/// The members of a set spread over shards, gathered in ascending id order: each shard's members (offsets) plus the
/// shard's first id, shard after shard. Paging from id N starts in N's shard. Disposing it disposes every shard's
/// source (their leased results).
/// </summary>
internal sealed class ShardedIdSource(IReadOnlyList<(uint Base, IdSource Source)> shards, ShardMap map) : IdSource
{
    /// <inheritdoc />
    public override async IAsyncEnumerable<uint[]> PagesAsync(uint from, [EnumeratorCancellation] CancellationToken ct)
    {
        var firstShard = map.ShardOf(from);
        foreach (var (start, source) in shards)
        {
            var shard = map.ShardOf(start);
            if (shard < firstShard) continue;
            var offset = shard == firstShard ? map.OffsetOf(from) : 0;
            await foreach (var page in source.PagesAsync(offset, ct).ConfigureAwait(false))
            {
                if (page.Length == 0) continue;
                var ids = new uint[page.Length];
                for (var i = 0; i < page.Length; i++) ids[i] = start + page[i];
                yield return ids;
            }
        }
    }

    /// <inheritdoc />
    public override async Task<uint?> MaxAsync(CancellationToken ct)
    {
        for (var i = shards.Count - 1; i >= 0; i--)
            if (await shards[i].Source.MaxAsync(ct).ConfigureAwait(false) is { } max)
                return shards[i].Base + max;
        return null;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        List<Exception>? errors = null;
        foreach (var (_, source) in shards)
        {
            try
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                (errors ??= []).Add(e);
            }
        }
        if (errors is [var only]) throw only;
        if (errors is not null) throw new AggregateException(errors);
    }
}
