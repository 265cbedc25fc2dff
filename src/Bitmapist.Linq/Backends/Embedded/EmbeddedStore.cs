using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Embedded;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// An in-process store: no server, thread-safe, optionally persisted to one file. It is the default when no
/// Redis is configured. It runs the same optimized programs as Redis (with every operator native) on
/// <see cref="PagedBitmap"/>s, keyed by the same bitmapist key names.
/// </summary>
public sealed class EmbeddedStore : BitmapStore
{
    private readonly StoreFileLock? _fileLock;
    private readonly bool _readOnly;

    /// <summary>An empty store in memory only.</summary>
    public EmbeddedStore(StoreOptions? options = null) : this(options, new Dictionary<string, PagedBitmap>(StringComparer.Ordinal), null)
    {
    }

    private EmbeddedStore(StoreOptions? options, Dictionary<string, PagedBitmap> keys, string? path,
        StoreFileLock? fileLock = null, bool readOnly = false)
        : base(new EmbeddedBackend(options?.Profile ?? CapabilityProfile.Embedded, keys), options)
    {
        FilePath = path;
        _fileLock = fileLock;
        _readOnly = readOnly;
    }

    private EmbeddedBackend Engine => (EmbeddedBackend)(Backend is Backends.Sharded.ShardedBackend sharded ? sharded.Root : Backend);

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

    /// <summary>Number of stored keys.</summary>
    public int KeyCount => Engine.KeyCount;

    /// <summary>Bytes held by the bitmaps (pages and their index), for memory comparisons.</summary>
    public long MemoryBytes => Engine.MemoryBytes;

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

    private void SaveTo(string full) => Engine.Save(keys => EmbeddedStoreFile.Save(full, keys), marksSaved: full == FilePath);

    /// <summary>True when the store changed since it was opened or last saved.</summary>
    public bool HasUnsavedChanges => Engine.Dirty;

    /// <summary>Releases the file's writer lock. Does not save: call <see cref="Save"/> when the work succeeded.</summary>
    public override void Dispose()
    {
        _fileLock?.Dispose();
        base.Dispose();
    }

    /// <summary>Releases the file's writer lock, as <see cref="Dispose"/> does.</summary>
    public override ValueTask DisposeAsync()
    {
        _fileLock?.Dispose();
        return base.DisposeAsync();
    }

    /// <summary>A copy of one stored bitmap (tests and tools).</summary>
    internal PagedBitmap? Snapshot(string key) => Engine.Snapshot(key);
}
