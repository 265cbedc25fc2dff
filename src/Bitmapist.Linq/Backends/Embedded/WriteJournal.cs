using System.Buffers.Binary;
using System.IO.Hashing;
using System.Numerics;
using System.Text;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Stores;
using Microsoft.Win32.SafeHandles;
using static Bitmapist.Linq.Backends.Embedded.JournalFormat;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// The embedded store's write journal: every write the engine acknowledges (bit writes, merged bitmaps, deleted
/// keys, id map changes) appended to a sibling <c>.journal</c> file before the write returns, so it survives the death of the
/// process; replayed over the snapshot on open; emptied when the snapshot is rewritten (compaction).
/// </summary>
/// <remarks>
/// <para>Layout (little-endian): a header of magic <c>BMLQJRNL</c>, version (u32), epoch (u64, new at every
/// compaction), the hash of the snapshot the records apply to (u64, <see cref="EmbeddedStoreFile.Id"/>) and the
/// XxHash64 of those 28 bytes; then records, each framed as payload length (u32), kind (u8), a check of those 5
/// bytes (u32), the payload, and the XxHash64 of frame and payload (u64).</para>
/// <para>Reading stops at the first record that does not check. It is a torn tail (the process died while
/// appending it; dropped, and cut off when the writer opens) when nothing follows it: it runs past the end of the
/// file, is the last record, or only zeros follow. Anything else is damage in the middle: the store refuses to
/// open and touches nothing.</para>
/// <para>Compaction writes the snapshot, then rewrites this header with the new snapshot's hash and a new epoch,
/// then cuts the records off. A crash between the two leaves records over a snapshot that already holds them;
/// replaying them again changes nothing, as every write is idempotent once the whole sequence has been applied
/// (per bit, per key and per id map entry, each write either sets a fixed value or leaves it alone; a lane's
/// counter only grows). A journal whose snapshot hash
/// is not the snapshot's (a crash right after the rename, or a snapshot restored from a copy) is stale and is
/// dropped. Readers take no lock: they check that the snapshot and the epoch did not change while they read,
/// and read again if they did.</para>
/// <para>All methods run under the engine's write lock (appends) or read lock (compaction), so journal order is
/// apply order; the journal's own lock only keeps the <see cref="JournalSync.Every"/> timer's flush apart from them.</para>
/// </remarks>
internal sealed class WriteJournal : IDisposable
{
    // A merge record is closed once it passes this size; one record holds one or more whole merges.
    private const int ChunkBytes = 16 << 20;

    private readonly string _storePath;
    private readonly string _path;
    private readonly TimeSpan? _sync;
    private readonly long _compactionBytes;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _keyIndex = new(StringComparer.Ordinal);
    private byte[] _buffer = new byte[4096];
    private SafeFileHandle? _handle;
    private Timer? _timer;
    private ulong _base;
    private long _snapshotLength;
    private long _length;
    private long _nextCompaction;
    private bool _unflushed;
    private bool _disposed;
    private string? _broken;
    private int _compacting;

    private WriteJournal(string storePath, StoreOptions options, EmbeddedStoreFile.Id? snapshot)
    {
        _storePath = storePath;
        _path = PathFor(storePath);
        _sync = options.JournalSync.Interval;
        _compactionBytes = options.JournalCompactionBytes > 0
            ? options.JournalCompactionBytes
            : throw new ArgumentOutOfRangeException(nameof(options), options.JournalCompactionBytes, "StoreOptions.JournalCompactionBytes must be positive.");
        _base = snapshot?.Hash ?? 0;
        _snapshotLength = snapshot?.Length ?? 0;
    }

    /// <summary>The journal of the store file <paramref name="storePath"/>.</summary>
    public static string PathFor(string storePath) => storePath + ".journal";

    /// <summary>The file's length: header and records (0 before the first write).</summary>
    public long Length
    {
        get { lock (_gate) return _length; }
    }

    /// <summary>The last automatic compaction's failure, or null; it is tried again when the journal has grown by the threshold once more.</summary>
    public Exception? CompactionError { get; private set; }

    /// <summary>
    /// The writer's journal (the caller holds the store's writer lock): replays the records that apply to
    /// <paramref name="snapshot"/> into <paramref name="keys"/> and <paramref name="idMaps"/>, cuts off a torn tail
    /// and drops a stale journal.
    /// </summary>
    /// <exception cref="EmbeddedStoreFileException">The journal is damaged before its end, or is not a journal; it is left untouched.</exception>
    public static WriteJournal OpenForWriting(string storePath, EmbeddedStoreFile.Id? snapshot, Dictionary<string, PagedBitmap> keys,
        IdMapTables idMaps, StoreOptions options)
    {
        var journal = new WriteJournal(storePath, options, snapshot);
        var path = journal._path;
        if (!File.Exists(path)) return journal;
        var bytes = ReadAll(path);
        var header = Header.Parse(path, bytes);
        if (snapshot is null || header is null || header.Value.Base != snapshot.Value.Hash)
        {
            // Stale (its snapshot was replaced, or never completed): its writes are in the snapshot or were given up with it.
            File.Delete(path);
            return journal;
        }
        var end = Replay(path, bytes, keys, idMaps);
        journal._handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        if (end < bytes.Length)
        {
            RandomAccess.SetLength(journal._handle, end);
            RandomAccess.FlushToDisk(journal._handle);
        }
        journal._length = end;
        journal.StartTimer();
        return journal;
    }

    /// <summary>
    /// A reader's view (no lock, nothing written): the snapshot at <paramref name="storePath"/> with the journal's
    /// complete records replayed, read again when a writer compacted meanwhile. A torn tail is skipped, not cut.
    /// </summary>
    /// <exception cref="EmbeddedStoreFileException">The snapshot or the journal is damaged, or the store kept changing for every attempt.</exception>
    public static (Dictionary<string, PagedBitmap> Keys, IdMapTables IdMaps) ReadConsistent(string storePath)
    {
        var path = PathFor(storePath);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            // Keys and id maps come from the same snapshot and the same records, so a retry reads both again.
            var (keys, idMaps, id) = EmbeddedStoreFile.Load(storePath);
            var bytes = File.Exists(path) ? ReadAll(path) : null;
            var header = bytes is null ? null : Header.Parse(path, bytes);
            if (header is null) return (keys, idMaps);
            if (header.Value.Base != id.Hash)
            {
                // Stale, unless the snapshot was replaced while we read (a compaction): then read both again.
                if (EmbeddedStoreFile.Peek(storePath) == id) return (keys, idMaps);
                continue;
            }
            var again = ReadAll(path, HeaderLength);
            if (Header.Parse(path, again) != header) continue; // compacted while we read the records
            Replay(path, bytes!, keys, idMaps);
            return (keys, idMaps);
        }
        throw new EmbeddedStoreFileException(
            $"The embedded store file '{storePath}' was rewritten by its writer every time it was read (50 attempts); try again when the writer is less busy.");
    }

    /// <summary>Appends bit writes (one record).</summary>
    public void AppendBits(IReadOnlyList<BitWrite> writes)
    {
        if (writes.Count == 0) return;
        Append(() =>
        {
            _keyIndex.Clear();
            foreach (var w in writes) _keyIndex.TryAdd(w.Key, _keyIndex.Count);
            var pos = U32(FrameHead, (uint)_keyIndex.Count);
            foreach (var key in _keyIndex.Keys) pos = Name(pos, key);
            pos = U32(pos, (uint)writes.Count);
            foreach (var w in writes)
            {
                pos = U32(pos, (uint)_keyIndex[w.Key] | (w.Value ? 1u << 31 : 0));
                pos = U32(pos, w.Bit);
            }
            Record(BitsKind, pos);
        });
    }

    /// <summary>
    /// Appends merged bitmaps, whole merges per record, a record closed once it passes 16 MiB (so a 256 MiB
    /// import flush is not one 256 MiB buffer). Dense pages are written as 1024 words, sparse ones (under 4096
    /// ids) as their 16-bit offsets.
    /// </summary>
    public void AppendMerges(IReadOnlyList<BitmapMerge> merges)
    {
        if (merges.Count == 0) return;
        Append(() =>
        {
            var next = 0;
            while (next < merges.Count)
            {
                var pos = U32(FrameHead, 0);
                uint count = 0;
                do
                {
                    pos = Merge(pos, merges[next++]);
                    count++;
                }
                while (next < merges.Count && pos < ChunkBytes);
                BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(FrameHead), count);
                Record(MergeKind, pos);
            }
        });
    }

    private int Merge(int pos, BitmapMerge merge)
    {
        pos = Name(pos, merge.Key);
        var countAt = pos;
        pos = U32(pos, 0);
        uint pages = 0;
        foreach (var (number, words) in merge.Bitmap.Pages())
        {
            var ids = 0;
            foreach (var w in words) ids += BitOperations.PopCount(w);
            if (ids == 0) continue;
            pages++;
            pos = U32(pos, (uint)number);
            if (ids < PagedBitmap.WordsPerPage * 4)
            {
                pos = U8(pos, 1);
                pos = U16(pos, (ushort)ids);
                Ensure(pos + ids * 2);
                for (var i = 0; i < words.Length; i++)
                    for (var word = words[i]; word != 0; word &= word - 1)
                    {
                        // Redis bit order: bit 63 - k of word i is the page's id i * 64 + k.
                        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(pos), (ushort)(i * 64 + (63 - BitOperations.TrailingZeroCount(word))));
                        pos += 2;
                    }
            }
            else
            {
                pos = U8(pos, 0);
                Ensure(pos + words.Length * 8);
                for (var i = 0; i < words.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(pos + i * 8), words[i]);
                pos += words.Length * 8;
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(countAt), pages);
        return pos;
    }

    /// <summary>Appends deleted keys (one record).</summary>
    public void AppendDeletes(IReadOnlyList<string> keys)
    {
        if (keys.Count == 0) return;
        Append(() =>
        {
            var pos = U32(FrameHead, (uint)keys.Count);
            foreach (var key in keys) pos = Name(pos, key);
            Record(DeleteKind, pos);
        });
    }

    /// <summary>Appends new mappings of an id map lane and the lane's counter after them (one record).</summary>
    public void AppendIdMappings(string lane, IReadOnlyList<(string ExternalId, uint Id)> created, long next)
    {
        Append(() =>
        {
            var pos = Name(FrameHead, lane);
            pos = U32(pos, (uint)(next >> 32));
            pos = U32(pos, (uint)next);
            pos = U32(pos, (uint)created.Count);
            foreach (var (externalId, id) in created)
            {
                pos = Name(pos, externalId);
                pos = U32(pos, id);
            }
            Record(IdMapKind, pos);
        });
    }

    /// <summary>Appends mappings copied from another store (a migration) and the lane's counter floor (one record).</summary>
    public void AppendIdImport(string lane, IReadOnlyList<(string ExternalId, uint Id)> forward, IReadOnlyList<(uint Id, string ExternalId)> reverse, long counterAtLeast)
    {
        Append(() =>
        {
            var pos = Name(FrameHead, lane);
            pos = U32(pos, (uint)(counterAtLeast >> 32));
            pos = U32(pos, (uint)counterAtLeast);
            pos = U32(pos, (uint)forward.Count);
            foreach (var (externalId, id) in forward)
            {
                pos = Name(pos, externalId);
                pos = U32(pos, id);
            }
            pos = U32(pos, (uint)reverse.Count);
            foreach (var (id, externalId) in reverse)
            {
                pos = U32(pos, id);
                pos = Name(pos, externalId);
            }
            Record(IdImportKind, pos);
        });
    }

    /// <summary>Appends the start (or, with <paramref name="finished"/>, the end) of an id's erasure (one record).</summary>
    public void AppendIdErasure(string lane, string externalId, uint id, bool finished)
    {
        Append(() =>
        {
            var pos = Name(FrameHead, lane);
            pos = Name(pos, externalId);
            pos = U32(pos, id);
            pos = U8(pos, finished ? (byte)1 : (byte)0);
            Record(IdEraseKind, pos);
        });
    }

    /// <summary>
    /// Compaction: writes the snapshot of <paramref name="engine"/>'s keys and id maps (under its read lock, so no
    /// write lands meanwhile), then empties the journal. What <see cref="EmbeddedStore.Save"/> does, and what a write does
    /// after it when the journal has outgrown both <see cref="StoreOptions.JournalCompactionBytes"/> and the snapshot.
    /// </summary>
    public void Compact(EmbeddedBackend engine) =>
        engine.Save((keys, idMaps) => Reset(EmbeddedStoreFile.Save(_storePath, keys, idMaps)), marksSaved: true);

    /// <summary>
    /// Called after every write, outside the engine's lock: compacts when the journal is past the threshold and
    /// at least as large as the snapshot (so a byte of journal costs at most a byte of rewritten snapshot, as
    /// Redis rewrites its append-only file). A failure is kept in <see cref="CompactionError"/>, not thrown: the
    /// write it follows is already durable.
    /// </summary>
    public void CompactIfDue(EmbeddedBackend engine)
    {
        lock (_gate)
        {
            if (_disposed || _length < _compactionBytes || _length < _snapshotLength || _length < _nextCompaction) return;
        }
        if (Interlocked.Exchange(ref _compacting, 1) == 1) return;
        try
        {
            Compact(engine);
            CompactionError = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CompactionError = e;
            lock (_gate) _nextCompaction = _length + _compactionBytes;
        }
        finally
        {
            Volatile.Write(ref _compacting, 0);
        }
    }

    /// <summary>Flushes what the sync policy had not yet flushed and closes the file (the writer lock is released after this).</summary>
    public void Dispose()
    {
        Timer? timer;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            timer = _timer;
            _timer = null;
            try
            {
                if (_unflushed && _handle is not null && _broken is null) RandomAccess.FlushToDisk(_handle);
            }
            catch (IOException)
            {
                // Dispose does not throw; the records are with the operating system, which writes them back.
            }
            _handle?.Dispose();
            _handle = null;
        }
        timer?.Dispose();
    }

    private void Reset(EmbeddedStoreFile.Id snapshot)
    {
        lock (_gate)
        {
            _base = snapshot.Hash;
            _snapshotLength = snapshot.Length;
            _nextCompaction = 0;
            if (_handle is null || _disposed) return;
            try
            {
                // The header first, then the cut: see the remarks for why a crash between them is harmless.
                RandomAccess.Write(_handle, Header.Bytes(_base), 0);
                RandomAccess.FlushToDisk(_handle);
                RandomAccess.SetLength(_handle, HeaderLength);
                RandomAccess.FlushToDisk(_handle);
                _length = HeaderLength;
                _unflushed = false;
            }
            catch (IOException e)
            {
                _broken = $"emptying it after the snapshot was written failed ({e.Message})";
                throw;
            }
        }
    }

    // One acknowledged write: its records handed to the operating system, then flushed to the disk as the policy says.
    private void Append(Action records)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_broken is not null)
                throw new IOException(
                    $"The embedded store's journal '{_path}' cannot take writes: {_broken}. Nothing more was written; " +
                    "dispose the store and open it again (the acknowledged writes are in the journal).");
            Start();
            var start = _length;
            try
            {
                records();
                if (_sync is { Ticks: 0 }) RandomAccess.FlushToDisk(_handle!);
                else _unflushed = true;
            }
            catch (Exception e)
            {
                Undo(start, e);
                throw;
            }
            finally
            {
                if (_buffer.Length > ChunkBytes) _buffer = new byte[4096]; // a big merge's buffer is not kept
            }
        }
    }

    // The payload is in the buffer from FrameHead to end: frame it and write it after the last record.
    private void Record(byte kind, int end)
    {
        var length = end - FrameHead;
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)length);
        _buffer[4] = kind;
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(5), (uint)XxHash64.HashToUInt64(_buffer.AsSpan(0, 5)));
        Ensure(end + FrameTail);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(end), XxHash64.HashToUInt64(_buffer.AsSpan(0, end)));
        RandomAccess.Write(_handle!, _buffer.AsSpan(0, end + FrameTail), _length);
        _length += end + FrameTail;
    }

    // A failed append must not leave half a record before the next one: that would read as damage.
    private void Undo(long start, Exception cause)
    {
        _length = start;
        if (_handle is null) return;
        try
        {
            RandomAccess.SetLength(_handle, start);
        }
        catch (IOException)
        {
            _broken = $"a write failed ({cause.Message}) and its partial record could not be cut off";
        }
    }

    // The first write creates the journal, and an empty snapshot for it when there is none yet, so the store
    // file exists (for tools that check it) as soon as it holds a write.
    private void Start()
    {
        if (_handle is not null) return;
        if (!File.Exists(_storePath))
        {
            var empty = EmbeddedStoreFile.Save(_storePath, new Dictionary<string, PagedBitmap>(), new IdMapTables());
            _base = empty.Hash;
            _snapshotLength = empty.Length;
        }
        _handle = File.OpenHandle(_path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        RandomAccess.Write(_handle, Header.Bytes(_base), 0);
        RandomAccess.FlushToDisk(_handle);
        DirectorySync.Flush(Path.GetDirectoryName(_path)!);
        _length = HeaderLength;
        StartTimer();
    }

    private void StartTimer()
    {
        if (_sync is not { Ticks: > 0 } period || _timer is not null) return;
        _timer = new Timer(_ => FlushNow(), null, period, period);
    }

    private void FlushNow()
    {
        lock (_gate)
        {
            if (!_unflushed || _handle is null || _disposed || _broken is not null) return;
            try
            {
                RandomAccess.FlushToDisk(_handle);
                _unflushed = false;
            }
            catch (IOException e)
            {
                // After a failed fsync the kernel may have dropped the pages: nothing written since can be trusted.
                _broken = $"flushing it to the disk failed ({e.Message})";
            }
        }
    }

    private void Ensure(int size)
    {
        if (size <= _buffer.Length) return;
        Array.Resize(ref _buffer, (int)Math.Min(Math.Max(size, (long)_buffer.Length * 2), Array.MaxLength));
    }

    private int U8(int pos, byte v)
    {
        Ensure(pos + 1);
        _buffer[pos] = v;
        return pos + 1;
    }

    private int U16(int pos, ushort v)
    {
        Ensure(pos + 2);
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.AsSpan(pos), v);
        return pos + 2;
    }

    private int U32(int pos, uint v)
    {
        Ensure(pos + 4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(pos), v);
        return pos + 4;
    }

    private int Name(int pos, string name)
    {
        var length = Encoding.UTF8.GetByteCount(name);
        pos = U32(pos, (uint)length);
        Ensure(pos + length);
        return pos + Encoding.UTF8.GetBytes(name, _buffer.AsSpan(pos));
    }

}
