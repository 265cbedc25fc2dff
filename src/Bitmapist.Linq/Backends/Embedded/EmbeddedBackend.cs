using System.Runtime.CompilerServices;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// The in-process engine: bitmapist's keys in a dictionary of <see cref="PagedBitmap"/>s behind one
/// reader-writer lock, so a batch's reads all see the same data and a mark batch lands whole. It runs the same
/// programs as Redis, with every operator native and no temporaries outside the call. With a
/// <paramref name="journal"/> (a store opened from a file) every write is appended to it, under the write lock and
/// before it is applied and acknowledged, so it survives the process (<see cref="WriteJournal"/>).
/// </summary>
internal sealed class EmbeddedBackend(CapabilityProfile profile, Dictionary<string, PagedBitmap> keys, WriteJournal? journal = null)
    : IBitmapBackend, IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    /// <inheritdoc />
    public CapabilityProfile Profile { get; } = profile;

    /// <summary>True when a write landed since the last save to the store's own file (or since it was opened).</summary>
    public bool Dirty { get; private set; }

    /// <summary>Number of stored keys.</summary>
    public int KeyCount => Read(() => keys.Count);

    /// <summary>Bytes held by the bitmaps (pages and their index), for memory comparisons.</summary>
    public long MemoryBytes => Read(() => keys.Sum(k => k.Value.MemoryBytes + k.Key.Length * 2 + 48));

    /// <summary>Runs <paramref name="save"/> on the keys under the read lock (no write can land meanwhile), then counts the store as saved.</summary>
    public void Save(Action<Dictionary<string, PagedBitmap>> save, bool marksSaved)
    {
        _lock.EnterReadLock();
        try
        {
            save(keys);
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
        return Task.FromResult(Read(() => Evaluate(program, ct)));
    }

    /// <inheritdoc />
    public IEnumerable<string> Describe(BatchProgram program) => Explain(program);

    /// <summary>What explain prints for <paramref name="program"/> run in process.</summary>
    internal static IEnumerable<string> Explain(BatchProgram program) =>
    [
        program.Reads.Length == 1
            ? "runs in process on the embedded store's bitmaps (no server, no temporaries)"
            : "runs in process on the embedded store's bitmaps, in one pass under one read lock",
    ];

    /// <summary>
    /// Runs a program in one pass under the read lock, so every read sees the same data; temporaries are plain
    /// values that vanish with the call. A count of an AND that nothing else reads is one fused pass
    /// (<see cref="PagedBitmap.AndCount"/>): no intermediate bitmap, which is a plain AND query and most cells of
    /// a cohort table.
    /// </summary>
    private ReadResult[] Evaluate(BatchProgram program, CancellationToken ct)
    {
        var temps = new PagedBitmap?[program.TempCount];
        var results = new ReadResult[program.Reads.Length];
        var fused = FusableSteps(program);
        var skipped = fused.Values.ToHashSet();
        foreach (var (read, i) in program.InOrder())
        {
            if (read >= 0)
            {
                results[read] = Answer(program.Reads[read], fused.TryGetValue(read, out var step) ? (BitOpStep)program.Steps[step] : null);
                continue;
            }
            if ((i & 63) == 0) ct.ThrowIfCancellationRequested();
            if (skipped.Contains(i)) continue;
            temps[program.Steps[i].Target] = Run(program.Steps[i], Get);
        }
        return results;

        PagedBitmap Get(Operand o) =>
            o.IsTemp ? temps[o.Temp] ?? throw new InvalidOperationException($"tmp{o.Temp} read before written")
            : keys.TryGetValue(o.StoredKey!, out var b) ? b : Empty;

        ReadResult Answer(ProgramRead read, BitOpStep? fusedAnd)
        {
            if (read.Source is not { } source) return ReadResult.OfEmpty(read);
            if (fusedAnd is not null) return new ReadResult(PagedBitmap.AndCount([.. fusedAnd.Sources.Select(Get)]));
            var bitmap = Get(source);
            return read.Kind switch
            {
                ReadKind.Count or ReadKind.Any => new ReadResult(bitmap.Count()),
                ReadKind.Contains => new ReadResult(bitmap.Contains(read.Id) ? 1 : 0),
                ReadKind.Min => new ReadResult(bitmap.Min() is { } min ? min : -1),
                // A stored key can change after the read lock is released: stream a snapshot. A temporary that
                // streams is never reused by a later step (the emitter keeps it).
                _ => new ReadResult(0, new BitmapIdSource(source.IsTemp ? bitmap : bitmap.Clone())),
            };
        }
    }

    /// <summary>One step on in-process bitmaps (every operator is native here).</summary>
    private static PagedBitmap Run(ProgramStep step, Func<Operand, PagedBitmap> get) => step switch
    {
        LiteralStep l => PagedBitmap.Of(l.Ids),
        BitOpStep { Op: BitOpKind.And } b => PagedBitmap.And([.. b.Sources.Select(get)]),
        BitOpStep { Op: BitOpKind.Or } b => PagedBitmap.Or([.. b.Sources.Select(get)]),
        BitOpStep { Op: BitOpKind.Xor } b => PagedBitmap.Xor([.. b.Sources.Select(get)]),
        BitOpStep { Op: BitOpKind.Diff } b => PagedBitmap.Difference(get(b.Sources[0]), [.. b.Sources.Skip(1).Select(get)]),
        BitOpStep { Op: BitOpKind.AndOr } b => PagedBitmap.And([get(b.Sources[0]), PagedBitmap.Or([.. b.Sources.Skip(1).Select(get)])]),
        _ => throw new InvalidOperationException(step.ToString()),
    };

    private static readonly PagedBitmap Empty = new();

    /// <summary>
    /// Count reads whose set is an AND step's result that only that read uses (the step runs just before the read,
    /// and its value is used by nothing else before it is next written), each with the index of that step: the one
    /// place the AND-then-count fusion is decided. One walk through the program, following each temporary's
    /// current value: the step that wrote it, how often it has been used, and the read that used it when that read
    /// came first, right after the step, and is a count.
    /// </summary>
    internal static Dictionary<int, int> FusableSteps(BatchProgram program)
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
            if (step is BitOpStep { Op: BitOpKind.And } and && !and.Sources.Any(o => o.IsTemp && o.Temp == and.Target))
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
        var matches = Read(() => keys.Keys.Where(k => regex.IsMatch(k)).ToArray());
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
