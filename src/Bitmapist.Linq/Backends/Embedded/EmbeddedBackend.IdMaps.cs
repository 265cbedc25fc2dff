namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>The engine's id maps: every change under the write lock, so a get-or-create is atomic and its ids unique.</summary>
internal sealed partial class EmbeddedBackend : IIdMapBackend
{
    /// <inheritdoc />
    public bool SupportsIdMaps => true;

    /// <inheritdoc />
    public Task<uint[]> GetOrCreateIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Most calls find every id mapped: answer them under the read lock, and take the write lock only to create.
        var known = Read(() => TryFindAll(lane, externalIds));
        if (known is not null) return Task.FromResult(known);
        uint[] result = [];
        Write(() =>
        {
            var table = _idMaps.Get(lane.ForwardKey);
            var created = new List<(string, uint)>();
            var next = table.Next;
            foreach (var externalId in externalIds)
            {
                if (table.Forward.ContainsKey(externalId)) continue;
                var id = lane.IdAt(next);
                if (id < 0) throw LaneFull(lane);
                created.Add((externalId, (uint)id));
                next++;
            }
            if (created.Count > 0)
            {
                journal?.AppendIdMappings(lane.ForwardKey, created, next);
                ReplayIdMappings(lane.ForwardKey, created, next);
            }
            // Answered under the same lock: every id is mapped now.
            result = TryFindAll(lane, externalIds)!;
        });
        return Task.FromResult(result);
    }

    private uint[]? TryFindAll(IdMapLane lane, IReadOnlyList<string> externalIds)
    {
        if (_idMaps.Find(lane.ForwardKey) is not { } table) return externalIds.Count == 0 ? [] : null;
        var ids = new uint[externalIds.Count];
        for (var i = 0; i < ids.Length; i++)
            if (!table.Forward.TryGetValue(externalIds[i], out ids[i])) return null;
        return ids;
    }

    internal static BitmapistStoreException LaneFull(IdMapLane lane) => new(
        $"The id map lane '{lane.ForwardKey}' has handed out every internal id it can (ids are bit numbers below 2^32 and are never reused).");

    /// <inheritdoc />
    public Task<long[]> FindIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() =>
        {
            var forward = _idMaps.Find(lane.ForwardKey)?.Forward;
            return externalIds.Select(e => forward is not null && forward.TryGetValue(e, out var id) ? id : -1L).ToArray();
        }));
    }

    /// <inheritdoc />
    public Task<string?[]> FindExternalIdsAsync(IdMapLane lane, IReadOnlyList<uint> ids, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() =>
        {
            var reverse = _idMaps.Find(lane.ForwardKey)?.Reverse;
            return ids.Select(id => reverse?.GetValueOrDefault(id)).ToArray();
        }));
    }

    /// <inheritdoc />
    public Task<long> BeginEraseAsync(IdMapLane lane, string externalId, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        long result = -1;
        Write(() =>
        {
            if (_idMaps.Find(lane.ForwardKey) is not { } table) return;
            if (table.Erasing.TryGetValue(externalId, out var pending))
            {
                result = pending;
                return;
            }
            if (!table.Forward.TryGetValue(externalId, out var id)) return;
            journal?.AppendIdErasure(lane.ForwardKey, externalId, id, finished: false);
            ReplayIdErasure(lane.ForwardKey, externalId, id, finished: false);
            result = id;
        });
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task EndEraseAsync(IdMapLane lane, string externalId, uint id, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Write(() =>
        {
            if (_idMaps.Find(lane.ForwardKey) is not { } table) return;
            var reverseNamesIt = table.Reverse.TryGetValue(id, out var named) && named == externalId;
            if (!table.Erasing.ContainsKey(externalId) && !reverseNamesIt) return;
            journal?.AppendIdErasure(lane.ForwardKey, externalId, id, finished: true);
            ReplayIdErasure(lane.ForwardKey, externalId, id, finished: true);
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<(string ExternalId, uint Id)>> PendingErasuresAsync(IdMapLane lane, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<(string, uint)>>(Read(() =>
            _idMaps.Find(lane.ForwardKey)?.Erasing.Select(e => (e.Key, e.Value)).OrderBy(e => e.Value).ToList() ?? []));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(string ExternalId, uint Id)> ScanMappingsAsync(IdMapLane lane,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // A copy taken under the read lock, handed out after it: the caller may write meanwhile.
        var entries = Read(() => _idMaps.Find(lane.ForwardKey)?.Forward.ToArray() ?? []);
        foreach (var (externalId, id) in entries)
        {
            ct.ThrowIfCancellationRequested();
            yield return (externalId, id);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<(string ExternalId, uint Existing)>> AddMappingsAsync(IdMapLane lane, IReadOnlyList<(string ExternalId, uint Id)> forward,
        IReadOnlyList<(uint Id, string ExternalId)> reverse, long counterAtLeast, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        IReadOnlyList<(string, uint)> conflicts = [];
        Write(() =>
        {
            var table = _idMaps.Get(lane.ForwardKey);
            conflicts = [.. forward.Where(e => table.Forward.TryGetValue(e.ExternalId, out var id) && id != e.Id)
                .Select(e => (e.ExternalId, table.Forward[e.ExternalId]))];
            if (conflicts.Count > 0) return;
            journal?.AppendIdImport(lane.ForwardKey, forward, reverse, counterAtLeast);
            ReplayIdImport(lane.ForwardKey, forward, reverse, counterAtLeast);
        });
        return Task.FromResult(conflicts);
    }

    /// <summary>Applies copied mappings (<see cref="AddMappingsAsync"/>, or its journal record when a store opens).</summary>
    internal void ReplayIdImport(string forwardKey, IReadOnlyList<(string ExternalId, uint Id)> forward, IReadOnlyList<(uint Id, string ExternalId)> reverse,
        long counterAtLeast)
    {
        var table = _idMaps.Get(forwardKey);
        foreach (var (externalId, id) in forward) table.Forward[externalId] = id;
        foreach (var (id, externalId) in reverse) table.Reverse[id] = externalId;
        table.Next = Math.Max(table.Next, counterAtLeast);
    }

    /// <inheritdoc />
    public Task<(long Mapped, long Allocated)> CountAsync(IdMapLane lane, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() => _idMaps.Find(lane.ForwardKey) is { } t ? ((long)t.Forward.Count, t.Next) : (0L, 0L)));
    }

    /// <summary>Applies a journal record of new mappings (opening a store: no lock is needed, nothing else runs).</summary>
    internal void ReplayIdMappings(string forwardKey, IReadOnlyList<(string ExternalId, uint Id)> created, long next)
    {
        var table = _idMaps.Get(forwardKey);
        foreach (var (externalId, id) in created)
        {
            table.Forward[externalId] = id;
            table.Reverse[id] = externalId;
        }
        table.Next = Math.Max(table.Next, next);
    }

    /// <summary>Applies a journal record of an erasure's start or end, as <see cref="BeginEraseAsync"/> and <see cref="EndEraseAsync"/> did.</summary>
    internal void ReplayIdErasure(string forwardKey, string externalId, uint id, bool finished)
    {
        var table = _idMaps.Get(forwardKey);
        if (!finished)
        {
            table.Forward.Remove(externalId);
            table.Erasing[externalId] = id;
        }
        else
        {
            table.Erasing.Remove(externalId);
            if (table.Reverse.TryGetValue(id, out var named) && named == externalId) table.Reverse.Remove(id);
        }
    }
}
