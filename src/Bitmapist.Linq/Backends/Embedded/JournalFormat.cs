using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// The write journal's file format and its reader (the writer is <see cref="WriteJournal"/>, whose remarks give
/// the layout): the header, the frame of a record, the five kinds of record, and the replay that applies the
/// complete records and tells a torn tail from damage.
/// </summary>
internal static class JournalFormat
{
    public static readonly byte[] Magic = "BMLQJRNL"u8.ToArray();
    public const uint Version = 1;

    /// <summary>Magic, version, epoch, snapshot hash, and the hash of those.</summary>
    public const int HeaderLength = 8 + 4 + 8 + 8 + 8;

    /// <summary>A record's frame before its payload: payload length (u32), kind (u8), check of those (u32).</summary>
    public const int FrameHead = 4 + 1 + 4;

    /// <summary>After the payload: the XxHash64 of frame and payload.</summary>
    public const int FrameTail = 8;

    public const byte BitsKind = 1, MergeKind = 2, DeleteKind = 3, IdMapKind = 4, IdEraseKind = 5, IdImportKind = 6;

    /// <summary>Larger than any record written (a merge of one bitmap of 65,536 dense pages is 537 MB): a longer one is damage.</summary>
    public const int MaxPayload = 1 << 30;

    /// <summary>The journal's bytes (the first <paramref name="limit"/>), read while a writer may append; empty when there is no journal.</summary>
    public static byte[] ReadAll(string path, int limit = int.MaxValue)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var into = new MemoryStream();
            var buffer = new byte[Math.Min(limit, 1 << 16)];
            int n;
            while (into.Length < limit && (n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, limit - into.Length))) > 0) into.Write(buffer, 0, n);
            return into.ToArray();
        }
        catch (FileNotFoundException)
        {
            return [];
        }
        catch (IOException e)
        {
            throw new EmbeddedStoreFileException($"Cannot read the embedded store journal '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Applies the complete records of <paramref name="bytes"/> (header checked by the caller) to
    /// <paramref name="keys"/> and <paramref name="idMaps"/> through a journal-less engine, so a replayed write does
    /// exactly what the live one did. Returns where the complete records end (a torn tail starts there).
    /// </summary>
    public static long Replay(string path, byte[] bytes, Dictionary<string, PagedBitmap> keys, IdMapTables idMaps)
    {
        using var engine = new EmbeddedBackend(CapabilityProfile.Embedded, keys, idMaps: idMaps);
        var pos = HeaderLength;
        var index = 0;
        while (pos < bytes.Length)
        {
            var rest = bytes.AsSpan(pos);
            if (rest.Length < FrameHead) return pos; // torn inside the frame
            var length = BinaryPrimitives.ReadUInt32LittleEndian(rest);
            if ((uint)XxHash64.HashToUInt64(rest[..5]) != BinaryPrimitives.ReadUInt32LittleEndian(rest[5..]))
            {
                if (rest.IndexOfAnyExcept((byte)0) < 0) return pos; // zeros the file system left after a crash
                throw Damaged(path, pos, index, "its frame does not check");
            }
            if (length > MaxPayload) throw Damaged(path, pos, index, $"it claims {length} bytes");
            var total = FrameHead + (long)length + FrameTail;
            if (total > rest.Length) return pos; // cut short: the process died while appending it
            var record = rest[..(int)total];
            if (XxHash64.HashToUInt64(record[..^FrameTail]) != BinaryPrimitives.ReadUInt64LittleEndian(record[^FrameTail..]))
            {
                if (total == rest.Length) return pos; // the last record, partly written
                throw Damaged(path, pos, index, "its checksum does not match");
            }
            try
            {
                Apply(engine, record[4], record[FrameHead..^FrameTail]);
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or InvalidDataException)
            {
                throw Damaged(path, pos, index, e.Message);
            }
            pos += (int)total;
            index++;
        }
        return pos;
    }

    private static void Apply(EmbeddedBackend engine, byte kind, ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        switch (kind)
        {
            case BitsKind:
            {
                var names = new string[reader.U32()];
                for (var i = 0; i < names.Length; i++) names[i] = reader.Name();
                var writes = new BitWrite[reader.U32()];
                for (var i = 0; i < writes.Length; i++)
                {
                    var key = reader.U32();
                    writes[i] = new BitWrite(names[key & int.MaxValue], reader.U32(), key >> 31 != 0);
                }
                reader.End();
                Wait(engine.WriteBitsAsync(writes, CancellationToken.None));
                break;
            }
            case MergeKind:
            {
                var merges = new BitmapMerge[reader.U32()];
                for (var m = 0; m < merges.Length; m++)
                {
                    var key = reader.Name();
                    var bitmap = new PagedBitmap();
                    var pages = reader.U32();
                    for (var p = 0; p < pages; p++)
                    {
                        var number = (int)reader.U32();
                        var words = new ulong[PagedBitmap.WordsPerPage];
                        if (reader.U8() == 1)
                        {
                            for (var n = reader.U16(); n > 0; n--)
                            {
                                var offset = reader.U16();
                                words[offset >> 6] |= 1UL << (63 - (offset & 63));
                            }
                        }
                        else
                        {
                            for (var i = 0; i < words.Length; i++) words[i] = reader.U64();
                        }
                        bitmap.AppendPage(number, words);
                    }
                    merges[m] = new BitmapMerge(key, bitmap);
                }
                reader.End();
                Wait(engine.MergeAsync(merges, CancellationToken.None));
                break;
            }
            case DeleteKind:
            {
                var keys = new string[reader.U32()];
                for (var i = 0; i < keys.Length; i++) keys[i] = reader.Name();
                reader.End();
                Wait(engine.DeleteAsync(keys, CancellationToken.None));
                break;
            }
            case IdMapKind:
            {
                var lane = reader.Name();
                var next = (long)reader.U32() << 32;
                next |= reader.U32();
                var created = new (string, uint)[reader.U32()];
                for (var i = 0; i < created.Length; i++) created[i] = (reader.Name(), reader.U32());
                reader.End();
                engine.ReplayIdMappings(lane, created, next);
                break;
            }
            case IdImportKind:
            {
                var lane = reader.Name();
                var floor = (long)reader.U32() << 32;
                floor |= reader.U32();
                var forward = new (string, uint)[reader.U32()];
                for (var i = 0; i < forward.Length; i++) forward[i] = (reader.Name(), reader.U32());
                var reverse = new (uint, string)[reader.U32()];
                for (var i = 0; i < reverse.Length; i++) reverse[i] = (reader.U32(), reader.Name());
                reader.End();
                engine.ReplayIdImport(lane, forward, reverse, floor);
                break;
            }
            case IdEraseKind:
            {
                var lane = reader.Name();
                var externalId = reader.Name();
                var id = reader.U32();
                var finished = reader.U8() != 0;
                reader.End();
                engine.ReplayIdErasure(lane, externalId, id, finished);
                break;
            }
            default:
                throw new InvalidDataException($"it is of kind {kind}, unknown to this library (written by a newer version?)");
        }
    }

    // The engine's writes complete synchronously; this only surfaces their exception.
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    private static EmbeddedStoreFileException Damaged(string path, long offset, int index, string why) =>
        new($"The embedded store journal '{path}' is damaged: record {index + 1} (at byte {offset}) cannot be read: {why}, and more follows it, " +
            "so it is not a write cut short by a crash. Nothing was opened or changed. To open the last saved snapshot without the journal's " +
            "writes, move the journal away; keep it to recover the records before the damaged one.");

    /// <summary>The journal's header: the epoch (new at every compaction) and the hash of the snapshot its records apply to.</summary>
    public readonly record struct Header(ulong Epoch, ulong Base)
    {
        /// <summary>A new header (a new epoch) for records over the snapshot <paramref name="snapshotHash"/>.</summary>
        public static byte[] Bytes(ulong snapshotHash)
        {
            var bytes = new byte[HeaderLength];
            Magic.CopyTo(bytes, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), Version);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(12), BitConverter.ToUInt64(Guid.NewGuid().ToByteArray()));
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(20), snapshotHash);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(28), XxHash64.HashToUInt64(bytes.AsSpan(0, 28)));
            return bytes;
        }

        /// <summary>The header of <paramref name="bytes"/>, or null when the file is shorter than one (created, then cut by a crash before any write).</summary>
        public static Header? Parse(string path, ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length < HeaderLength) return null;
            if (!bytes[..8].SequenceEqual(Magic))
                throw new EmbeddedStoreFileException(
                    $"'{path}' is not an embedded store journal (it does not start with one's header); nothing was opened or changed. Move it away to open the store.");
            if (XxHash64.HashToUInt64(bytes[..28]) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[28..]))
                throw new EmbeddedStoreFileException(
                    $"The embedded store journal '{path}' is damaged: its header does not check. Nothing was opened or changed; move the journal away to open the last saved snapshot without its writes.");
            var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
            if (version != Version)
                throw new EmbeddedStoreFileException(
                    $"The embedded store journal '{path}' has format version {version}; this library reads version {Version}. Nothing was opened or changed.");
            return new Header(BinaryPrimitives.ReadUInt64LittleEndian(bytes[12..]), BinaryPrimitives.ReadUInt64LittleEndian(bytes[20..]));
        }
    }

    /// <summary>Reads a record's payload; running past its end is damage.</summary>
    private ref struct PayloadReader(ReadOnlySpan<byte> payload)
    {
        private readonly ReadOnlySpan<byte> _payload = payload;
        private int _pos;

        public byte U8() => Take(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

        public string Name() => Encoding.UTF8.GetString(Take((int)Math.Min(U32(), int.MaxValue)));

        public readonly void End()
        {
            if (_pos != _payload.Length) throw new InvalidDataException("it has bytes after its last write");
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (n > _payload.Length - _pos) throw new InvalidDataException("it ends in the middle of a write");
            var span = _payload.Slice(_pos, n);
            _pos += n;
            return span;
        }
    }
}
