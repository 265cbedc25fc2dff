using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tracking;

/// <summary>
/// Loads large volumes of marks fast: bits are set in client-side bitmaps, one per key, and each bitmap is
/// merged into its key on the server in one go (on Redis: SET a temporary, BITOP OR it into the key, DEL
/// the temporary, in one MULTI/EXEC), instead of one SETBIT per event. Measured in docs/performance.md.
/// </summary>
/// <remarks>Call <see cref="FlushAsync"/> at the end (dispose does not write). Not thread-safe.</remarks>
public sealed class BulkImport
{
    private readonly BitmapStore _store;
    private readonly IProgress<long>? _progress;
    private readonly Dictionary<string, PagedBitmap> _pending = new(StringComparer.Ordinal);
    // Marks of one event in one day (and hour) share their keys: derive the key strings once per
    // (event, day, hour), not per record - formatting keys was most of the cost of an import.
    private readonly Dictionary<(string Event, DateTime Day, int Hour), PagedBitmap[]> _bitmapsByDay = [];
    private long _pendingPages;

    // Records of users named by external id, waiting for one id map call that maps them all (see AddAsync).
    private List<ExternalRecord> _unmapped = [];

    // The batch being mapped while the next one is read: on Redis the id map's round trip and script overlap the
    // caller's parsing. (Looking a batch's ids up before creating them needs nothing here: the back end reads first.)
    private Task<Mapped>? _mapping;
    private IdMapping.IdMap? _idMap;

    // The internal ids this import mapped, by external id: a user's later records are marked without asking the map
    // again (an import names the same users over and over). Bounded: past KnownLimit it starts over.
    private readonly Dictionary<string, uint> _known = new(StringComparer.Ordinal);
    private const int KnownLimit = 1_000_000;

    /// <summary>A batch and its internal ids.</summary>
    /// <param name="Records">The batch's records.</param>
    /// <param name="Ids">Each record's internal id.</param>
    private sealed record Mapped(ExternalRecord[] Records, uint[] Ids);

    private readonly record struct ExternalRecord(string Event, string ExternalId, DateTime At, bool Unique);

    /// <summary>Records by external id mapped in one id map call (one round trip per lane and 10,000 distinct ids).</summary>
    public int MapBatchSize { get; init; } = 50_000;

    internal BulkImport(BitmapStore store, IProgress<long>? progress)
    {
        _store = store;
        _progress = progress;
    }

    /// <summary>Pages (8 KiB each) held in memory before an automatic flush. Default 32768 (256 MiB).</summary>
    public long MaxPendingPages { get; init; } = 32_768;

    /// <summary>Records added so far (a record by external id once it is mapped, in batches of <see cref="MapBatchSize"/>).</summary>
    public long Added { get; private set; }

    /// <summary>Adds one mark. The id is validated here, before any I/O.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside [0, 2^32).</exception>
    public async ValueTask AddAsync(string eventName, long userId, DateTime at, CancellationToken ct = default)
    {
        var bit = UserIds.Validate(userId, nameof(userId));
        var tracking = _store.Options.Tracking;
        var hour = tracking.Hourly ? at.Hour : -1;
        if (!_bitmapsByDay.TryGetValue((eventName, at.Date, hour), out var bitmaps))
            _bitmapsByDay[(eventName, at.Date, hour)] = bitmaps = [.. MarkKeys.For(_store.Keys, eventName, at, tracking).Select(BitmapFor)];
        foreach (var bitmap in bitmaps)
        {
            var pagesBefore = bitmap.PageCount;
            bitmap.Set(bit);
            _pendingPages += bitmap.PageCount - pagesBefore;
        }
        Added++;
        if ((Added & 0xFFFF) == 0) _progress?.Report(Added);
        if (_pendingPages >= MaxPendingPages) await MergePendingAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Adds a unique flag for <paramref name="userId"/>.</summary>
    public void AddUnique(string eventName, long userId)
    {
        var bit = UserIds.Validate(userId, nameof(userId));
        BitmapFor(_store.Keys.Key(eventName, Period.Unique)).Set(bit);
        Added++;
    }

    /// <summary>
    /// Adds one mark of the user with external id <paramref name="externalId"/>. Records are mapped through the store's
    /// id map (<see cref="StoreOptions.IdMap"/>) in batches of <see cref="MapBatchSize"/>, creating missing mappings,
    /// then set like any other; a mapping made for an import that then fails is kept (re-running it reuses it). A batch
    /// is mapped while the next one is added, so a store failure while mapping is thrown by a later call (the one that
    /// fills the next batch, or <see cref="FlushAsync"/>). The import remembers the internal ids it mapped (up to
    /// 1,000,000 external ids) and marks a user's later records without asking the map again: erase a user
    /// (<see cref="IdMapping.IdMap.EraseAsync"/>) only after the imports that name them have finished, or their later
    /// records go to the erased internal id.
    /// </summary>
    /// <exception cref="InvalidOperationException">The store has no id map.</exception>
    /// <exception cref="ArgumentException">The external id cannot be mapped (checked here, before any I/O).</exception>
    public ValueTask AddAsync(string eventName, string externalId, DateTime at, CancellationToken ct = default) =>
        AddExternal(new ExternalRecord(eventName, externalId, at, false), ct);

    /// <summary>Adds a unique flag for the user with external id <paramref name="externalId"/> (mapped as <see cref="AddAsync(string, string, DateTime, CancellationToken)"/> is).</summary>
    public ValueTask AddUniqueAsync(string eventName, string externalId, CancellationToken ct = default) =>
        AddExternal(new ExternalRecord(eventName, externalId, default, true), ct);

    private async ValueTask AddExternal(ExternalRecord record, CancellationToken ct)
    {
        if (record.ExternalId is { } known && _known.TryGetValue(known, out var id))
        {
            if (record.Unique) AddUnique(record.Event, id);
            else await AddAsync(record.Event, id, record.At, ct).ConfigureAwait(false);
            return;
        }
        _idMap ??= _store.RequireIdMap("Importing by external id");
        IdMapping.IdMap.ValidateExternalId(record.ExternalId, "externalId");
        _unmapped.Add(record);
        if (_unmapped.Count >= MapBatchSize) await StartMappingAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Adds the batch in flight (waiting for its ids), then starts mapping the records waiting for internal ids.</summary>
    private async Task StartMappingAsync(CancellationToken ct)
    {
        await AddMappedAsync(ct).ConfigureAwait(false);
        if (_unmapped.Count == 0) return;
        var records = _unmapped.ToArray();
        _unmapped = new List<ExternalRecord>(records.Length);
        // On the thread pool: the embedded store's map answers synchronously, and this way still overlaps the caller.
        var map = _idMap!;
        _mapping = Task.Run(() => MapAsync(map, records, ct), ct);
    }

    private static async Task<Mapped> MapAsync(IdMapping.IdMap map, ExternalRecord[] records, CancellationToken ct)
    {
        var externalIds = new string[records.Length];
        for (var i = 0; i < records.Length; i++) externalIds[i] = records[i].ExternalId;
        return new Mapped(records, await map.GetOrCreateAsync(externalIds, ct).ConfigureAwait(false));
    }

    /// <summary>Waits for the batch being mapped, if any, and adds its records with their internal ids.</summary>
    private async Task AddMappedAsync(CancellationToken ct)
    {
        if (_mapping is not { } mapping) return;
        _mapping = null;
        var (records, ids) = await mapping.ConfigureAwait(false);
        if (_known.Count + records.Length > KnownLimit) _known.Clear();
        for (var i = 0; i < records.Length; i++)
        {
            _known[records[i].ExternalId] = ids[i];
            var r = records[i];
            if (r.Unique) AddUnique(r.Event, ids[i]);
            else await AddAsync(r.Event, ids[i], r.At, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Merges everything added so far into the store (records by external id are mapped first).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await StartMappingAsync(ct).ConfigureAwait(false);
        await AddMappedAsync(ct).ConfigureAwait(false);
        await MergePendingAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Merges the client-side bitmaps into the store and starts afresh.</summary>
    private async Task MergePendingAsync(CancellationToken ct)
    {
        if (_pending.Count > 0)
        {
            BitmapMerge[] bitmaps = [.. _pending.Select(p => new BitmapMerge(p.Key, p.Value))];
            await _store.MergeAsync(bitmaps, ct).ConfigureAwait(false);
        }
        _pending.Clear();
        _bitmapsByDay.Clear();
        _pendingPages = 0;
        _progress?.Report(Added);
    }

    private PagedBitmap BitmapFor(string key)
    {
        if (!_pending.TryGetValue(key, out var bitmap)) _pending[key] = bitmap = new PagedBitmap();
        return bitmap;
    }
}
