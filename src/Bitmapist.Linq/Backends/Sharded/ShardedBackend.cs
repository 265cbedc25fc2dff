using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Sharded;

/// <summary>
/// A back end that can name the keys of its temporaries: the sharded layout asks it for a view of itself whose
/// temporaries and leases live under one shard's prefix (the shard's hash tag), and whose new keys are created at the
/// shard's full size. Redis implements it; a back end whose temporaries are not keys (the embedded engine) needs not.
/// </summary>
internal interface IShardableBackend
{
    /// <summary>This back end, with temporaries named under <paramref name="keyPrefix"/> and new keys sized for <paramref name="shardWidth"/> ids.</summary>
    IBitmapBackend ForShard(string keyPrefix, uint shardWidth);

    /// <summary>
    /// True when one batch may touch keys of several shards: a single Redis (one batch for the whole query), not a
    /// cluster, where a batch must stay in one slot.
    /// </summary>
    bool BatchesSpanShards { get; }
}

/// <summary>
/// The sharded layout (<see cref="KeyLayout.Sharded"/>) over any back end: scatter-gather. A program is planned and
/// emitted once, copied per shard (<see cref="ShardProgram"/>), and every shard's copy is sent at once, each one batch
/// in one slot (one MULTI/EXEC or script call on Redis); the answers are gathered: counts add, a membership comes from
/// its id's shard, the smallest member from the first shard that has one, members shard after shard in id order. Only
/// shards the registry lists are visited (<see cref="ShardRegistry"/>). Writes go per shard, each shard's part atomic,
/// the whole not. Each shard's answer is a snapshot; the gathered answer is not one snapshot across shards (writes
/// may land in one shard between two shards' batches).
/// Where one batch may span shards (a single Redis, the embedded engine) the shards' copies are joined into one
/// program instead, run as one batch: one round trip and one snapshot whatever the number of shards, and a mark
/// batch stays atomic as a whole.
/// </summary>
internal sealed partial class ShardedBackend : IBitmapBackend
{
    private readonly IBitmapBackend _root;
    private readonly ShardMap _map;
    private readonly ShardRegistry _registry;
    private readonly ConcurrentDictionary<uint, IBitmapBackend> _views = new();
    private readonly ConditionalWeakTable<BatchProgram, ConcurrentDictionary<uint, BatchProgram?>> _programs = new();
    private readonly IBitmapBackend _explainView;

    /// <summary>Where one batch may span shards: the back end that runs joined programs and whole write batches; else null.</summary>
    private readonly IBitmapBackend? _together;
    private readonly ConditionalWeakTable<BatchProgram, Joined> _joined = new();
    private Task? _checked;
    private Task? _markerWritten;

    /// <param name="root">The back end that holds every shard's keys (one Redis, a cluster, the embedded engine).</param>
    /// <param name="keys">The store's key scheme: its prefix starts every key.</param>
    /// <param name="shardBits">The shard width in bits.</param>
    public ShardedBackend(IBitmapBackend root, KeyScheme keys, int shardBits)
    {
        _root = root;
        _map = new ShardMap(keys.Prefix, shardBits);
        _registry = new ShardRegistry(root, _map);
        _explainView = View(_map.Prefix + ExplainShardPrefix);
        _together = root is not IShardableBackend shardable ? root : shardable.BatchesSpanShards ? View(_map.Prefix) : null;
    }

    /// <summary>What explain prints in place of a shard's hash tag and number.</summary>
    public const string ExplainShardPrefix = "{tag}N:";

    /// <summary>The layout this back end stores.</summary>
    public KeyLayout Layout => KeyLayout.Sharded(_map.ShardBits);

    /// <summary>The back end underneath, which holds every shard.</summary>
    public IBitmapBackend Root => _root;

    internal ShardMap Map => _map;

    /// <inheritdoc />
    public CapabilityProfile Profile => _root.Profile;

    private IBitmapBackend View(uint shard) => _views.GetOrAdd(shard, s => View(_map.ShardPrefix(s)));

    private IBitmapBackend View(string prefix) => _root is IShardableBackend s ? s.ForShard(prefix, _map.Width) : _root;

    /// <summary>
    /// Checks once that the store holds this layout (its marker names this width, or no sharded marker exists), before
    /// the first operation; the store's connect calls it so a mismatch fails there. A failed check is tried again next time.
    /// </summary>
    public Task CheckLayoutAsync(CancellationToken ct) =>
        OnceAsync(ref _checked, () => LayoutMarker.CheckAsync(_root, _map.Prefix, Layout, ct));

    /// <summary>Writes the layout marker once, before the first write (after the check: never over another layout's marker).</summary>
    private Task WriteMarkerAsync(CancellationToken ct) => OnceAsync(ref _markerWritten, async () =>
    {
        await CheckLayoutAsync(ct).ConfigureAwait(false);
        await _root.WriteBitsAsync([new BitWrite(_map.MarkerKey, 0, true)], ct).ConfigureAwait(false);
    });

    /// <summary>
    /// The task in <paramref name="slot"/>, started by <paramref name="start"/> the first time and again after it failed or
    /// was cancelled (a lost connection must not make the store unusable); once it succeeded it costs nothing.
    /// </summary>
    private static Task OnceAsync(ref Task? slot, Func<Task> start)
    {
        var task = Volatile.Read(ref slot);
        if (task is { IsCompletedSuccessfully: true }) return task;
        if (task is null || task.IsFaulted || task.IsCanceled) Interlocked.CompareExchange(ref slot, start(), task);
        return Volatile.Read(ref slot)!;
    }

    // ---------------------------------------------------------------- reads

    /// <inheritdoc />
    public async Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
    {
        if (program.IsEmpty) return [.. program.Reads.Select(ReadResult.OfEmpty)];
        await CheckLayoutAsync(ct).ConfigureAwait(false);
        var runs = new List<Task<ShardRun[]>>();
        try
        {
            if (ShardProgram.OnlyShards(program, _map) is { } only)
            {
                // Membership tests: their ids' shards only, registry or not (a shard without data answers no).
                runs.Add(RunInShardsAsync(program, only, ct));
            }
            else
            {
                // The shards known now run while the registry is read; a shard the registry adds runs after. A literal
                // set's ids ({1, 2}) are members in their shards even where nothing is stored.
                var known = _registry.Known.Union(ShardProgram.LiteralShards(program, _map));
                var refresh = _registry.RefreshAsync(ct);
                runs.Add(RunInShardsAsync(program, [.. known], ct));
                var all = await refresh.ConfigureAwait(false);
                if (all.Except(known).ToArray() is { Length: > 0 } added) runs.Add(RunInShardsAsync(program, added, ct));
            }
            await Task.WhenAll(runs).ConfigureAwait(false);
        }
        catch
        {
            await DisposeStreamsAsync(runs).ConfigureAwait(false);
            throw;
        }
        return Gather(program, [.. runs.SelectMany(r => r.Result).OrderBy(r => r.Shard)]);
    }

    /// <summary>One shard's part of a run: its copy of the program and the answers to the copy's reads.</summary>
    private readonly record struct ShardRun(uint Shard, BatchProgram Local, ReadResult[] Results);

    /// <summary>
    /// Runs <paramref name="program"/> in <paramref name="shards"/>: as one joined program where a batch may span shards,
    /// else every shard's copy at once, each its own batch. Shards with nothing to answer are left out.
    /// </summary>
    private async Task<ShardRun[]> RunInShardsAsync(BatchProgram program, IReadOnlyList<uint> shards, CancellationToken ct)
    {
        if (_together is not null)
        {
            var joined = Join(program, shards);
            if (joined.Locals.IsEmpty) return [];
            var results = await _together.RunAsync(joined.Program, ct).ConfigureAwait(false);
            var width = program.Reads.Length;
            return [.. joined.Locals.Select((l, i) => new ShardRun(l.Shard, l.Program, results[(i * width)..((i + 1) * width)]))];
        }
        var locals = shards.Select(s => (Shard: s, Program: Localized(program, s))).Where(l => l.Program is not null).ToArray();
        var tasks = locals.Select(l => View(l.Shard).RunAsync(l.Program!, ct)).ToArray();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            await DisposeStreamsAsync([.. tasks.Select(t => t.ContinueWith(x => new[] { new ShardRun(0, program, x.Result) }, TaskScheduler.Default))])
                .ConfigureAwait(false);
            throw;
        }
        return [.. locals.Select((l, i) => new ShardRun(l.Shard, l.Program!, tasks[i].Result))];
    }

    /// <summary>
    /// The shards' copies one after another as one program: shard i's reads are reads i * R .. i * R + R - 1. The copies
    /// share temporary numbers: each copy writes a temporary before it reads it, so the next copy may reuse it (and
    /// Redis its memory). The last join of each program is kept, so a repeated query (a cached cohort plan) sends the
    /// same prepared batch; the copies themselves are not kept apart from it, so memory stays one program per shard.
    /// </summary>
    private Joined Join(BatchProgram program, IReadOnlyList<uint> shards)
    {
        if (_joined.TryGetValue(program, out var kept) && kept.Requested.SequenceEqual(shards)) return kept;
        var locals = shards.Select(s => (Shard: s, Program: ShardProgram.For(program, _map, s, key => _map.PhysicalKey(s, key))))
            .Where(l => l.Program is not null).Select(l => (l.Shard, l.Program!)).ToImmutableArray();
        BatchProgram joined;
        if (locals.Length == 1)
        {
            joined = locals[0].Item2;
        }
        else
        {
            var steps = ImmutableArray.CreateBuilder<ProgramStep>();
            var reads = ImmutableArray.CreateBuilder<ProgramRead>();
            foreach (var (_, local) in locals)
            {
                var offset = steps.Count;
                reads.AddRange(local.Reads.Select(r => r with { Position = r.Position + offset }));
                steps.AddRange(local.Steps);
            }
            joined = new BatchProgram(steps.ToImmutable(), reads.ToImmutable(), program.TempCount, program.Profile) { Description = program.Description };
        }
        var result = new Joined([.. shards], locals, joined);
        _joined.AddOrUpdate(program, result);
        return result;
    }

    private sealed record Joined(ImmutableArray<uint> Requested, ImmutableArray<(uint Shard, BatchProgram Program)> Locals, BatchProgram Program);

    /// <summary>A shard's copy of a program run on its own (a cluster), kept with the program so its prepared script call is reused.</summary>
    private BatchProgram? Localized(BatchProgram program, uint shard) =>
        _programs.GetValue(program, _ => new()).GetOrAdd(shard, s => ShardProgram.For(program, _map, s, key => _map.PhysicalKey(s, key)));

    private ReadResult[] Gather(BatchProgram program, IReadOnlyList<ShardRun> shards)
    {
        var gathered = new ReadResult[program.Reads.Length];
        for (var i = 0; i < gathered.Length; i++)
        {
            var read = program.Reads[i];
            var ran = shards.Where(s => s.Local.Reads[i].Source is not null).ToArray();
            gathered[i] = read.Kind switch
            {
                _ when read.Source is null => ReadResult.OfEmpty(read),
                ReadKind.Min => new ReadResult(ran.Select(s => s.Results[i].Integer < 0 ? -1 : _map.BaseOf(s.Shard) + s.Results[i].Integer)
                    .Where(m => m >= 0).DefaultIfEmpty(-1).First()),
                ReadKind.Ids or ReadKind.Max => new ReadResult(0, new ShardedIdSource([.. ran.Select(s => (_map.BaseOf(s.Shard), s.Results[i].Ids!))], _map)),
                // Count and Any add; a membership's one shard answers 1 or 0.
                _ => new ReadResult(ran.Sum(s => s.Results[i].Integer)),
            };
        }
        return gathered;
    }

    private static async Task DisposeStreamsAsync(IEnumerable<Task<ShardRun[]>> runs)
    {
        foreach (var task in runs)
        {
            try
            {
                foreach (var run in await task.ConfigureAwait(false))
                    foreach (var result in run.Results)
                        if (result.Ids is { } ids) await ids.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // That shard failed or its lease could not be dropped (it carries a TTL): the first error is the one reported.
            }
        }
    }

    /// <inheritdoc />
    public IEnumerable<string> Describe(BatchProgram program)
    {
        var shard = ShardProgram.OnlyShards(program, _map) is [var first, ..] ? first : 0;
        var local = ShardProgram.For(program, _map, shard, key => _map.Prefix + ExplainShardPrefix + key[_map.Prefix.Length..]);
        var fanOut = ShardProgram.OnlyShards(program, _map) is { } only
            ? $"in the shard of its id{(only.Count == 1 ? "" : "s")} only ({only.Count} shard{(only.Count == 1 ? "" : "s")})"
            : $"in every shard the shard registry lists ({_registry.Known.Count} known to this process so far; the registry is read with each query), " +
              (_together is null ? "each shard's batch on its own, all at once" : "joined into one batch");
        yield return $"sharded layout (shards of 2^{_map.ShardBits} ids; {ExplainShardPrefix} stands for shard N's hash tag and number): the program runs {fanOut};";
        yield return "  counts add, a membership comes from its id's shard, min/max from the first/last shard that has one, ids shard after shard";
        if (local is null)
        {
            yield return "  (nothing to run in any shard)";
            yield break;
        }
        foreach (var line in _explainView.Describe(local)) yield return line;
    }

    // ---------------------------------------------------------------- writes

    /// <inheritdoc />
    public async Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
    {
        if (writes.Count == 0) return;
        await WriteMarkerAsync(ct).ConfigureAwait(false);
        var groups = writes.GroupBy(w => _map.ShardOf(w.Bit)).OrderBy(g => g.Key).ToArray();
        // A clear needs no registry bit: a shard that never had a set bit holds nothing to clear.
        await _registry.EnsureAsync(groups.Where(g => g.Any(w => w.Value)).Select(g => g.Key), ct).ConfigureAwait(false);
        BitWrite[] Physical(IEnumerable<BitWrite> ws) => [.. ws.Select(w => new BitWrite(_map.PhysicalKey(_map.ShardOf(w.Bit), w.Key), _map.OffsetOf(w.Bit), w.Value))];
        if (_together is not null)
        {
            await _together.WriteBitsAsync(Physical(writes), ct).ConfigureAwait(false); // one atomic batch, as unsharded
            return;
        }
        var tasks = groups.Select(g => View(g.Key).WriteBitsAsync(Physical(g), ct)).ToArray();
        await AllOrExplainAsync(tasks, groups.Length, "mark batch").ConfigureAwait(false);
    }

    /// <summary>Awaits every shard's write; when some failed after others were applied, one error says so.</summary>
    private static async Task AllOrExplainAsync(Task[] tasks, int shards, string what)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception) when (tasks.Length > 1)
        {
            var failed = tasks.Where(t => t.IsFaulted || t.IsCanceled).ToArray();
            var first = failed.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null);
            if (first is null) throw;
            var applied = shards - failed.Length;
            if (applied == 0) throw first;
            throw new BitmapistStoreException(
                $"The {what} was applied in {applied} of its {shards} shards and failed in {failed.Length}: the sharded layout writes each " +
                $"shard's part atomically, but not the whole. Sending the same {what} again is safe (setting a bit twice changes nothing). " +
                $"The first failure: {first.Message}", first);
        }
    }

    /// <inheritdoc />
    public async Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct)
    {
        if (merges.Count == 0) return;
        await WriteMarkerAsync(ct).ConfigureAwait(false);
        var perShard = new SortedDictionary<uint, List<BitmapMerge>>();
        var shardsOfKey = new List<uint>[merges.Count];
        for (var m = 0; m < merges.Count; m++)
        {
            shardsOfKey[m] = [];
            foreach (var (shard, slice) in Split(merges[m].Bitmap))
            {
                if (!perShard.TryGetValue(shard, out var list)) perShard[shard] = list = [];
                list.Add(new BitmapMerge(_map.PhysicalKey(shard, merges[m].Key), slice));
                shardsOfKey[m].Add(shard);
            }
        }
        await _registry.EnsureAsync(perShard.Keys, ct).ConfigureAwait(false);
        if (_together is not null)
        {
            // One merge of every shard's slices, in the back end's own atomic groups; its error says what was applied.
            await _together.MergeAsync([.. perShard.Values.SelectMany(l => l)], ct).ConfigureAwait(false);
            return;
        }
        var done = new ConcurrentDictionary<uint, bool>();
        try
        {
            // Several shards in flight (a cluster merges on every node at once), not thousands: each group is up to 32 MiB.
            await Parallel.ForEachAsync(perShard, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (entry, token) =>
            {
                await View(entry.Key).MergeAsync(entry.Value, token).ConfigureAwait(false);
                done[entry.Key] = true;
            }).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BitmapistStoreException or OperationCanceledException)
        {
            var keysApplied = shardsOfKey.Count(shards => shards.All(done.ContainsKey));
            throw new BitmapistImportException(
                $"The bulk import was applied in {done.Count} of its {perShard.Count} shards ({keysApplied} of {merges.Count} keys whole) when it " +
                $"stopped: {e.Message} Running the same import again is safe: a merge is an OR.", keysApplied, merges.Count, done.Count, e);
        }
    }

    /// <summary>
    /// A client-built bitmap cut into shards: each shard's ids as offsets; shards without ids left out. A shard of at
    /// least 2^16 ids is whole pages of the bitmap, which move as they are (a bulk import or a migration of millions
    /// of ids copies pages, not ids); narrower shards take their ids one by one.
    /// </summary>
    private IEnumerable<(uint Shard, PagedBitmap Slice)> Split(PagedBitmap bitmap)
    {
        var pagesPerShardBits = _map.ShardBits - PagedBitmap.PageShift;
        if (pagesPerShardBits >= 0)
        {
            PagedBitmap? pages = null;
            uint shardOfPages = 0;
            foreach (var (number, words) in bitmap.Pages())
            {
                var shard = (uint)number >> pagesPerShardBits;
                if (pages is not null && shard != shardOfPages)
                {
                    if (!pages.IsEmpty()) yield return (shardOfPages, pages);
                    pages = null;
                }
                shardOfPages = shard;
                (pages ??= new PagedBitmap()).AppendPage(number & ((1 << pagesPerShardBits) - 1), (ulong[])words.Clone());
            }
            if (pages is not null && !pages.IsEmpty()) yield return (shardOfPages, pages);
            yield break;
        }
        PagedBitmap? slice = null;
        uint current = 0;
        foreach (var id in bitmap.Ids())
        {
            var shard = _map.ShardOf(id);
            if (slice is not null && shard != current)
            {
                yield return (current, slice);
                slice = null;
            }
            current = shard;
            (slice ??= new PagedBitmap()).Set(_map.OffsetOf(id));
        }
        if (slice is not null) yield return (current, slice);
    }

    // ---------------------------------------------------------------- key space

    /// <inheritdoc />
    public async IAsyncEnumerable<string> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken ct)
    {
        await CheckLayoutAsync(ct).ConfigureAwait(false);
        // Every shard's copies of the keys the pattern names: the tag matched by '*', the rest as asked. A '*' may
        // also match past the tag's '}' into an event name, so every key is parsed and matched again by its logical name.
        var physical = pattern.StartsWith(_map.EscapedPrefix, StringComparison.Ordinal)
            ? _map.EscapedPrefix + "{*}*:" + pattern[_map.EscapedPrefix.Length..]
            : "*";
        var logicalPattern = Glob.ToRegex(pattern);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var key in _root.ScanAsync(physical, ct).ConfigureAwait(false))
            if (_map.TryParsePhysical(key, out _, out var logical) && logicalPattern.IsMatch(logical) && seen.Add(logical))
                yield return logical;
    }

    /// <inheritdoc />
    public async Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        if (keys.Count == 0) return 0;
        var distinct = keys.Distinct(StringComparer.Ordinal).ToArray();
        var existed = await AnyKeyExistsAsync([.. distinct.Select(k => (IReadOnlyList<string>)[k])], ct).ConfigureAwait(false);
        var shards = _registry.Known; // refreshed by the check just made
        if (_together is not null)
        {
            await _together.DeleteAsync([.. shards.SelectMany(s => distinct.Select(k => _map.PhysicalKey(s, k)))], ct).ConfigureAwait(false);
            return existed.Count(e => e);
        }
        await Task.WhenAll(shards.Select(s => View(s).DeleteAsync([.. distinct.Select(k => _map.PhysicalKey(s, k))], ct))).ConfigureAwait(false);
        return existed.Count(e => e);
    }

    /// <inheritdoc />
    public async Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct)
    {
        await CheckLayoutAsync(ct).ConfigureAwait(false);
        var shards = await _registry.RefreshAsync(ct).ConfigureAwait(false);
        if (_together is not null)
        {
            // One node: each group's keys in every shard make one group (one EXISTS k1 k2 ... on Redis).
            return await _root.AnyKeyExistsAsync([.. groups.Select(g => (IReadOnlyList<string>)[.. shards.SelectMany(s => g.Select(k => _map.PhysicalKey(s, k)))])], ct)
                .ConfigureAwait(false);
        }
        // One group per (group, shard): the keys of one shard share a slot, so each is one EXISTS on a cluster too.
        var perShard = groups.SelectMany(g => shards.Select(s => (IReadOnlyList<string>)[.. g.Select(k => _map.PhysicalKey(s, k))])).ToArray();
        var answers = perShard.Length == 0 ? [] : await _root.AnyKeyExistsAsync(perShard, ct).ConfigureAwait(false);
        return [.. groups.Select((_, g) => answers.Skip(g * shards.Count).Take(shards.Count).Any(a => a))];
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _root.DisposeAsync();
}
