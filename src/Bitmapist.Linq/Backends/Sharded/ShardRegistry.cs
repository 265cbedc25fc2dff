using System.Collections.Immutable;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Sharded;

/// <summary>
/// Which shards may hold data: a bitmap key with bit s set before the first write into shard s (so a query that
/// reads it after a write was acknowledged sees the shard), kept in the store itself through the back end and
/// cached here. Bits are only ever added, so the cache is never wrong, only possibly behind another process's
/// writes: queries read the registry in the same round as the shards they already know and visit any shard it adds.
/// </summary>
internal sealed class ShardRegistry(IBitmapBackend root, ShardMap map)
{
    private ImmutableSortedSet<uint> _known = [];

    /// <summary>The shards known to hold data, ascending.</summary>
    public ImmutableSortedSet<uint> Known => Volatile.Read(ref _known);

    /// <summary>
    /// Reads the registry from the store; returns every shard known now (the cache grows to include them). Bits are
    /// only ever added, so the registry changed exactly when its count differs from the cache's: a BITCOUNT (a few bytes
    /// back) decides, and only a changed registry is read whole (at k = 8 it can be 2 MiB).
    /// </summary>
    public async Task<ImmutableSortedSet<uint>> RefreshAsync(CancellationToken ct)
    {
        var known = Known;
        var count = new ProgramRead(0, Operand.Stored(map.RegistryKey), ReadKind.Count);
        var counted = await root.RunAsync(new BatchProgram([], [count], 0, root.Profile) { Description = "shard registry count" }, ct).ConfigureAwait(false);
        if (counted[0].Integer == known.Count) return known;
        var read = new ProgramRead(0, Operand.Stored(map.RegistryKey), ReadKind.Ids);
        var program = new BatchProgram([], [read], 0, root.Profile) { Description = "shard registry read" };
        var results = await root.RunAsync(program, ct).ConfigureAwait(false);
        var found = new List<uint>();
        await using (var ids = results[0].Ids!)
            await foreach (var page in ids.PagesAsync(0, ct).ConfigureAwait(false))
                found.AddRange(page);
        return Add(found);
    }

    /// <summary>Records in the store that <paramref name="shards"/> hold data, before anything is written into them.</summary>
    public async Task EnsureAsync(IEnumerable<uint> shards, CancellationToken ct)
    {
        var known = Known;
        var missing = shards.Where(s => !known.Contains(s)).Distinct().ToArray();
        if (missing.Length == 0) return;
        // An atomic batch of SETBITs on one key: idempotent, so writers racing to add the same shard agree.
        await root.WriteBitsAsync([.. missing.Select(s => new BitWrite(map.RegistryKey, s, true))], ct).ConfigureAwait(false);
        Add(missing);
    }

    private ImmutableSortedSet<uint> Add(IEnumerable<uint> shards)
    {
        while (true)
        {
            var before = Known;
            var after = before.Union(shards);
            if (ReferenceEquals(before, after) || Interlocked.CompareExchange(ref _known, after, before) == before) return after;
        }
    }
}
