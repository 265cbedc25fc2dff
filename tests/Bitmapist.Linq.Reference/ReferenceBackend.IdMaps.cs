using System.Runtime.CompilerServices;
using Bitmapist.Linq.Backends;

namespace Bitmapist.Linq.Reference;

/// <summary>
/// Id maps on the reference back end: each lane is two dictionaries (external -> internal, internal -> external), a
/// counter and the erasures in progress, all behind the back end's one lock, so every call is atomic. Written from
/// <see cref="IIdMapBackend"/>'s contract alone, without reading the library's Redis script or embedded tables, so the
/// id map suites have an independent implementation to agree with.
/// </summary>
/// <remarks>
/// The lanes are kept beside the bitmaps, not among the keys: SCAN, <see cref="KeyCount"/> and DELETE see only bitmaps
/// (on Redis a lane's keys are hashes under <c>bitop_</c>, which the library's listing skips too). A call that breaks
/// the contract's preconditions (an external id twice in one call) is refused, as a program the profile forbids is:
/// running it would hide a library bug.
/// </remarks>
public sealed partial class ReferenceBackend : IIdMapBackend
{
    // By the lane's forward key: the name the library gives the lane (on the sharded layout, with its shard's tag).
    private readonly Dictionary<string, LaneState> _idMaps = new(StringComparer.Ordinal);

    private sealed class LaneState
    {
        public readonly Dictionary<string, uint> Forward = new(StringComparer.Ordinal);
        public readonly Dictionary<uint, string> Reverse = [];
        public readonly Dictionary<string, uint> Erasing = new(StringComparer.Ordinal);
        public long Next; // how many ids the lane handed out: only grows, so no id is handed out twice
    }

    /// <inheritdoc />
    public bool SupportsIdMaps => true;

    /// <inheritdoc />
    /// <remarks>All or nothing: when the lane cannot hold every missing id, none is created.</remarks>
    public Task<uint[]> GetOrCreateIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        Check(lane, externalIds, ct);
        lock (_gate)
        {
            ThrowIfDisposed();
            var state = LaneFor(lane);
            var missing = externalIds.Count(e => !state.Forward.ContainsKey(e));
            if (missing > 0 && lane.IdAt(state.Next + missing - 1) < 0)
                throw new BitmapistStoreException(
                    $"The id map lane '{lane.ForwardKey}' cannot hand out {missing} more ids: it has handed out {state.Next}, and internal ids " +
                    "are bit numbers below 2^32 that are never reused (nothing was created). Map the remaining users in a new id map.");
            var ids = new uint[externalIds.Count];
            for (var i = 0; i < ids.Length; i++)
            {
                if (!state.Forward.TryGetValue(externalIds[i], out ids[i]))
                {
                    ids[i] = (uint)lane.IdAt(state.Next++);
                    state.Forward[externalIds[i]] = ids[i];
                    state.Reverse[ids[i]] = externalIds[i];
                }
            }
            return Task.FromResult(ids);
        }
    }

    /// <inheritdoc />
    public Task<long[]> FindIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        Check(lane, externalIds, ct);
        lock (_gate)
        {
            ThrowIfDisposed();
            var forward = _idMaps.GetValueOrDefault(lane.ForwardKey)?.Forward;
            return Task.FromResult(externalIds.Select(e => forward is not null && forward.TryGetValue(e, out var id) ? id : -1L).ToArray());
        }
    }

    /// <inheritdoc />
    public Task<string?[]> FindExternalIdsAsync(IdMapLane lane, IReadOnlyList<uint> ids, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ArgumentNullException.ThrowIfNull(ids);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfDisposed();
            var reverse = _idMaps.GetValueOrDefault(lane.ForwardKey)?.Reverse;
            return Task.FromResult(ids.Select(id => reverse?.GetValueOrDefault(id)).ToArray());
        }
    }

    /// <inheritdoc />
    public Task<long> BeginEraseAsync(IdMapLane lane, string externalId, CancellationToken ct)
    {
        Check(lane, [externalId], ct);
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_idMaps.GetValueOrDefault(lane.ForwardKey) is not { } state) return Task.FromResult(-1L);
            if (state.Erasing.TryGetValue(externalId, out var pending)) return Task.FromResult((long)pending);
            if (!state.Forward.Remove(externalId, out var id)) return Task.FromResult(-1L);
            state.Erasing[externalId] = id; // the reverse mapping stays until the bits are cleared: a resumed erasure needs it
            return Task.FromResult((long)id);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Forgets the erasure of <paramref name="externalId"/> if the lane has one, and the reverse mapping of
    /// <paramref name="id"/> only while it names <paramref name="externalId"/>: a migrated map may keep the reverse
    /// mapping in another lane, where the library calls this too, and a stale call must not drop another user's.
    /// </remarks>
    public Task EndEraseAsync(IdMapLane lane, string externalId, uint id, CancellationToken ct)
    {
        Check(lane, [externalId], ct);
        lock (_gate)
        {
            ThrowIfDisposed();
            if (_idMaps.GetValueOrDefault(lane.ForwardKey) is { } state)
            {
                state.Erasing.Remove(externalId);
                if (state.Reverse.TryGetValue(id, out var named) && named == externalId) state.Reverse.Remove(id);
            }
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<(string ExternalId, uint Id)>> PendingErasuresAsync(IdMapLane lane, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfDisposed();
            IReadOnlyList<(string, uint)> pending = _idMaps.GetValueOrDefault(lane.ForwardKey) is { } state
                ? [.. state.Erasing.Select(e => (e.Key, e.Value)).OrderBy(e => e.Value)]
                : [];
            return Task.FromResult(pending);
        }
    }

    /// <summary>Every mapping in the lane's forward map, in no particular order: a copy taken under the lock, then streamed.</summary>
    public async IAsyncEnumerable<(string ExternalId, uint Id)> ScanMappingsAsync(IdMapLane lane, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ct.ThrowIfCancellationRequested();
        KeyValuePair<string, uint>[] entries;
        lock (_gate)
        {
            ThrowIfDisposed();
            entries = _idMaps.GetValueOrDefault(lane.ForwardKey)?.Forward.ToArray() ?? [];
        }
        foreach (var (externalId, id) in entries)
        {
            ct.ThrowIfCancellationRequested();
            yield return (externalId, id);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// Adds mappings made elsewhere (a migration copies a map), all at once: <paramref name="forward"/> into the forward
    /// map, <paramref name="reverse"/> into the reverse map, and the counter raised to at least
    /// <paramref name="counterAtLeast"/>. When an external id of <paramref name="forward"/> is mapped to another id,
    /// nothing is written and those conflicts are returned (the same mapping again is no conflict).
    /// </summary>
    public Task<IReadOnlyList<(string ExternalId, uint Existing)>> AddMappingsAsync(IdMapLane lane, IReadOnlyList<(string ExternalId, uint Id)> forward,
        IReadOnlyList<(uint Id, string ExternalId)> reverse, long counterAtLeast, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(reverse);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfDisposed();
            var state = LaneFor(lane);
            IReadOnlyList<(string, uint)> conflicts =
                [.. forward.Where(e => state.Forward.TryGetValue(e.ExternalId, out var id) && id != e.Id).Select(e => (e.ExternalId, state.Forward[e.ExternalId]))];
            if (conflicts.Count > 0) return Task.FromResult(conflicts);
            foreach (var (externalId, id) in forward) state.Forward[externalId] = id;
            foreach (var (id, externalId) in reverse) state.Reverse[id] = externalId;
            state.Next = Math.Max(state.Next, counterAtLeast);
            return Task.FromResult(conflicts);
        }
    }

    /// <inheritdoc />
    public Task<(long Mapped, long Allocated)> CountAsync(IdMapLane lane, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfDisposed();
            return Task.FromResult(_idMaps.GetValueOrDefault(lane.ForwardKey) is { } state ? ((long)state.Forward.Count, state.Next) : (0L, 0L));
        }
    }

    private LaneState LaneFor(IdMapLane lane)
    {
        if (!_idMaps.TryGetValue(lane.ForwardKey, out var state)) _idMaps[lane.ForwardKey] = state = new LaneState();
        return state;
    }

    /// <summary>The contract's preconditions: external ids present and distinct within a call (the library removes repeats).</summary>
    private static void Check(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lane);
        ArgumentNullException.ThrowIfNull(externalIds);
        ct.ThrowIfCancellationRequested();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in externalIds)
        {
            if (string.IsNullOrEmpty(e))
                throw new InvalidOperationException($"An id map call on lane '{lane.ForwardKey}' has an empty external id (a library bug: ids are validated first).");
            if (!seen.Add(e))
                throw new InvalidOperationException($"An id map call on lane '{lane.ForwardKey}' names the external id '{e}' twice (a library bug: repeats are removed first).");
        }
    }
}
