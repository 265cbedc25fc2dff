using Bitmapist.Linq.Backends.Embedded;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Stores;

/// <summary>The embedded store's file (or its write journal) could not be read; the file was left untouched.</summary>
public sealed class EmbeddedStoreFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The embedded store's single-file format. Layout (little-endian): magic <c>BMLQSTOR</c>, format version
/// (u32), key count (u32), then per key: UTF-8 name length (u32) and bytes, page count (u32), and per page
/// its number (u32), its id count (u32) and its ids in the page's form: up to 4096 ids as that many sorted u16
/// values, more as 1024 words (u64); in version 3, then the id maps: lane count (u32), per lane its forward key
/// (as a name), its counter (u64), its forward entries and its erasures in progress, each as a count (u32) and per
/// entry the external id (as a name) and the internal id (u32), in id order (the reverse map is mostly derived: the
/// forward ids and the erasing ones); then what a migrated lane's reverse map holds otherwise (an id copied from
/// another layout may have its reverse mapping in the lane of its shard, not of its external id's hash): the ids of
/// the entries above that have no reverse mapping in this lane (count, u32 each), and the reverse mappings of ids
/// not above (count, per entry the id (u32) and the external id); finally the XxHash64 of everything before it. Version 1 files (every page 1024 words,
/// no count) are still read; version 2 keeps sparse pages at 2 bytes an id on disk as in memory; version 3 adds the
/// id maps, and is written only when the store holds one (so a store without maps stays readable by a library that
/// reads version 2). Saving writes a
/// sibling <c>.tmp</c> file, flushes it to disk and renames it over the old file, so a crash leaves either
/// the old file or the new one, never a mix; the new file keeps the old one's mode and (where the writer
/// may set it) owner; the directory is flushed too, so the rename survives a power cut. Loading checks the
/// length and the hash before trusting a byte. The hash also names the snapshot: the write journal
/// (<see cref="WriteJournal"/>) records the hash of the snapshot its writes apply to.
/// </summary>
internal static class EmbeddedStoreFile
{
    /// <summary>A snapshot as written: its trailing hash, which names it, and its length in bytes.</summary>
    internal readonly record struct Id(ulong Hash, long Length);

    private static readonly byte[] Magic = "BMLQSTOR"u8.ToArray();
    private const uint Version = 3;

    // Version 2 is version 3 without the id maps: written for a store that holds none, read always.
    private const uint NoIdMapsVersion = 2;

    // Version 1 wrote every page as 1024 words, with no count: read, never written.
    private const uint DenseOnlyVersion = 1;

    /// <summary>A snapshot as read: its keys, its id maps and its id.</summary>
    internal sealed record Contents(Dictionary<string, PagedBitmap> Keys, IdMapTables IdMaps, Id Id);

    /// <summary>Writes <paramref name="keys"/> and <paramref name="idMaps"/> to <paramref name="path"/> (atomic replace) and returns the new snapshot's id.</summary>
    public static Id Save(string path, IReadOnlyCollection<KeyValuePair<string, PagedBitmap>> keys, IdMapTables idMaps)
    {
        var full = Path.GetFullPath(path);
        CheckIsFilePath(full);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var tmp = full + ".tmp";
        try
        {
            var id = WriteTo(tmp, keys, idMaps);
            KeepModeAndOwner(full, tmp);
            File.Move(tmp, full, overwrite: true);
            DirectorySync.Flush(Path.GetDirectoryName(full)!);
            return id;
        }
        catch
        {
            // A failed save (disk full, permissions) leaves the old file as it was and no stray .tmp beside it.
            try { File.Delete(tmp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Refuses a path that names a directory, before anything is written or locked.</summary>
    public static void CheckIsFilePath(string path)
    {
        if (Directory.Exists(path))
            throw new EmbeddedStoreFileException($"The embedded store path '{path}' is a directory; give a file path, e.g. '{Path.Combine(path, "data.bmdb")}'.");
    }

    private static void KeepModeAndOwner(string original, string replacement)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(original)) return;
        File.SetUnixFileMode(replacement, File.GetUnixFileMode(original));
        if (UnixFileOwnership.Stat(original) is { } owner) UnixFileOwnership.TryCopyOwner(owner, replacement);
    }

    private static Id WriteTo(string tmp, IReadOnlyCollection<KeyValuePair<string, PagedBitmap>> keys, IdMapTables idMaps)
    {
        var hash = new XxHash64();
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            var buffer = new byte[PagedBitmap.WordsPerPage * 8];
            var sorted = new ushort[Container.ArrayMax];
            // Small fields (an id map entry is two of them) are gathered here, so the hash and the file take them
            // 64 KiB at a time rather than 4 bytes at a time.
            var staged = new byte[1 << 16];
            var fill = 0;
            void Flush()
            {
                file.Write(staged, 0, fill);
                hash.Append(staged.AsSpan(0, fill));
                fill = 0;
            }
            void Write(ReadOnlySpan<byte> bytes)
            {
                if (bytes.Length > staged.Length - fill) Flush();
                if (bytes.Length > staged.Length)
                {
                    file.Write(bytes);
                    hash.Append(bytes);
                    return;
                }
                bytes.CopyTo(staged.AsSpan(fill));
                fill += bytes.Length;
            }
            void WriteU32(uint v)
            {
                Span<byte> b = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(b, v);
                Write(b);
            }
            void WriteName(string name)
            {
                var nameBytes = Encoding.UTF8.GetBytes(name);
                WriteU32((uint)nameBytes.Length);
                Write(nameBytes);
            }

            Write(Magic);
            WriteU32(idMaps.All.Count == 0 ? NoIdMapsVersion : Version);
            WriteU32((uint)keys.Count);
            foreach (var (name, bitmap) in keys.OrderBy(k => k.Key, StringComparer.Ordinal))
            {
                WriteName(name);
                WriteU32((uint)bitmap.PageCount);
                for (var p = 0; p < bitmap.PageCount; p++)
                {
                    ref readonly var page = ref bitmap.PageAt(p);
                    WriteU32((uint)bitmap.PageNumberAt(p));
                    WriteU32((uint)page.Count);
                    // The count decides the form on disk, not the form in memory (a union can leave a dense page
                    // of fewer than 4096 ids): a reader takes up to 4096 ids as sorted values.
                    if (page.Count > Container.ArrayMax)
                    {
                        for (var i = 0; i < Container.Words; i++) BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(i * 8), page.Dense![i]);
                        Write(buffer);
                        continue;
                    }
                    var values = page.IsDense ? Container.Decode(page.Dense, sorted) : page.Values.AsSpan(0, page.Count);
                    for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(i * 2), values[i]);
                    Write(buffer.AsSpan(0, values.Length * 2));
                }
            }
            if (idMaps.All.Count > 0)
            {
                WriteU32((uint)idMaps.All.Count);
                foreach (var (forwardKey, lane) in idMaps.All.OrderBy(l => l.Key, StringComparer.Ordinal))
                {
                    WriteName(forwardKey);
                    WriteU32((uint)lane.Next);
                    WriteU32((uint)(lane.Next >> 32));
                    // In id order: the same maps make the same bytes, whatever order the ids were created or replayed in.
                    foreach (var entries in (Dictionary<string, uint>[])[lane.Forward, lane.Erasing])
                    {
                        WriteU32((uint)entries.Count);
                        foreach (var (externalId, id) in entries.OrderBy(e => e.Value))
                        {
                            WriteName(externalId);
                            WriteU32(id);
                        }
                    }
                    // Almost always both empty: only a migration between layouts splits an entry's two directions.
                    uint[] unmirrored = [.. lane.Forward.Concat(lane.Erasing)
                        .Where(e => !(lane.Reverse.TryGetValue(e.Value, out var named) && named == e.Key)).Select(e => e.Value).Order()];
                    WriteU32((uint)unmirrored.Length);
                    foreach (var id in unmirrored) WriteU32(id);
                    var extra = lane.Reverse.Where(r => !(lane.Forward.TryGetValue(r.Value, out var f) && f == r.Key)
                        && !(lane.Erasing.TryGetValue(r.Value, out var e) && e == r.Key)).OrderBy(r => r.Key).ToArray();
                    WriteU32((uint)extra.Length);
                    foreach (var (id, externalId) in extra)
                    {
                        WriteU32(id);
                        WriteName(externalId);
                    }
                }
            }
            Flush();
            Span<byte> digest = stackalloc byte[8];
            hash.GetCurrentHash(digest);
            file.Write(digest);
            file.Flush(flushToDisk: true);
            return new Id(BinaryPrimitives.ReadUInt64BigEndian(digest), file.Length);
        }
    }

    /// <summary>
    /// The id of the snapshot now at <paramref name="path"/> from its last 8 bytes, without loading it, or null when
    /// there is none: a reader's check that the file was not replaced while it read the journal.
    /// </summary>
    public static Id? Peek(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length < Magic.Length + 8 + 8) return null;
            Span<byte> digest = stackalloc byte[8];
            file.Seek(-8, SeekOrigin.End);
            file.ReadExactly(digest);
            return new Id(BinaryPrimitives.ReadUInt64BigEndian(digest), file.Length);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Reads the snapshot at <paramref name="path"/>, checked: its keys, its id maps (empty before version 3) and its id.</summary>
    public static Contents Load(string path)
    {
        if (UnixFileOwnership.Stat(path) is { IsRegular: false })
            throw new EmbeddedStoreFileException($"The embedded store path '{path}' is not a regular file (a device, socket or pipe); give the path of a store file.");
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new EmbeddedStoreFileException($"Cannot read the embedded store file '{path}': {e.Message}", e);
        }
        if (data.Length < Magic.Length + 8 + 8 || !data.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw Corrupt(path, "it does not start with the embedded store's header (is it another kind of file?)");

        var body = data.AsSpan(0, data.Length - 8);
        var id = new Id(BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(data.Length - 8)), data.Length);
        if (XxHash64.HashToUInt64(body) != id.Hash)
            throw Corrupt(path, "its checksum does not match (the file is truncated or was changed on disk)");

        var pos = Magic.Length;
        uint U32(ReadOnlySpan<byte> d)
        {
            if (pos + 4 > d.Length) throw Corrupt(path, "it ends in the middle of a record");
            var v = BinaryPrimitives.ReadUInt32LittleEndian(d[pos..]);
            pos += 4;
            return v;
        }
        string Name(ReadOnlySpan<byte> d, string what)
        {
            var length = (int)U32(d);
            if (length < 0 || pos + length > d.Length) throw Corrupt(path, $"{what} runs past the end");
            var name = Encoding.UTF8.GetString(d.Slice(pos, length));
            pos += length;
            return name;
        }
        var version = U32(body);
        if (version is not (Version or NoIdMapsVersion or DenseOnlyVersion))
            throw Corrupt(path, $"it has format version {version}; this library reads versions {DenseOnlyVersion} to {Version}");
        var count = U32(body);
        var result = new Dictionary<string, PagedBitmap>((int)Math.Min(count, 1 << 20), StringComparer.Ordinal);
        try
        {
            for (var k = 0; k < count; k++)
            {
                var name = Name(body, "a key name");
                var pages = U32(body);
                var bitmap = new PagedBitmap();
                for (var p = 0; p < pages; p++)
                {
                    var number = (int)U32(body);
                    var ids = version == DenseOnlyVersion ? -1 : (int)U32(body);
                    if (ids is 0 or > 1 << 16) throw Corrupt(path, $"page {number} of '{name}' says it holds {ids} ids");
                    if (ids is > 0 and <= Container.ArrayMax)
                    {
                        // Sorted values: AppendSortedPage refuses any out of order (an ArgumentException, reported below).
                        if (pos + ids * 2 > body.Length) throw Corrupt(path, "a page runs past the end");
                        var values = new ushort[ids];
                        for (var i = 0; i < ids; i++) values[i] = BinaryPrimitives.ReadUInt16LittleEndian(body[(pos + i * 2)..]);
                        pos += ids * 2;
                        bitmap.AppendSortedPage(number, values);
                        continue;
                    }
                    if (pos + PagedBitmap.WordsPerPage * 8 > body.Length) throw Corrupt(path, "a page runs past the end");
                    var words = new ulong[PagedBitmap.WordsPerPage];
                    for (var i = 0; i < words.Length; i++) words[i] = BinaryPrimitives.ReadUInt64LittleEndian(body[(pos + i * 8)..]);
                    pos += PagedBitmap.WordsPerPage * 8;
                    if (ids > 0 && ContainerOps.PopCount(words) != ids) throw Corrupt(path, $"page {number} of '{name}' holds another number of ids than it says");
                    bitmap.AppendPage(number, words);
                }
                result[name] = bitmap;
            }
        }
        catch (ArgumentException e)
        {
            throw Corrupt(path, e.Message);
        }
        var idMaps = new IdMapTables();
        if (version == Version)
        {
            var lanes = U32(body);
            for (var l = 0; l < lanes; l++)
            {
                var forwardKey = Name(body, "an id map lane's name");
                if (idMaps.Find(forwardKey) is not null) throw Corrupt(path, $"the id map lane '{forwardKey}' is stored twice");
                var lane = idMaps.Get(forwardKey);
                lane.Next = U32(body) | (long)U32(body) << 32;
                foreach (var erasing in (bool[])[false, true])
                {
                    var entries = U32(body);
                    // Sized once (an entry takes at least 9 bytes, so a damaged count cannot ask for more than the file holds).
                    var capacity = (int)Math.Min(entries, (body.Length - pos) / 9);
                    (erasing ? lane.Erasing : lane.Forward).EnsureCapacity(capacity);
                    lane.Reverse.EnsureCapacity(lane.Reverse.Count + capacity);
                    for (var e = 0; e < entries; e++)
                    {
                        var externalId = Name(body, $"an external id of the id map lane '{forwardKey}'");
                        if (!lane.Add(externalId, U32(body), erasing))
                            throw Corrupt(path, $"the id map lane '{forwardKey}' maps the external id '{externalId}' or its internal id twice");
                    }
                }
                for (var n = U32(body); n > 0; n--)
                    if (!lane.Reverse.Remove(U32(body)))
                        throw Corrupt(path, $"the id map lane '{forwardKey}' lists a reverse mapping to drop that it does not hold");
                for (var n = U32(body); n > 0; n--)
                {
                    var reverseId = U32(body);
                    if (!lane.Reverse.TryAdd(reverseId, Name(body, $"an external id of the id map lane '{forwardKey}'")))
                        throw Corrupt(path, $"the id map lane '{forwardKey}' maps the internal id {reverseId} twice");
                }
                // Ids are never reused: the counter has handed out at least as many ids as the lane holds.
                if (lane.Next < 0 || lane.Next < lane.Reverse.Count)
                    throw Corrupt(path, $"the id map lane '{forwardKey}' holds {lane.Reverse.Count} ids but its counter says {lane.Next} were handed out");
            }
        }
        if (pos != body.Length) throw Corrupt(path, "it has bytes after its last record");
        return new Contents(result, idMaps, id);
    }

    private static EmbeddedStoreFileException Corrupt(string path, string why) =>
        new($"The embedded store file '{path}' is damaged: {why}. It was not loaded and will not be overwritten; " +
            "restore it from a copy, or move it away to start empty.");
}
