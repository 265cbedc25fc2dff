namespace Bitmapist.Linq.Backends;

/// <summary>
/// A back end that can hold id maps (<see cref="IdMapping.IdMap"/>): external ids (strings) mapped to the dense internal ids
/// that are bit numbers. A map is split into lanes; each call works on one lane, whose keys the back end keeps
/// together (in one Redis Cluster slot), so each call is atomic. The library's Redis and embedded back ends implement
/// it; bitmapist-server holds only bitmaps and does not.
/// </summary>
/// <remarks>
/// What every implementation must guarantee, under any number of concurrent callers in any number of processes:
/// an external id has at most one internal id (get-or-create is atomic), and an internal id is handed out once, ever
/// (the lane's counter only grows; an erased id is not reused). External ids in one call are distinct (the library
/// removes repeats before it calls).
/// </remarks>
public interface IIdMapBackend
{
    /// <summary>False when this back end cannot hold id maps after all (a Redis back end talking to bitmapist-server).</summary>
    bool SupportsIdMaps { get; }

    /// <summary>
    /// The internal id of each external id of <paramref name="lane"/>, creating the missing ones from the lane's counter
    /// (<see cref="IdMapLane.IdAt"/>), all in one atomic step. Throws <see cref="BitmapistStoreException"/> when the
    /// lane has no ids left.
    /// </summary>
    Task<uint[]> GetOrCreateIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct);

    /// <summary>The internal id of each external id, or -1 where it has none. Creates nothing.</summary>
    Task<long[]> FindIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct);

    /// <summary>The external id of each internal id of the lane, or null where it has none (never mapped, or erased).</summary>
    Task<string?[]> FindExternalIdsAsync(IdMapLane lane, IReadOnlyList<uint> ids, CancellationToken ct);

    /// <summary>
    /// Starts erasing <paramref name="externalId"/>: in one atomic step its mapping leaves the forward map (so the
    /// next get-or-create of that external id makes a new internal id) and is recorded as an erasure in progress.
    /// Returns its internal id, also when the erasure was already started and not finished; -1 when it has no mapping.
    /// </summary>
    Task<long> BeginEraseAsync(IdMapLane lane, string externalId, CancellationToken ct);

    /// <summary>
    /// Finishes an erasure once the id's bits are cleared: forgets the lane's erasure of <paramref name="externalId"/>
    /// (if any) and the reverse mapping of <paramref name="id"/> if the lane holds it and it names
    /// <paramref name="externalId"/>. A migrated map may keep an id's reverse mapping in another lane than its
    /// external id's (<see cref="AddMappingsAsync"/>): the library then calls this on both lanes, the reverse one first.
    /// </summary>
    Task EndEraseAsync(IdMapLane lane, string externalId, uint id, CancellationToken ct);

    /// <summary>Erasures started and not finished (a process died part-way), to resume.</summary>
    Task<IReadOnlyList<(string ExternalId, uint Id)>> PendingErasuresAsync(IdMapLane lane, CancellationToken ct);

    /// <summary>Every mapping in the lane's forward map (external id, internal id), in no particular order; read in pages.</summary>
    IAsyncEnumerable<(string ExternalId, uint Id)> ScanMappingsAsync(IdMapLane lane, CancellationToken ct);

    /// <summary>
    /// Adds mappings made elsewhere (a migration copies a map), in one atomic step: <paramref name="forward"/> entries
    /// into the lane's forward map, <paramref name="reverse"/> entries into its reverse map, and the lane's counter
    /// moved up to at least <paramref name="counterAtLeast"/>, so it never hands out an id the entries use. When an
    /// external id of <paramref name="forward"/> is already mapped to another internal id nothing is written and those
    /// conflicts are returned (an entry already there with the same id is not one: adding again is safe).
    /// </summary>
    Task<IReadOnlyList<(string ExternalId, uint Existing)>> AddMappingsAsync(IdMapLane lane, IReadOnlyList<(string ExternalId, uint Id)> forward,
        IReadOnlyList<(uint Id, string ExternalId)> reverse, long counterAtLeast, CancellationToken ct);

    /// <summary>How many external ids the lane maps, and how many internal ids its counter has handed out.</summary>
    Task<(long Mapped, long Allocated)> CountAsync(IdMapLane lane, CancellationToken ct);
}

/// <summary>
/// One lane of an id map: the keys that hold it (forward map, reverse map, counter, erasures in progress; kept together
/// by the back end) and how its counter becomes internal ids: counter value <c>c</c> (0, 1, 2, ...) is id
/// <c>shard * 2^ShardBits + c mod 2^ShardBits</c> of shard <c>FirstShard + ShardStride * floor(c / 2^ShardBits)</c>.
/// The bitmapist layout has one lane of one shard of 2^32 ids (ids 0, 1, 2, ...); the sharded layout has one lane per
/// allocation shard, each stepping over the others' shards, so new ids spread evenly.
/// </summary>
/// <param name="ForwardKey">External id -> internal id.</param>
/// <param name="ReverseKey">Internal id -> external id.</param>
/// <param name="CounterKey">How many ids the lane handed out.</param>
/// <param name="ErasingKey">External id -> internal id of erasures in progress.</param>
/// <param name="FirstShard">The lane's first shard.</param>
/// <param name="ShardStride">The step from one of the lane's shards to the next (the number of lanes).</param>
/// <param name="ShardBits">The width of a shard in bits (32 on the bitmapist layout: one shard).</param>
public sealed record IdMapLane(string ForwardKey, string ReverseKey, string CounterKey, string ErasingKey, uint FirstShard, uint ShardStride, int ShardBits)
{
    /// <summary>Every key of the lane, in the order the Redis script takes them.</summary>
    public IReadOnlyList<string> Keys => [ForwardKey, ReverseKey, CounterKey, ErasingKey];

    /// <summary>The internal id the lane's counter value <paramref name="counter"/> stands for, or -1 past the last id.</summary>
    public long IdAt(long counter)
    {
        if (counter < 0) return -1;
        var shard = FirstShard + ShardStride * (counter >> ShardBits);
        var id = (shard << ShardBits) | (counter & ((1L << ShardBits) - 1));
        return shard >> (32 - ShardBits) == 0 && id <= uint.MaxValue ? id : -1;
    }

    /// <summary>The counter value that stands for <paramref name="id"/> (the inverse of <see cref="IdAt"/>), or -1 when the lane cannot hand it out.</summary>
    public long CounterOf(uint id)
    {
        if (!Holds(id)) return -1;
        var shard = (long)id >> ShardBits;
        return ((shard - FirstShard) / ShardStride << ShardBits) | (id & ((1L << ShardBits) - 1));
    }

    /// <summary>True when <paramref name="id"/> belongs to this lane's shards.</summary>
    public bool Holds(uint id)
    {
        var shard = (long)id >> ShardBits;
        return shard >= FirstShard && (shard - FirstShard) % ShardStride == 0;
    }
}
