using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IdMapping;

/// <summary>
/// A named map of a store from external ids (strings: user names, e-mails, UUIDs, 64-bit database ids as their decimal
/// text) to the dense internal ids that are bit numbers, and back. Get-or-create is atomic on the server (one script
/// call on Redis, under the engine's write lock and in its journal embedded): under any number of writers in any
/// number of processes an external id gets one internal id, and an internal id is handed out once, ever.
/// Every call takes many ids and costs one round trip per lane, whatever their number.
/// </summary>
/// <remarks>
/// <para>Allocation. On bitmapist's layout ids are dense and ascending (0, 1, 2, ...), the smallest bitmaps. On the
/// sharded layout the map has <see cref="ShardedLanes"/> lanes: an external id's lane is the XxHash64 of its UTF-8
/// bytes modulo the lane count, and lane <c>l</c> hands out the ids of shards <c>l, l + 16, l + 32, ...</c> in
/// order, so new users spread evenly over 16 shards (and their lanes over a cluster's nodes) instead of all landing
/// in the newest shard.</para>
/// <para>Keys: <c>{prefix}bitop_idmap:{name}:{lane}:fwd</c> (hash, external -> internal), <c>:rev</c> (hash, internal
/// -> external), <c>:next</c> (the counter) and <c>:erasing</c> (erasures in progress); under <c>bitop_</c>, which
/// event listing and bitmapist skip. On the sharded layout a lane's keys live in its first shard's slot.</para>
/// </remarks>
public sealed partial class IdMap
{
    /// <summary>Lanes of a map on the sharded layout (one on bitmapist's layout).</summary>
    public const int ShardedLanes = 16;

    /// <summary>The longest external id, in UTF-8 bytes.</summary>
    public const int MaxExternalIdBytes = 1024;

    // Ids go to a lane's server call in chunks of this many: one round trip each, small enough that a call does not
    // hold Redis for long (about 10 ms for new ids).
    private const int ChunkSize = 10_000;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly BitmapStore _store;
    private readonly IdMapLane[] _lanes;

    internal IdMap(BitmapStore store, string name)
    {
        ValidateName(name);
        _store = store;
        Name = name;
        var prefix = $"{store.Keys.Prefix}bitop_idmap:{name}:";
        IdMapLane Lane(uint lane, uint lanes, int shardBits) => new(
            $"{prefix}{lane}:fwd", $"{prefix}{lane}:rev", $"{prefix}{lane}:next", $"{prefix}{lane}:erasing", lane, lanes, shardBits);
        _lanes = store.Options.Layout.ShardBits is { } bits
            ? [.. Enumerable.Range(0, ShardedLanes).Select(l => Lane((uint)l, ShardedLanes, bits))]
            : [Lane(0, 1, 32)];
    }

    /// <summary>The map's name.</summary>
    public string Name { get; }

    /// <summary>The map's lanes (one per allocation shard on the sharded layout, one on bitmapist's layout).</summary>
    public IReadOnlyList<IdMapLane> Lanes => _lanes;

    /// <summary>The external id text of a 64-bit integer id: its invariant decimal text, as every front end writes it.</summary>
    public static string TextOf(long externalId) => externalId.ToString(CultureInfo.InvariantCulture);

    /// <summary>Checks that <paramref name="name"/> can name a map: 1 to 64 letters, digits, '_', '-' or '.'.</summary>
    /// <exception cref="ArgumentException">It cannot.</exception>
    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            throw new ArgumentException(
                $"'{name}' cannot name an id map: use 1 to 64 letters, digits, '_', '-' or '.', e.g. 'users'.", nameof(name));
    }

    /// <summary>Checks that <paramref name="externalId"/> can be mapped: not empty, valid Unicode, at most <see cref="MaxExternalIdBytes"/> bytes of UTF-8.</summary>
    /// <exception cref="ArgumentException">It cannot.</exception>
    public static void ValidateExternalId(string externalId, string paramName = "externalId")
    {
        ArgumentNullException.ThrowIfNull(externalId, paramName);
        if (externalId.Length == 0) throw new ArgumentException("An external id cannot be empty.", paramName);
        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(externalId);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"The external id '{Shorten(externalId)}' is not valid Unicode (a lone surrogate): two such ids could not be told apart once stored.", paramName);
        }
        if (bytes > MaxExternalIdBytes)
            throw new ArgumentException($"The external id '{Shorten(externalId)}' is {bytes} bytes of UTF-8; the most is {MaxExternalIdBytes}. Map a hash of it instead.", paramName);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>The lane that holds <paramref name="externalId"/>'s mapping: by a hash of its UTF-8 bytes, stable across processes and versions.</summary>
    public IdMapLane LaneOf(string externalId) => _lanes[LaneIndexOf(externalId)];

    /// <summary>The lane whose counter handed out <paramref name="id"/>, or null when no lane can have (an id marked directly).</summary>
    public IdMapLane? LaneOf(uint id) => LaneIndexOf(id) is var lane and >= 0 ? _lanes[lane] : null;

    // Calls group ids by lane index, not by lane: the lane is a record, and grouping by it hashed and compared its four
    // key names for every id, 12% of a get-or-create of mapped ids on the embedded store (idmap suite, docs/performance.md).
    private int LaneIndexOf(string externalId) =>
        _lanes.Length == 1 ? 0 : (int)(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(externalId)) % (ulong)_lanes.Length);

    private int LaneIndexOf(uint id)
    {
        for (var lane = 0; lane < _lanes.Length; lane++) if (_lanes[lane].Holds(id)) return lane;
        return -1;
    }

    /// <summary>The positions 0..count-1 by lane index (null for a lane with none).</summary>
    private List<int>?[] ByLane(int count, Func<int, int> laneOf)
    {
        var byLane = new List<int>?[_lanes.Length];
        for (var i = 0; i < count; i++)
            if (laneOf(i) is var lane and >= 0) (byLane[lane] ??= []).Add(i);
        return byLane;
    }

    /// <summary>The internal id of <paramref name="externalId"/>, created if it has none.</summary>
    /// <exception cref="ArgumentException">The external id cannot be mapped (<see cref="ValidateExternalId"/>).</exception>
    /// <exception cref="BitmapistStoreException">The store failed, holds no id maps, or the map has no ids left.</exception>
    public async Task<uint> GetOrCreateAsync(string externalId, CancellationToken ct = default) =>
        (await GetOrCreateAsync([externalId], ct).ConfigureAwait(false))[0];

    /// <summary>The internal id of a 64-bit external id (its decimal text, <see cref="TextOf"/>), created if it has none.</summary>
    public Task<uint> GetOrCreateAsync(long externalId, CancellationToken ct = default) => GetOrCreateAsync(TextOf(externalId), ct);

    /// <summary>
    /// The internal id of each external id, in order, creating the missing ones: one server call per lane and per
    /// 10,000 distinct ids, the lanes' calls in flight together.
    /// </summary>
    /// <exception cref="ArgumentException">An external id cannot be mapped; nothing was created.</exception>
    /// <exception cref="BitmapistStoreException">The store failed (some ids may have been created: they are kept, and
    /// asking again returns them), holds no id maps, or the map has no ids left.</exception>
    public async Task<uint[]> GetOrCreateAsync(IReadOnlyList<string> externalIds, CancellationToken ct = default)
    {
        var found = await RunAsync(externalIds,
            async (backend, lane, chunk) => Array.ConvertAll(await backend.GetOrCreateIdsAsync(lane, chunk, ct).ConfigureAwait(false), id => (long)id),
            ct).ConfigureAwait(false);
        return Array.ConvertAll(found, id => (uint)id);
    }

    /// <summary>The internal id of <paramref name="externalId"/>, or null when it has none. Creates nothing.</summary>
    public async Task<uint?> FindAsync(string externalId, CancellationToken ct = default) =>
        (await FindAsync([externalId], ct).ConfigureAwait(false))[0];

    /// <summary>The internal id of a 64-bit external id (its decimal text, <see cref="TextOf"/>), or null when it has none.</summary>
    public Task<uint?> FindAsync(long externalId, CancellationToken ct = default) => FindAsync(TextOf(externalId), ct);

    /// <summary>The internal id of each external id, in order (null where it has none), one server call per lane. Creates nothing.</summary>
    public async Task<uint?[]> FindAsync(IReadOnlyList<string> externalIds, CancellationToken ct = default)
    {
        var found = await RunAsync(externalIds, (backend, lane, chunk) => backend.FindIdsAsync(lane, chunk, ct), ct).ConfigureAwait(false);
        return Array.ConvertAll(found, id => id < 0 ? (uint?)null : (uint)id);
    }

    /// <summary>
    /// The external id of each internal id, in order: null where it has none (marked by number, or erased). One server
    /// call per lane and per 10,000 ids.
    /// </summary>
    public async Task<string?[]> FindExternalAsync(IReadOnlyList<uint> ids, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var backend = Backend();
        var result = new string?[ids.Count];
        var calls = new List<Task>();
        var byLane = ByLane(ids.Count, i => LaneIndexOf(ids[i])); // an id no lane hands out has no external id: left null
        for (var lane = 0; lane < byLane.Length; lane++)
            foreach (var chunk in byLane[lane]?.Chunk(ChunkSize) ?? [])
                calls.Add(Lookup(_lanes[lane], chunk));
        await Task.WhenAll(calls).ConfigureAwait(false);
        return result;

        async Task Lookup(IdMapLane lane, int[] positions)
        {
            var found = await backend.FindExternalIdsAsync(lane, [.. positions.Select(p => ids[p])], ct).ConfigureAwait(false);
            for (var i = 0; i < positions.Length; i++) result[positions[i]] = found[i];
        }
    }

    /// <summary>How many external ids the map holds, and how many internal ids it handed out (erased ones included).</summary>
    public async Task<IdMapCounts> CountAsync(CancellationToken ct = default)
    {
        var backend = Backend();
        var lanes = await Task.WhenAll(_lanes.Select(l => backend.CountAsync(l, ct))).ConfigureAwait(false);
        return new IdMapCounts(lanes.Sum(l => l.Mapped), lanes.Sum(l => l.Allocated), [.. lanes.Select(l => l.Allocated)]);
    }

    /// <summary>The store's back end as an id map holder.</summary>
    internal IIdMapBackend Backend() =>
        _store.Live as IIdMapBackend is { } backend && backend.SupportsIdMaps
            ? backend
            : throw new BitmapistStoreException(
                $"The id map '{Name}' needs a store that can hold it: Redis or the embedded store. This store's back end " +
                $"({_store.Profile}) holds only bitmaps (bitmapist-server has no hashes or scripts).");

    /// <summary>
    /// Validates every id, removes repeats, sends each lane its distinct ids in chunks (all in flight together), and
    /// answers in the input's order.
    /// </summary>
    private async Task<long[]> RunAsync(IReadOnlyList<string> externalIds, Func<IIdMapBackend, IdMapLane, string[], Task<long[]>> call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(externalIds);
        for (var i = 0; i < externalIds.Count; i++) ValidateExternalId(externalIds[i], $"externalIds[{i}]");
        ct.ThrowIfCancellationRequested();
        var backend = Backend();
        var distinct = new Dictionary<string, int>(externalIds.Count, StringComparer.Ordinal);
        var slots = new int[externalIds.Count];
        var unique = new List<string>(externalIds.Count);
        for (var i = 0; i < externalIds.Count; i++)
        {
            if (!distinct.TryGetValue(externalIds[i], out var slot))
            {
                distinct[externalIds[i]] = slot = unique.Count;
                unique.Add(externalIds[i]);
            }
            slots[i] = slot;
        }
        var answers = new long[unique.Count];
        var calls = new List<Task>();
        var byLane = ByLane(unique.Count, i => LaneIndexOf(unique[i]));
        for (var lane = 0; lane < byLane.Length; lane++)
            foreach (var chunk in byLane[lane]?.Chunk(ChunkSize) ?? [])
                calls.Add(Send(_lanes[lane], chunk));
        await Task.WhenAll(calls).ConfigureAwait(false);
        var result = new long[externalIds.Count];
        for (var i = 0; i < result.Length; i++) result[i] = answers[slots[i]];
        return result;

        async Task Send(IdMapLane lane, int[] positions)
        {
            var found = await call(backend, lane, [.. positions.Select(p => unique[p])]).ConfigureAwait(false);
            if (found.Length != positions.Length)
                throw new InvalidOperationException($"The back end {backend.GetType().Name} answered {found.Length} ids for {positions.Length}.");
            for (var i = 0; i < positions.Length; i++) answers[positions[i]] = found[i];
        }
    }
}

/// <summary>What an id map holds.</summary>
/// <param name="Mapped">External ids mapped now.</param>
/// <param name="Allocated">Internal ids handed out, erased ones included (never handed out again).</param>
/// <param name="AllocatedPerLane">Internal ids handed out by each lane: how evenly new ids spread.</param>
public sealed record IdMapCounts(long Mapped, long Allocated, IReadOnlyList<long> AllocatedPerLane);
