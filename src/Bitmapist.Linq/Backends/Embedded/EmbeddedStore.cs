using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Embedded;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// An in-process store: no server, thread-safe, optionally persisted to one file. It is the default when no
/// Redis is configured. It runs the same optimized programs as Redis (with every operator native) on
/// <see cref="PagedBitmap"/>s, keyed by the same bitmapist key names.
/// </summary>
/// <remarks>
/// A store opened with <see cref="Open"/> is two files: the snapshot at <see cref="FilePath"/> and a write journal
/// beside it (<c>FILE.journal</c>) to which every write is appended before it returns, so an acknowledged mark
/// survives <c>kill -9</c> (and, under the default <see cref="StoreOptions.JournalSync"/>, a power cut). Opening
/// replays the journal over the snapshot; <see cref="Save"/> rewrites the snapshot and empties the journal, as a
/// write does by itself once the journal outgrows <see cref="StoreOptions.JournalCompactionBytes"/>. Copy both
/// files, or <see cref="Save"/> first, to copy the store.
/// </remarks>
public sealed class EmbeddedStore : BitmapStore
{
    private readonly StoreFileLock? _fileLock;
    private readonly WriteJournal? _journal;
    private readonly bool _readOnly;

    /// <summary>An empty store in memory only (no file, no journal).</summary>
    public EmbeddedStore(StoreOptions? options = null)
        : this(options, new Dictionary<string, PagedBitmap>(StringComparer.Ordinal), new IdMapTables(), null)
    {
    }

    private EmbeddedStore(StoreOptions? options, Dictionary<string, PagedBitmap> keys, IdMapTables idMaps, string? path,
        StoreFileLock? fileLock = null, WriteJournal? journal = null, bool readOnly = false)
        : base(new EmbeddedBackend(options?.Profile ?? CapabilityProfile.Embedded, keys, journal, idMaps), options)
    {
        FilePath = path;
        _fileLock = fileLock;
        _journal = journal;
        _readOnly = readOnly;
    }

    private EmbeddedBackend Engine => (EmbeddedBackend)(Backend is Backends.Sharded.ShardedBackend sharded ? sharded.Root : Backend);

    /// <summary>
    /// Opens the store persisted at <paramref name="path"/> for writing, or starts it empty when the file does
    /// not exist yet (it is created by the first write). Every write is appended to the file's journal before it
    /// returns (durable as <see cref="StoreOptions.JournalSync"/> says); <see cref="Save"/> compacts the journal
    /// into the file, which is rewritten atomically.
    /// </summary>
    /// <remarks>
    /// The store holds the file's writer lock (a sibling <c>.lock</c> file) until it is disposed, so another
    /// process (or store) that opens the same file for writing waits for it, up to
    /// <see cref="StoreOptions.FileLockTimeout"/>: one writer at a time appends to the journal and rewrites the
    /// file. Readers (<see cref="OpenReadOnly"/>) take no lock and see every write acknowledged before they open.
    /// A write cut short by a crash (the journal's torn last record, never acknowledged) is dropped here.
    /// </remarks>
    /// <exception cref="EmbeddedStoreFileException">The file or its journal exists but is truncated before its
    /// end, damaged or not a store file (both are left untouched), the path is a directory, or another writer held
    /// the lock past the timeout.</exception>
    public static EmbeddedStore Open(string path, StoreOptions? options = null)
    {
        var full = Path.GetFullPath(path);
        options ??= new StoreOptions();
        var fileLock = LockForWriting(full, options.FileLockTimeout);
        try
        {
            // Loaded under the lock: nobody else appends to the journal or replaces the file until it is released.
            var loaded = File.Exists(full) ? EmbeddedStoreFile.Load(full) : null;
            var keys = loaded?.Keys ?? new Dictionary<string, PagedBitmap>(StringComparer.Ordinal);
            var idMaps = loaded?.IdMaps ?? new IdMapTables();
            var journal = WriteJournal.OpenForWriting(full, loaded?.Id, keys, idMaps, options);
            return new EmbeddedStore(options, keys, idMaps, full, fileLock, journal);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the store persisted at <paramref name="path"/> to read it: no writer lock is taken, so it opens
    /// while another process writes the file, and sees the file with its journal replayed: every write
    /// acknowledged before it opened (a write still being appended is left out whole). It never writes either
    /// file; <see cref="Save"/> is refused.
    /// </summary>
    /// <exception cref="EmbeddedStoreFileException">The file does not exist, is a directory, or it or its journal is damaged.</exception>
    public static EmbeddedStore OpenReadOnly(string path, StoreOptions? options = null)
    {
        var full = Path.GetFullPath(path);
        EmbeddedStoreFile.CheckIsFilePath(full);
        if (!File.Exists(full)) throw new EmbeddedStoreFileException($"The embedded store file '{path}' does not exist.");
        var (keys, idMaps) = WriteJournal.ReadConsistent(full);
        return new EmbeddedStore(options, keys, idMaps, full, readOnly: true);
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

    /// <summary>Number of stored keys.</summary>
    public int KeyCount => Engine.KeyCount;

    /// <summary>Bytes held by the bitmaps (pages and their index) and the id maps, for memory comparisons.</summary>
    public long MemoryBytes => Engine.MemoryBytes;

    /// <summary>Bytes held by the id maps alone (tests and measurements).</summary>
    internal long IdMapMemoryBytes => Engine.IdMapMemoryBytes;

    /// <summary>
    /// Writes the store to <see cref="FilePath"/> (atomic replace) and empties its journal: a compaction. Not needed
    /// for durability (every write is already in the journal); it makes the next open replay nothing.
    /// </summary>
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
        if (full == FilePath && _journal is not null) _journal.Compact(Engine);
        else Engine.Save((keys, idMaps) => EmbeddedStoreFile.Save(full, keys, idMaps), marksSaved: full == FilePath);
    }

    /// <summary>
    /// True when the store changed since it was opened or last saved, i.e. the file alone does not hold it: with a
    /// journal (<see cref="Open"/>) the changes are durable all the same, and <see cref="Save"/> only compacts them.
    /// </summary>
    public bool HasUnsavedChanges => Engine.Dirty;

    /// <summary>Bytes in the write journal (0 for a store without one, or before its first write): what the next open replays.</summary>
    public long JournalBytes => _journal?.Length ?? 0;

    /// <summary>
    /// Closes the journal (flushing it to the disk when <see cref="StoreOptions.JournalSync"/> had not yet) and
    /// releases the file's writer lock. It does not compact: closing costs one flush, not a rewrite of the file,
    /// and the next open replays at most <see cref="StoreOptions.JournalCompactionBytes"/> (or the file's size) of
    /// journal. Call <see cref="Save"/> to compact.
    /// </summary>
    public override void Dispose()
    {
        _journal?.Dispose();
        _fileLock?.Dispose();
        base.Dispose();
    }

    /// <summary>Closes the journal and releases the file's writer lock, as <see cref="Dispose"/> does.</summary>
    public override ValueTask DisposeAsync()
    {
        _journal?.Dispose();
        _fileLock?.Dispose();
        return base.DisposeAsync();
    }

    /// <summary>A copy of one stored bitmap (tests and tools).</summary>
    internal PagedBitmap? Snapshot(string key) => Engine.Snapshot(key);
}
