using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IdMapping;

/// <summary>
/// Copies id maps from one store into another (a <see cref="Migration.LayoutMigration"/>): every mapping keeps its
/// internal id, since the bits copied with it are those ids. When the layouts differ, the destination's lanes are not
/// the source's: an entry's forward mapping goes to the lane its external id hashes to, its reverse mapping to the lane
/// whose shards hold its id, and each lane's counter is moved past the ids copied into its shards, so no copied id is
/// ever handed out again. Re-running a copy is safe (entries already there are kept).
/// </summary>
internal static class IdMapCopy
{
    private const int BatchSize = 10_000;

    /// <summary>The names of the id maps <paramref name="store"/> holds (one SCAN of <c>{prefix}bitop_idmap:*</c>).</summary>
    public static async Task<IReadOnlyList<string>> MapNamesAsync(BitmapStore store, CancellationToken ct)
    {
        var prefix = $"{store.Keys.Prefix}bitop_idmap:";
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var key in store.ScanAsync(KeyScheme.EscapeGlob(prefix) + "*", ct).ConfigureAwait(false))
        {
            // {prefix}bitop_idmap:{name}:{lane}:{part}; a name has no ':' (IdMap.ValidateName).
            var rest = key.AsSpan(prefix.Length);
            if (rest.IndexOf(':') is > 0 and var colon) names.Add(rest[..colon].ToString());
        }
        return [.. names];
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/>; returns the mappings copied.</summary>
    /// <exception cref="BitmapistStoreException">The source has erasures in progress (finish them first), or the
    /// destination maps an external id to another internal id (nothing of that batch was written).</exception>
    public static async Task<long> CopyAsync(IdMap source, IdMap destination, CancellationToken ct)
    {
        var from = source.Backend();
        var to = destination.Backend();
        foreach (var lane in source.Lanes)
            if ((await from.PendingErasuresAsync(lane, ct).ConfigureAwait(false)) is { Count: > 0 } pending)
                throw new BitmapistStoreException(
                    $"The id map '{source.Name}' has {pending.Count} erasure(s) in progress (e.g. '{pending[0].ExternalId}'): copying it would copy a " +
                    "user being erased. Finish them first (IdMap.ResumeErasuresAsync; the CLI's bitmapist erase --resume), then migrate.");
        long copied = 0;
        var batch = new List<(string ExternalId, uint Id)>(BatchSize);
        foreach (var lane in source.Lanes)
        {
            await foreach (var entry in from.ScanMappingsAsync(lane, ct).ConfigureAwait(false))
            {
                batch.Add(entry);
                if (batch.Count < BatchSize) continue;
                copied += await AddAsync(destination, to, batch, ct).ConfigureAwait(false);
                batch.Clear();
            }
        }
        if (batch.Count > 0) copied += await AddAsync(destination, to, batch, ct).ConfigureAwait(false);
        return copied;
    }

    private static async Task<int> AddAsync(IdMap destination, Backends.IIdMapBackend to, List<(string ExternalId, uint Id)> batch, CancellationToken ct)
    {
        var lanes = new Dictionary<Backends.IdMapLane, (List<(string, uint)> Forward, List<(uint, string)> Reverse, long Floor)>();
        (List<(string, uint)> Forward, List<(uint, string)> Reverse, long Floor) Of(Backends.IdMapLane lane) =>
            lanes.TryGetValue(lane, out var parts) ? parts : lanes[lane] = ([], [], 0);
        foreach (var (externalId, id) in batch)
        {
            Of(destination.LaneOf(externalId)).Forward.Add((externalId, id));
            var home = destination.LaneOf(id) ?? throw new BitmapistStoreException(
                $"The internal id {id} of '{externalId}' is not one the destination's id map can hold.");
            var parts = Of(home);
            parts.Reverse.Add((id, externalId));
            lanes[home] = parts with { Floor = Math.Max(parts.Floor, home.CounterOf(id) + 1) };
        }
        var results = await Task.WhenAll(lanes.Select(l => to.AddMappingsAsync(l.Key, l.Value.Forward, l.Value.Reverse, l.Value.Floor, ct))).ConfigureAwait(false);
        if (results.SelectMany(r => r).ToArray() is { Length: > 0 } conflicts)
            throw new BitmapistStoreException(
                $"The destination's id map '{destination.Name}' already maps {conflicts.Length} of the copied external ids to other internal ids " +
                $"(e.g. '{conflicts[0].ExternalId}' is {conflicts[0].Existing} there): the two stores named users independently, and copying bits would " +
                "merge different users. Migrate into a store without that map, or give the destination another map name.");
        return batch.Count;
    }
}
