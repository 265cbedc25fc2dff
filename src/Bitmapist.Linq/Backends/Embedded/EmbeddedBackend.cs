using System.Runtime.CompilerServices;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// The in-process engine: bitmapist's keys in a dictionary of <see cref="PagedBitmap"/>s behind one
/// reader-writer lock, so a batch's reads all see the same data and a mark batch lands whole. It runs the same
/// programs as Redis, with every operator native, page by page (<see cref="PageEvaluator"/>): no intermediate
/// bitmaps and no temporaries outside the call. With a <paramref name="journal"/> (a store opened from a file)
/// every write is appended to it, under the write lock and before it is applied and acknowledged, so it survives
/// the process (<see cref="WriteJournal"/>).
/// </summary>
internal sealed partial class EmbeddedBackend(CapabilityProfile profile, Dictionary<string, PagedBitmap> keys, WriteJournal? journal = null, IdMapTables? idMaps = null)
    : IBitmapBackend, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    /// <summary>The id maps (<see cref="IdMapping.IdMap"/>) the engine holds beside its bitmaps.</summary>
    private readonly IdMapTables _idMaps = idMaps ?? new IdMapTables();

    /// <inheritdoc />
    public CapabilityProfile Profile { get; } = profile;

    /// <summary>True when a write landed since the last save to the store's own file (or since it was opened).</summary>
    public bool Dirty { get; private set; }

    /// <summary>Number of stored keys.</summary>
    public int KeyCount => Read(() => keys.Count);

    /// <summary>Bytes held by the bitmaps (pages and their index) and the id maps, for memory comparisons.</summary>
    public long MemoryBytes => Read(() => keys.Sum(k => k.Value.MemoryBytes + k.Key.Length * 2 + 48) + _idMaps.MemoryBytes);

    /// <summary>Bytes held by the id maps alone (<see cref="IdMapTables.MemoryBytes"/>).</summary>
    internal long IdMapMemoryBytes => Read(() => _idMaps.MemoryBytes);

    /// <summary>
    /// Runs <paramref name="save"/> on the keys and the id maps under the read lock (no write can land meanwhile, so
    /// the two agree), then counts the store as saved.
    /// </summary>
    public void Save(Action<Dictionary<string, PagedBitmap>, IdMapTables> save, bool marksSaved)
    {
        _lock.EnterReadLock();
        try
        {
            save(keys, _idMaps);
            if (marksSaved) Dirty = false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <inheritdoc />
    public Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Write(() =>
        {
            journal?.AppendBits(writes);
            foreach (var w in writes)
            {
                if (w.Value) BitmapFor(w.Key).Set(w.Bit);
                else if (keys.TryGetValue(w.Key, out var b)) b.Clear(w.Bit); // Redis SETBIT 0 creates the key; emptiness is what counts
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Write(() =>
        {
            journal?.AppendMerges(merges);
            foreach (var merge in merges)
            {
                if (keys.TryGetValue(merge.Key, out var existing)) existing.UnionWith(merge.Bitmap);
                else keys[merge.Key] = merge.Bitmap.Clone();
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() => PageEvaluator.Run(program, keys, ct)));
    }

    /// <inheritdoc />
    public IEnumerable<string> Describe(BatchProgram program) => Explain(program);

    /// <summary>What explain prints for <paramref name="program"/> run in process.</summary>
    internal static IEnumerable<string> Explain(BatchProgram program) =>
    [
        program.Reads.Length == 1
            ? "runs in process on the embedded store's bitmaps (no server, no temporaries)"
            : "runs in process on the embedded store's bitmaps, page by page in one pass under one read lock",
    ];

    /// <summary>
    /// Count reads whose set is an AND step's result that only that read uses (the step runs just before the read,
    /// and its value is used by nothing else before it is next written), each with the index of that step: the one
    /// place the AND-then-count fusion is decided. One walk through the program, following each temporary's
    /// current value: the step that wrote it, how often it has been used, and the read that used it when that read
    /// came first, right after the step, and is a count. With <paramref name="anyOperator"/>, steps of every operator
    /// qualify (the page evaluator counts an OR, XOR, DIFF or ANDOR of two arrays from their intersection).
    /// </summary>
    internal static Dictionary<int, int> FusableSteps(BatchProgram program, bool anyOperator = false)
    {
        var fusable = new Dictionary<int, int>();
        var values = new Dictionary<int, (int Writer, int Uses, int Read)>();
        void Retire(int temp)
        {
            if (values.Remove(temp, out var v) && v.Uses == 1 && v.Read >= 0) fusable[v.Read] = v.Writer;
        }
        foreach (var (read, i) in program.InOrder())
        {
            if (read >= 0)
            {
                var r = program.Reads[read];
                if (r.Source is { IsTemp: true } s && values.TryGetValue(s.Temp, out var v))
                    values[s.Temp] = (v.Writer, v.Uses + 1,
                        v.Uses == 0 && v.Writer == r.Position - 1 && r.Kind is ReadKind.Count or ReadKind.Any ? read : -1);
                continue;
            }
            var step = program.Steps[i];
            if (step is BitOpStep b)
                foreach (var s in b.Sources)
                    if (s.IsTemp && values.TryGetValue(s.Temp, out var v)) values[s.Temp] = (v.Writer, v.Uses + 1, -1);
            Retire(step.Target);
            // Any operator, even one whose target is also a source (tmp0 = XOR tmp0 tmp1): the page evaluator skips
            // the step and counts its inputs, whose values are still there.
            if (step is BitOpStep candidate
                && (anyOperator || (candidate.Op == BitOpKind.And && !candidate.Sources.Any(o => o.IsTemp && o.Temp == candidate.Target))))
                values[step.Target] = (i, 0, -1);
        }
        foreach (var temp in values.Keys.ToList()) Retire(temp);
        return fusable;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var regex = Glob.ToRegex(pattern);
        // An id map lane is listed by its forward key, as Redis lists its hash: migrations find maps by their keys.
        var matches = Read(() => keys.Keys.Concat(_idMaps.All.Keys).Where(k => regex.IsMatch(k)).ToArray());
        foreach (var key in matches)
        {
            ct.ThrowIfCancellationRequested();
            yield return key;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() => groups.Select(g => g.Any(keys.ContainsKey)).ToArray()));
    }

    /// <inheritdoc />
    public Task<long> DeleteAsync(IReadOnlyList<string> toDelete, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        long n = 0;
        Write(() =>
        {
            journal?.AppendDeletes(toDelete);
            foreach (var k in toDelete) if (keys.Remove(k)) n++;
        });
        return Task.FromResult(n);
    }

    /// <summary>A copy of one stored bitmap (tests and tools).</summary>
    public PagedBitmap? Snapshot(string key) => Read(() => keys.TryGetValue(key, out var b) ? b.Clone() : null);

    private PagedBitmap BitmapFor(string key)
    {
        if (!keys.TryGetValue(key, out var b)) keys[key] = b = new PagedBitmap();
        return b;
    }

    private T Read<T>(Func<T> f)
    {
        _lock.EnterReadLock();
        try { return f(); }
        finally { _lock.ExitReadLock(); }
    }

    private void Write(Action a)
    {
        _lock.EnterWriteLock();
        try
        {
            a();
            Dirty = true;
        }
        finally { _lock.ExitWriteLock(); }
        // Outside the write lock: compaction snapshots the keys under the read lock.
        journal?.CompactIfDue(this);
    }

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
