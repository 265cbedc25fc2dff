using System.Runtime.CompilerServices;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Execution;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Tracking;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// An in-process store: no server, thread-safe, optionally persisted to one file. It is the default when no
/// Redis is configured. It runs the same optimized programs as Redis (with every operator native) on
/// <see cref="PagedBitmap"/>s, keyed by the same bitmapist key names.
/// </summary>
public sealed class EmbeddedStore : BitmapStore
{
    private readonly Dictionary<string, PagedBitmap> _keys;
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly StoreFileLock? _fileLock;
    private readonly bool _readOnly;
    private bool _dirty;

    /// <summary>An empty store in memory only.</summary>
    public EmbeddedStore(StoreOptions? options = null) : this(options, new Dictionary<string, PagedBitmap>(StringComparer.Ordinal), null)
    {
    }

    private EmbeddedStore(StoreOptions? options, Dictionary<string, PagedBitmap> keys, string? path,
        StoreFileLock? fileLock = null, bool readOnly = false) : base(options)
    {
        _keys = keys;
        FilePath = path;
        _fileLock = fileLock;
        _readOnly = readOnly;
    }

    /// <summary>
    /// Opens the store persisted at <paramref name="path"/> for writing, or starts it empty when the file does
    /// not exist yet. Changes are written back by <see cref="Save"/> only: never implicitly, so an interrupted
    /// operation cannot overwrite a good file with half its work.
    /// </summary>
    /// <remarks>
    /// The store holds the file's writer lock (a sibling <c>.lock</c> file) until it is disposed, so another
    /// process (or store) that opens the same file for writing waits for it, up to
    /// <see cref="StoreOptions.FileLockTimeout"/>: what one writer loads, changes and saves is never
    /// overwritten by another that loaded the file before. Readers (<see cref="OpenReadOnly"/>) take no lock;
    /// saving replaces the file atomically, so they see either the old or the new contents.
    /// </remarks>
    /// <exception cref="EmbeddedStoreFileException">The file exists but is truncated, damaged or not a store
    /// file (it is left untouched), the path is a directory, or another writer held the lock past the timeout.</exception>
    public static EmbeddedStore Open(string path, StoreOptions? options = null)
    {
        var full = Path.GetFullPath(path);
        var fileLock = LockForWriting(full, (options ?? new StoreOptions()).FileLockTimeout);
        try
        {
            // Loaded under the lock: the contents a later Save replaces are exactly the ones this store started from.
            var keys = File.Exists(full) ? EmbeddedStoreFile.Load(full) : new Dictionary<string, PagedBitmap>(StringComparer.Ordinal);
            return new EmbeddedStore(options, keys, full, fileLock);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the store persisted at <paramref name="path"/> to read it: no writer lock is taken, so it opens
    /// while another process writes the file, and sees the contents of the last completed save.
    /// <see cref="Save"/> is refused.
    /// </summary>
    /// <exception cref="EmbeddedStoreFileException">The file does not exist, is a directory, or is damaged.</exception>
    public static EmbeddedStore OpenReadOnly(string path, StoreOptions? options = null)
    {
        var full = Path.GetFullPath(path);
        EmbeddedStoreFile.CheckIsFilePath(full);
        if (!File.Exists(full)) throw new EmbeddedStoreFileException($"The embedded store file '{path}' does not exist.");
        return new EmbeddedStore(options, EmbeddedStoreFile.Load(full), full, readOnly: true);
    }

    /// <summary>A memory-only store holding the built-in sample data (see <see cref="Sample.SampleData"/>).</summary>
    public static async Task<EmbeddedStore> WithSampleDataAsync(Sample.SampleDataOptions? sample = null, StoreOptions? options = null,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var store = new EmbeddedStore(options);
        await Sample.SampleData.GenerateAsync(store, sample, progress, ct).ConfigureAwait(false);
        return store;
    }

    /// <summary>The file this store persists to, or null for a memory-only store.</summary>
    public string? FilePath { get; }

    /// <inheritdoc />
    public override CapabilityProfile Profile => Options.Profile ?? CapabilityProfile.Embedded;

    /// <summary>Number of stored keys.</summary>
    public int KeyCount => Read(() => _keys.Count);

    /// <summary>Bytes held by the bitmaps (pages and their index), for memory comparisons.</summary>
    public long MemoryBytes => Read(() => _keys.Sum(k => k.Value.MemoryBytes + k.Key.Length * 2 + 48));

    /// <summary>Writes the store to <see cref="FilePath"/> (atomic replace).</summary>
    public void Save()
    {
        if (FilePath is null) throw new InvalidOperationException("This embedded store lives in memory only; use SaveAs(path) or EmbeddedStore.Open(path).");
        if (_readOnly) throw new InvalidOperationException($"This embedded store was opened read-only ('{FilePath}'); open it with EmbeddedStore.Open to save.");
        SaveTo(FilePath);
    }

    /// <summary>
    /// Writes the store to <paramref name="path"/> (atomic replace). A path other than this store's own file
    /// is locked for the write, waiting for a writer that holds it as <see cref="Open"/> does.
    /// </summary>
    public void SaveAs(string path)
    {
        var full = Path.GetFullPath(path);
        if (full == FilePath && !_readOnly)
        {
            SaveTo(full);
            return;
        }
        using var fileLock = LockForWriting(full, Options.FileLockTimeout);
        SaveTo(full);
    }

    /// <summary>The writer lock of the store file <paramref name="full"/>, whose directory is created for it; a directory path is refused first.</summary>
    private static StoreFileLock LockForWriting(string full, TimeSpan timeout)
    {
        EmbeddedStoreFile.CheckIsFilePath(full);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return StoreFileLock.Acquire(full, timeout);
    }

    private void SaveTo(string full)
    {
        _lock.EnterReadLock();
        try
        {
            EmbeddedStoreFile.Save(full, _keys);
            if (full == FilePath) _dirty = false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>True when the store changed since it was opened or last saved.</summary>
    public bool HasUnsavedChanges => _dirty;

    /// <summary>Releases the file's writer lock. Does not save: call <see cref="Save"/> when the work succeeded.</summary>
    public override void Dispose()
    {
        _fileLock?.Dispose();
        _lock.Dispose();
        base.Dispose();
    }

    internal override Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Write(() =>
        {
            foreach (var w in writes)
            {
                if (w.Value) BitmapFor(w.Key).Set(w.Bit);
                else if (_keys.TryGetValue(w.Key, out var b)) b.Clear(w.Bit); // Redis SETBIT 0 creates the key; emptiness is what counts
            }
        });
        return Task.CompletedTask;
    }

    internal override Task MergeAsync(IReadOnlyList<KeyValuePair<string, PagedBitmap>> bitmaps, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Write(() =>
        {
            foreach (var (key, bitmap) in bitmaps)
            {
                if (_keys.TryGetValue(key, out var existing)) existing.UnionWith(bitmap);
                else _keys[key] = bitmap.Clone();
            }
        });
        return Task.CompletedTask;
    }

    internal override Task<ProgramResult> RunAsync(BitmapProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() => Evaluate(program)));
    }

    /// <summary>Runs the steps on in-process bitmaps; temporaries are plain values that vanish with the call.</summary>
    private ProgramResult Evaluate(BitmapProgram program)
    {
        var temps = new PagedBitmap?[program.TempCount];
        var result = program.Result!.Value;

        // Hot path: count of an AND whose result is used only by the count - no intermediate bitmap.
        if (program.Read is ReadKind.Count or ReadKind.Any && program.Steps is [.., BitOpStep { Op: BitOpKind.And } last]
            && result.IsTemp && result.Temp == last.Target && last.Sources.All(s => !s.IsTemp))
        {
            foreach (var step in program.Steps.Take(program.Steps.Length - 1)) Run(step);
            return new ProgramResult(PagedBitmap.AndCount([.. last.Sources.Select(Get)]));
        }

        foreach (var step in program.Steps) Run(step);
        var bitmap = Get(result);
        return program.Read switch
        {
            ReadKind.Count or ReadKind.Any => new ProgramResult(bitmap.Count()),
            ReadKind.Contains => new ProgramResult(bitmap.Contains(program.Id) ? 1 : 0),
            ReadKind.Min => new ProgramResult(bitmap.Min() is { } min ? min : -1),
            // A stored key can change after the read lock is released: stream a snapshot.
            _ => new ProgramResult(0, new BitmapIdSource(result.IsTemp ? bitmap : bitmap.Clone())),
        };

        void Run(ProgramStep step) => temps[step.Target] = EmbeddedStore.Run(step, Get);

        PagedBitmap Get(Operand o) => Resolve(o, temps);
    }

    /// <summary>An operand's bitmap: a temporary of this run, or a stored key (a missing key is the empty set).</summary>
    private PagedBitmap Resolve(Operand o, PagedBitmap?[] temps) =>
        o.IsTemp ? temps[o.Temp] ?? throw new InvalidOperationException($"tmp{o.Temp} read before written")
        : _keys.TryGetValue(o.StoredKey!, out var b) ? b : Empty;

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

    internal override Task<long[]> RunCountsAsync(CountsProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() => EvaluateCounts(program, ct)));
    }

    /// <summary>
    /// Runs a program of counts in one pass under the read lock, so every count sees the same data. A count
    /// of an AND that nothing else reads is one fused pass (<see cref="PagedBitmap.AndCount"/>): no
    /// intermediate bitmap, which is most cells of a cohort table.
    /// </summary>
    private long[] EvaluateCounts(CountsProgram program, CancellationToken ct)
    {
        var temps = new PagedBitmap?[program.TempCount];
        var counts = new long[program.Reads.Length];
        var fused = FusableSteps(program);
        var skipped = fused.Values.ToHashSet();
        foreach (var (read, i) in program.InOrder())
        {
            if (read >= 0)
            {
                if (program.Reads[read].Source is not { } source) continue;
                counts[read] = fused.TryGetValue(read, out var step)
                    ? PagedBitmap.AndCount([.. ((BitOpStep)program.Steps[step]).Sources.Select(Get)])
                    : Get(source).Count();
                continue;
            }
            if ((i & 63) == 0) ct.ThrowIfCancellationRequested();
            if (skipped.Contains(i)) continue;
            temps[program.Steps[i].Target] = Run(program.Steps[i], Get);
        }
        return counts;

        PagedBitmap Get(Operand o) => Resolve(o, temps);
    }

    /// <summary>
    /// Reads whose set is an AND step's result that only that read uses (the step runs just before the read,
    /// and its value is used by nothing else before it is next written), each with the index of that step.
    /// One walk through the program, following each temporary's current value: the step that wrote it, how
    /// often it has been used, and the read that used it when that read came first and right after the step.
    /// </summary>
    internal static Dictionary<int, int> FusableSteps(CountsProgram program)
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
                var (position, source) = (program.Reads[read].Position, program.Reads[read].Source);
                if (source is { IsTemp: true } r && values.TryGetValue(r.Temp, out var v))
                    values[r.Temp] = (v.Writer, v.Uses + 1, v.Uses == 0 && v.Writer == position - 1 ? read : -1);
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

    internal override async IAsyncEnumerable<string> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var regex = Glob.ToRegex(pattern);
        var matches = Read(() => _keys.Keys.Where(k => regex.IsMatch(k)).ToArray());
        foreach (var key in matches)
        {
            ct.ThrowIfCancellationRequested();
            yield return key;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    internal override Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(Read(() => groups.Select(g => g.Any(_keys.ContainsKey)).ToArray()));
    }

    internal override Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        long n = 0;
        Write(() => { foreach (var k in keys) if (_keys.Remove(k)) n++; });
        return Task.FromResult(n);
    }

    /// <summary>A copy of one stored bitmap (tests and tools).</summary>
    internal PagedBitmap? Snapshot(string key) => Read(() => _keys.TryGetValue(key, out var b) ? b.Clone() : null);

    private PagedBitmap BitmapFor(string key)
    {
        if (!_keys.TryGetValue(key, out var b)) _keys[key] = b = new PagedBitmap();
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
            _dirty = true;
        }
        finally { _lock.ExitWriteLock(); }
    }
}
