using System.Diagnostics;
using System.Runtime.CompilerServices;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Migration;

/// <summary>
/// Copies every event key of one store into another whatever their layouts (<see cref="KeyLayout"/>): bitmapist's
/// layout (written by the Python library) into the sharded one a Redis Cluster needs, and back for Python readers;
/// also between back ends (an embedded file into Redis). Each key's members are read through the source's back end
/// (one program with one ids read per key) and ORed into the destination's key of the same event and period (the
/// destination's prefix may differ), so a copy is re-runnable: running it again, or after more marks, only adds what
/// is missing, and a destination written by both the application and the migration (dual-writing during the
/// migration window) ends up with the union. Keys with no member are not copied (they read as empty either way), and
/// the sharded layout stores no all-zero shard. Memory stays bounded: keys are read and merged in batches
/// (<see cref="LayoutMigrationOptions"/>). <see cref="VerifyAsync"/> compares every key's count on both sides.
/// Id maps (<see cref="IdMapping.IdMap"/>) are copied first, every mapping with its internal id (the bits copied are
/// those ids), into the destination's lanes whatever its layout; a destination map that already names a copied user
/// differently stops the migration before any bit is copied.
/// </summary>
/// <remarks>
/// The source is not a snapshot: marks that land during the copy may or may not be copied (run it again after the
/// window). Source and destination must not share keys: on one server, give them prefixes neither of which starts the
/// other (the constructor refuses what it can detect).
/// </remarks>
public sealed class LayoutMigration
{
    private readonly BitmapStore _source;
    private readonly BitmapStore _destination;
    private readonly LayoutMigrationOptions _options;

    /// <summary>A migration from <paramref name="source"/> into <paramref name="destination"/>, which stay the caller's to dispose.</summary>
    /// <exception cref="ArgumentException">The two stores may share keys (the same store, or the same Redis with
    /// prefixes one of which starts the other), or an option is not positive.</exception>
    public LayoutMigration(BitmapStore source, BitmapStore destination, LayoutMigrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        _options = options ?? new LayoutMigrationOptions();
        if (_options.KeysPerBatch < 1 || _options.MaxBatchBytes < 1 || _options.ReadsInFlight < 1 || _options.KeysPerCountBatch < 1)
            throw new ArgumentException("Every LayoutMigrationOptions setting must be at least 1.", nameof(options));
        string p = source.Keys.Prefix, q = destination.Keys.Prefix;
        if ((p.StartsWith(q, StringComparison.Ordinal) || q.StartsWith(p, StringComparison.Ordinal)) && MayShareKeys(source, destination))
            throw new ArgumentException(
                (p == q ? $"The source and the destination are the same key space (the same server and the key prefix '{p}')"
                        : $"The source and the destination are on the same server with key prefixes '{p}' and '{q}', one of which starts the other") +
                ": one store's keys would be read as the other's events. Give the destination a prefix that neither starts nor extends the " +
                "source's (the CLI's --to-prefix), or another server.", nameof(destination));
        _source = source;
        _destination = destination;
    }

    /// <summary>
    /// Copies every event key of the source into the destination (see the class remarks); progress is reported after
    /// each batch. Cancelling stops the copy where it is: what was merged stays (each merge is an OR, on the sharded
    /// layout atomic per shard), and a later run completes it.
    /// </summary>
    /// <exception cref="BitmapistStoreException">A store failed; the message says how far the copy got. Running it again is safe.</exception>
    public async Task<MigrationSummary> CopyAsync(IProgress<MigrationProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        progress?.Report(new MigrationProgress(MigrationPhase.Listing, 0, 0, 0, 0));
        // Who is who first: bits copied without their map would be users nobody can name.
        long mapped = 0;
        foreach (var name in await IdMapping.IdMapCopy.MapNamesAsync(_source, ct).ConfigureAwait(false))
            mapped += await IdMapping.IdMapCopy.CopyAsync(_source.IdMap(name), _destination.IdMap(name), ct).ConfigureAwait(false);
        var keys = await ListAsync(_source, ct).ConfigureAwait(false);
        long done = 0, empty = 0, ids = 0, bytes = 0;
        progress?.Report(new MigrationProgress(MigrationPhase.Copying, 0, keys.Count, 0, 0));

        var pending = new List<BitmapMerge>();
        long pendingBytes = 0, pendingKeys = 0;
        var merged = new StrongBox<long>(0); // keys whose merge returned: copied for sure
        var merging = Task.CompletedTask;
        try
        {
            for (var i = 0; i < keys.Count; i += _options.ReadsInFlight)
            {
                var window = keys.Skip(i).Take(_options.ReadsInFlight).ToArray();
                var read = await Task.WhenAll(window.Select(k => ReadAsync(k, ct))).ConfigureAwait(false);
                for (var j = 0; j < window.Length; j++)
                {
                    pendingKeys++;
                    var bitmap = read[j];
                    if (bitmap.Max() is not { } max)
                    {
                        empty++;
                        continue;
                    }
                    pending.Add(new BitmapMerge(_destination.Keys.Key(window[j].Event, window[j].Period), bitmap));
                    pendingBytes += bitmap.MemoryBytes;
                    ids += bitmap.Count();
                    bytes += max / 8 + 1;
                }
                if (pending.Count < _options.KeysPerBatch && pendingBytes < _options.MaxBatchBytes && i + window.Length < keys.Count) continue;
                // One batch merges while the next is read: the previous merge ends before this one starts.
                await merging.ConfigureAwait(false);
                done += pendingKeys;
                merging = MergeAsync([.. pending], pendingKeys, merged, new MigrationProgress(MigrationPhase.Copying, done, keys.Count, ids, bytes), progress, ct);
                pending.Clear();
                pendingBytes = pendingKeys = 0;
            }
            await merging.ConfigureAwait(false);
        }
        catch (BitmapistStoreException e)
        {
            await IgnoreFailure(merging).ConfigureAwait(false);
            throw new BitmapistStoreException(
                $"The migration stopped with {merged.Value} of {keys.Count} keys copied: {e.Message} " +
                "Running it again is safe: every key is merged with an OR, so the keys already copied stay as they are.", e);
        }
        catch
        {
            await IgnoreFailure(merging).ConfigureAwait(false);
            throw;
        }
        return new MigrationSummary(keys.Count, empty, ids, bytes, clock.Elapsed) { MappedIds = mapped };
    }

    /// <summary>
    /// Compares every event key's count (BITCOUNT on Redis) in the source and the destination: the keys of either side,
    /// one program of many counts per batch of keys on each side. A key present on one side only counts 0 on the other.
    /// </summary>
    public async Task<VerificationReport> VerifyAsync(IProgress<MigrationProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        progress?.Report(new MigrationProgress(MigrationPhase.Listing, 0, 0, 0, 0));
        var sourceKeys = ListAsync(_source, ct);
        var destinationKeys = ListAsync(_destination, ct);
        var keys = (await sourceKeys.ConfigureAwait(false)).Union(await destinationKeys.ConfigureAwait(false)).Order().ToArray();
        var mismatches = new List<KeyCountMismatch>();
        progress?.Report(new MigrationProgress(MigrationPhase.Verifying, 0, keys.Length, 0, 0));
        for (var i = 0; i < keys.Length; i += _options.KeysPerCountBatch)
        {
            var batch = keys.AsSpan(i, Math.Min(_options.KeysPerCountBatch, keys.Length - i)).ToArray();
            var counts = await Task.WhenAll(CountAsync(_source, batch, ct), CountAsync(_destination, batch, ct)).ConfigureAwait(false);
            for (var j = 0; j < batch.Length; j++)
                if (counts[0][j] != counts[1][j])
                    mismatches.Add(new KeyCountMismatch(batch[j].Event, batch[j].Period, counts[0][j], counts[1][j]));
            progress?.Report(new MigrationProgress(MigrationPhase.Verifying, i + batch.Length, keys.Length, 0, 0));
        }
        var maps = new List<IdMapCountMismatch>();
        var names = (await IdMapping.IdMapCopy.MapNamesAsync(_source, ct).ConfigureAwait(false))
            .Union(await IdMapping.IdMapCopy.MapNamesAsync(_destination, ct).ConfigureAwait(false)).Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var counts = await Task.WhenAll(_source.IdMap(name).CountAsync(ct), _destination.IdMap(name).CountAsync(ct)).ConfigureAwait(false);
            if (counts[0].Mapped != counts[1].Mapped) maps.Add(new IdMapCountMismatch(name, counts[0].Mapped, counts[1].Mapped));
        }
        return new VerificationReport(keys.Length, mismatches, clock.Elapsed) { IdMapMismatches = maps };
    }

    /// <summary>An event key, by event and period: the same key in both stores whatever their prefixes and layouts.</summary>
    private readonly record struct EventKey(string Event, Period Period) : IComparable<EventKey>
    {
        public int CompareTo(EventKey other) =>
            string.CompareOrdinal(Event, other.Event) is var c and not 0 ? c : Period.CompareTo(other.Period);
    }

    /// <summary>Every event key of <paramref name="store"/>, sorted (SCAN may return a key twice).</summary>
    private static async Task<IReadOnlyList<EventKey>> ListAsync(BitmapStore store, CancellationToken ct)
    {
        var keys = new HashSet<EventKey>();
        await foreach (var key in store.ScanAsync(store.Keys.ScanPattern(), ct).ConfigureAwait(false))
            if (store.Keys.TryParse(key, out var name, out var period))
                keys.Add(new EventKey(name, period));
        return [.. keys.Order()];
    }

    /// <summary>The members of one source key: one program with one ids read of the stored key, streamed in pages.</summary>
    private async Task<PagedBitmap> ReadAsync(EventKey key, CancellationToken ct)
    {
        var read = new ProgramRead(0, Operand.Stored(_source.Keys.Key(key.Event, key.Period)), ReadKind.Ids);
        var backend = _source.Live;
        var program = new BatchProgram([], [read], 0, backend.Profile) { Description = "migration read" };
        var results = await backend.RunAsync(program, ct).ConfigureAwait(false);
        await using var ids = results[0].Ids!;
        return await CollectAsync(ids, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The members of <paramref name="ids"/> as a bitmap, built a page of 2^16 ids at a time: the ids arrive ascending,
    /// so each page's words are filled and appended whole, with no page lookup per id (that lookup was half the read's
    /// time on a key of 200,000 ids).
    /// </summary>
    internal static async Task<PagedBitmap> CollectAsync(IdSource ids, CancellationToken ct)
    {
        var bitmap = new PagedBitmap();
        ulong[]? words = null;
        var number = -1;
        await foreach (var page in ids.PagesAsync(0, ct).ConfigureAwait(false))
            foreach (var id in page)
            {
                var n = (int)(id >> PagedBitmap.PageShift);
                if (n != number)
                {
                    if (n < number) throw new InvalidOperationException($"Internal error: the back end streamed id {id} after a larger one.");
                    if (words is not null) bitmap.AppendPage(number, words);
                    words = new ulong[PagedBitmap.WordsPerPage];
                    number = n;
                }
                words![(id >> 6) & (PagedBitmap.WordsPerPage - 1)] |= PagedBitmap.Mask(id);
            }
        if (words is not null) bitmap.AppendPage(number, words);
        return bitmap;
    }

    /// <summary>Merges one batch into the destination; counts its keys (empty ones included) as copied once it returns.</summary>
    private async Task MergeAsync(BitmapMerge[] batch, long keys, StrongBox<long> merged, MigrationProgress report,
        IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        if (batch.Length > 0) await _destination.MergeAsync(batch, ct).ConfigureAwait(false);
        merged.Value += keys;
        progress?.Report(report);
    }

    /// <summary>The counts of <paramref name="keys"/> in <paramref name="store"/>, in one program of count reads.</summary>
    private static async Task<long[]> CountAsync(BitmapStore store, EventKey[] keys, CancellationToken ct)
    {
        var backend = store.Live;
        var reads = keys.Select(k => new ProgramRead(0, Operand.Stored(store.Keys.Key(k.Event, k.Period)))).ToArray();
        var program = new BatchProgram([], [.. reads], 0, backend.Profile) { Description = "migration check" };
        var results = await backend.RunAsync(program, ct).ConfigureAwait(false);
        return [.. results.Select(r => r.Integer)];
    }

    private static async Task IgnoreFailure(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The first failure is the one reported; this merge's own failure, if any, says nothing more.
        }
    }

    /// <summary>
    /// Whether two stores may hold their keys in one key space: the same back end, or Redis connections that share an
    /// endpoint. Two embedded stores or two different back ends never do.
    /// </summary>
    private static bool MayShareKeys(BitmapStore a, BitmapStore b)
    {
        if (ReferenceEquals(a, b) || ReferenceEquals(Root(a.Backend), Root(b.Backend))) return true;
        if (a is not RedisStore ra || b is not RedisStore rb) return false;
        var endpoints = ra.Connection.GetEndPoints().Select(Backends.Redis.RedisErrors.Format).ToHashSet(StringComparer.OrdinalIgnoreCase);
        return rb.Connection.GetEndPoints().Select(Backends.Redis.RedisErrors.Format).Any(endpoints.Contains);
    }

    private static IBitmapBackend Root(IBitmapBackend backend) => backend is Backends.Sharded.ShardedBackend s ? s.Root : backend;
}
