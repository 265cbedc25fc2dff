using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Tests.Bitmaps;
using CsCheck;

namespace Bitmapist.Linq.Tests.Backends.Embedded;

/// <summary>
/// The store file's format 2 (pages of up to 4096 ids as sorted values, denser pages as words) round trips every
/// container form, keeps sparse data small on disk, still reads format 1 (every page as words), and refuses a page
/// whose ids are out of order or whose count is wrong. Format 3 adds the id maps, read back exactly.
/// </summary>
public sealed class EmbeddedStoreFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bmfile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_container_form_reads_back_identically()
    {
        Gen.Select(BitmapGens.MixedDensitySet, BitmapGens.IdSet).Sample((a, b) =>
        {
            var path = Path.Combine(_dir, $"forms-{Guid.NewGuid():N}.bmdb"); // samples run on several threads at once
            var union = PagedBitmap.Of(a);
            union.UnionWith(PagedBitmap.Of(b)); // unions of arrays that overlap: the form a merge leaves
            var keys = new Dictionary<string, PagedBitmap> { ["a"] = PagedBitmap.Of(a), ["union"] = union, ["empty"] = new() };
            EmbeddedStoreFile.Save(path, keys, new IdMapTables());
            var (loaded, _, _) = EmbeddedStoreFile.Load(path);
            loaded["a"].Ids().ShouldBe(a.Order());
            loaded["union"].Ids().ShouldBe(a.Union(b).Order());
            loaded["empty"].IsEmpty().ShouldBeTrue();
        }, iter: 60);
    }

    [Fact]
    public void A_sparse_page_costs_two_bytes_an_id_on_disk()
    {
        var path = Path.Combine(_dir, "sparse.bmdb");
        // 100 ids on each of 50 pages: format 1 wrote 50 x 8 KiB; format 2 writes 50 x (8 + 200) bytes.
        var ids = Enumerable.Range(0, 50).SelectMany(p => Enumerable.Range(0, 100).Select(i => (uint)((p << 16) + i * 7)));
        EmbeddedStoreFile.Save(path, new Dictionary<string, PagedBitmap> { ["k"] = PagedBitmap.Of(ids) }, new IdMapTables());
        new FileInfo(path).Length.ShouldBeLessThan(50 * 220 + 100);
    }

    [Fact]
    public void A_format_1_file_still_reads()
    {
        var path = Path.Combine(_dir, "v1.bmdb");
        var words = new ulong[1024];
        words[0] = 0x8000_0000_0000_0001UL; // ids 0 and 63 of the page
        File.WriteAllBytes(path, File1(("k", 3, words)));
        var (loaded, _, _) = EmbeddedStoreFile.Load(path);
        loaded["k"].Ids().ShouldBe([3u << 16, (3u << 16) + 63]);
    }

    [Fact]
    public void A_page_out_of_order_or_with_a_wrong_count_is_refused()
    {
        var path = Path.Combine(_dir, "bad.bmdb");
        File.WriteAllBytes(path, File2("k", 1, count: 3, values: [5, 9, 7]));
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStoreFile.Load(path)).Message.ShouldContain("not in ascending order");
        File.WriteAllBytes(path, File2("k", 1, count: 5000, values: new ushort[4096])); // says 5000 ids, holds words of none
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStoreFile.Load(path)).Message.ShouldContain("another number of ids");
        var future = File2("k", 1, count: 1, values: [1]);
        BinaryPrimitives.WriteUInt32LittleEndian(future.AsSpan(8), 4);
        File.WriteAllBytes(path, Hashed(future[..^8]));
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStoreFile.Load(path)).Message.ShouldContain("reads versions 1 to 3");
    }

    [Fact]
    public void Id_maps_read_back_exactly_and_the_same_maps_make_the_same_bytes()
    {
        var maps = new IdMapTables();
        var lane = maps.Get("bitop_idmap:users:0:fwd");
        lane.Next = (1L << 32) - 1; // a full lane's counter needs all of the u64
        lane.Add("alice", 7, erasing: false);
        lane.Add("ünïcödé", uint.MaxValue - 1, erasing: false);
        lane.Add("alice", 3, erasing: true); // erased and then mapped again: in both maps, under two ids
        lane.Add("bob", 0, erasing: true);
        maps.Get("bitop_idmap:users:1:fwd").Next = 5; // every id of this lane erased and ended: only the counter is left
        var path = Path.Combine(_dir, "maps.bmdb");
        EmbeddedStoreFile.Save(path, new Dictionary<string, PagedBitmap> { ["k"] = PagedBitmap.Of([1u]) }, maps);

        var (keys, loaded, _) = EmbeddedStoreFile.Load(path);
        keys["k"].Ids().ShouldBe([1u]);
        Describe(loaded).ShouldBe(Describe(maps));
        var copy = Path.Combine(_dir, "copy.bmdb");
        EmbeddedStoreFile.Save(copy, keys, loaded);
        File.ReadAllBytes(copy).ShouldBe(File.ReadAllBytes(path));
    }

    [Fact]
    public void An_id_map_that_holds_an_id_twice_or_more_ids_than_its_counter_is_refused()
    {
        var path = Path.Combine(_dir, "twice.bmdb");
        var maps = new IdMapTables();
        var lane = maps.Get("m");
        lane.Next = 2;
        lane.Add("alice", 1, erasing: false);
        lane.Add("bob", 0, erasing: true);
        EmbeddedStoreFile.Save(path, new Dictionary<string, PagedBitmap>(), maps);
        var bytes = File.ReadAllBytes(path)[..^8];

        // bob's id (the last u32 before the two empty lists of a migrated lane's reverse mappings) becomes alice's.
        var bobsId = bytes.Length - 4 - 8;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bobsId), 1);
        File.WriteAllBytes(path, Hashed(bytes));
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStoreFile.Load(path)).Message.ShouldContain("maps the external id 'bob' or its internal id twice");

        // The counter (right after the lane's name) says one id was handed out, and the lane holds two.
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bobsId), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8 + 4 + 4 + 4 + 4 + 1), 1);
        File.WriteAllBytes(path, Hashed(bytes));
        Should.Throw<EmbeddedStoreFileException>(() => EmbeddedStoreFile.Load(path)).Message.ShouldContain("holds 2 ids but its counter says 1");
    }

    /// <summary>Every lane: its counter, forward, erasing and reverse entries, in a fixed order.</summary>
    private static string Describe(IdMapTables maps) => string.Join(" | ", maps.All.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l =>
        $"{l.Key} next {l.Value.Next} fwd [{string.Join(",", l.Value.Forward.OrderBy(e => e.Value).Select(e => $"{e.Key}={e.Value}"))}] " +
        $"erasing [{string.Join(",", l.Value.Erasing.OrderBy(e => e.Value).Select(e => $"{e.Key}={e.Value}"))}] " +
        $"rev [{string.Join(",", l.Value.Reverse.OrderBy(e => e.Key).Select(e => $"{e.Key}={e.Value}"))}]"));

    /// <summary>A format-1 file of one key with one page, as the library wrote it before format 2.</summary>
    private static byte[] File1((string Name, int Page, ulong[] Words) key)
    {
        var body = new List<byte>();
        body.AddRange("BMLQSTOR"u8.ToArray());
        U32(body, 1);
        U32(body, 1);
        var name = Encoding.UTF8.GetBytes(key.Name);
        U32(body, (uint)name.Length);
        body.AddRange(name);
        U32(body, 1);
        U32(body, (uint)key.Page);
        foreach (var w in key.Words) body.AddRange(BitConverter.GetBytes(w)); // little-endian on every supported machine
        return Hashed([.. body]);
    }

    /// <summary>A format-2 file of one key with one page whose count and payload are given as they are.</summary>
    private static byte[] File2(string name, int page, uint count, ushort[] values)
    {
        var body = new List<byte>();
        body.AddRange("BMLQSTOR"u8.ToArray());
        U32(body, 2);
        U32(body, 1);
        var bytes = Encoding.UTF8.GetBytes(name);
        U32(body, (uint)bytes.Length);
        body.AddRange(bytes);
        U32(body, 1);
        U32(body, (uint)page);
        U32(body, count);
        foreach (var v in values) body.AddRange(BitConverter.GetBytes(v));
        return Hashed([.. body]);
    }

    private static void U32(List<byte> into, uint v) => into.AddRange(BitConverter.GetBytes(v));

    private static byte[] Hashed(byte[] body)
    {
        var digest = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(digest, XxHash64.HashToUInt64(body));
        return [.. body, .. digest];
    }
}
