namespace Bitmapist.Linq.Backends.Sharded;

/// <summary>
/// Id maps on the sharded layout: each lane's keys are stored in its first shard (its hash tag, so one slot on a
/// cluster), and every call goes to the root back end there: one atomic call per lane, whatever the number of nodes.
/// </summary>
internal sealed partial class ShardedBackend : IIdMapBackend
{
    /// <inheritdoc />
    public bool SupportsIdMaps => _root is IIdMapBackend { SupportsIdMaps: true };

    private IIdMapBackend Maps => (IIdMapBackend)_root;

    /// <summary>The lane with its keys named in its first shard.</summary>
    private IdMapLane Stored(IdMapLane lane) => lane with
    {
        ForwardKey = _map.PhysicalKey(lane.FirstShard, lane.ForwardKey),
        ReverseKey = _map.PhysicalKey(lane.FirstShard, lane.ReverseKey),
        CounterKey = _map.PhysicalKey(lane.FirstShard, lane.CounterKey),
        ErasingKey = _map.PhysicalKey(lane.FirstShard, lane.ErasingKey),
    };

    /// <inheritdoc />
    public async Task<uint[]> GetOrCreateIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        // The ids land in the lane's shards: the marker says the layout before anything is written.
        await WriteMarkerAsync(ct).ConfigureAwait(false);
        return await Maps.GetOrCreateIdsAsync(Stored(lane), externalIds, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<long[]> FindIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct) =>
        Maps.FindIdsAsync(Stored(lane), externalIds, ct);

    /// <inheritdoc />
    public Task<string?[]> FindExternalIdsAsync(IdMapLane lane, IReadOnlyList<uint> ids, CancellationToken ct) =>
        Maps.FindExternalIdsAsync(Stored(lane), ids, ct);

    /// <inheritdoc />
    public Task<long> BeginEraseAsync(IdMapLane lane, string externalId, CancellationToken ct) =>
        Maps.BeginEraseAsync(Stored(lane), externalId, ct);

    /// <inheritdoc />
    public Task EndEraseAsync(IdMapLane lane, string externalId, uint id, CancellationToken ct) =>
        Maps.EndEraseAsync(Stored(lane), externalId, id, ct);

    /// <inheritdoc />
    public Task<IReadOnlyList<(string ExternalId, uint Id)>> PendingErasuresAsync(IdMapLane lane, CancellationToken ct) =>
        Maps.PendingErasuresAsync(Stored(lane), ct);

    /// <inheritdoc />
    public IAsyncEnumerable<(string ExternalId, uint Id)> ScanMappingsAsync(IdMapLane lane, CancellationToken ct) =>
        Maps.ScanMappingsAsync(Stored(lane), ct);

    /// <inheritdoc />
    public async Task<IReadOnlyList<(string ExternalId, uint Existing)>> AddMappingsAsync(IdMapLane lane, IReadOnlyList<(string ExternalId, uint Id)> forward,
        IReadOnlyList<(uint Id, string ExternalId)> reverse, long counterAtLeast, CancellationToken ct)
    {
        await WriteMarkerAsync(ct).ConfigureAwait(false);
        return await Maps.AddMappingsAsync(Stored(lane), forward, reverse, counterAtLeast, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<(long Mapped, long Allocated)> CountAsync(IdMapLane lane, CancellationToken ct) =>
        Maps.CountAsync(Stored(lane), ct);
}
