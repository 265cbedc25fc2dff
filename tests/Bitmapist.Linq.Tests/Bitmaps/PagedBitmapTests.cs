using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Tests.Bitmaps;

/// <summary>Fixed examples of <see cref="PagedBitmap"/>: bit order, edges of bytes, words and pages, and the API contracts.</summary>
public class PagedBitmapTests
{
    private static PagedBitmap Of(params uint[] ids) => PagedBitmap.Of(ids);

    [Fact]
    public void Mask_uses_redis_bit_order_within_a_word()
    {
        PagedBitmap.Mask(0).ShouldBe(0x8000_0000_0000_0000UL);
        PagedBitmap.Mask(7).ShouldBe(0x0100_0000_0000_0000UL);
        PagedBitmap.Mask(8).ShouldBe(0x0080_0000_0000_0000UL);
        PagedBitmap.Mask(63).ShouldBe(1UL);
        PagedBitmap.Mask(64).ShouldBe(0x8000_0000_0000_0000UL);
        PagedBitmap.Mask(uint.MaxValue).ShouldBe(1UL);
    }

    [Fact]
    public void Page_geometry_is_2_pow_16_bits()
    {
        PagedBitmap.PageShift.ShouldBe(16);
        PagedBitmap.WordsPerPage.ShouldBe(1024);
    }

    [Fact]
    public void Empty_bitmap_has_nothing()
    {
        var b = new PagedBitmap();
        b.Count().ShouldBe(0);
        b.IsEmpty().ShouldBeTrue();
        b.Ids().ShouldBeEmpty();
        b.Min().ShouldBeNull();
        b.Max().ShouldBeNull();
        b.Contains(0).ShouldBeFalse();
        b.Contains(uint.MaxValue).ShouldBeFalse();
        b.PageCount.ShouldBe(0);
        b.ToRedisBytes().ShouldBeEmpty();
        b.Clear(5).ShouldBeFalse();
        b.PageCount.ShouldBe(0); // clearing never creates a page
    }

    [Fact]
    public void Set_and_Clear_report_whether_they_changed_anything()
    {
        var b = new PagedBitmap();
        b.Set(64).ShouldBeTrue();
        b.Set(64).ShouldBeFalse();
        b.Contains(64).ShouldBeTrue();
        b.Contains(63).ShouldBeFalse();
        b.Contains(65).ShouldBeFalse();
        b.Clear(65).ShouldBeFalse();
        b.Clear(64).ShouldBeTrue();
        b.Clear(64).ShouldBeFalse();
        b.Contains(64).ShouldBeFalse();
        b.IsEmpty().ShouldBeTrue();
        b.Count().ShouldBe(0);
        b.Max().ShouldBeNull();
        b.ToRedisBytes().ShouldBeEmpty(); // an emptied page leaves no bytes behind
    }

    [Fact]
    public void Edge_ids_are_kept_apart()
    {
        uint[] ids = [.. BitmapGens.EdgeIds];
        var b = PagedBitmap.Of(ids);
        b.Count().ShouldBe(ids.Length);
        b.Ids().ShouldBe(ids.Order());
        foreach (var id in ids) b.Contains(id).ShouldBeTrue($"{id}");
        foreach (var id in new uint[] { 2, 5, 10, 61, 66, 126, 129, 65_533, 65_538, 131_070, 131_073, uint.MaxValue - 2, uint.MaxValue - 62 })
            b.Contains(id).ShouldBeFalse($"{id}");
        b.Min().ShouldBe(0u);
        b.Max().ShouldBe(uint.MaxValue);
    }

    [Fact]
    public void Min_and_Max_find_the_extreme_bits_of_words_and_pages()
    {
        Of(63).Max().ShouldBe(63u);
        Of(63).Min().ShouldBe(63u);
        Of(64).Max().ShouldBe(64u);
        Of(7, 8).Max().ShouldBe(8u);
        Of(65_535, 65_536).Min().ShouldBe(65_535u);
        Of(65_535, 65_536).Max().ShouldBe(65_536u);
        Of(uint.MaxValue - 63, 70_000, 5).Max().ShouldBe(uint.MaxValue - 63);
        Of(uint.MaxValue).Min().ShouldBe(uint.MaxValue);
    }

    [Fact]
    public void Max_skips_pages_that_were_emptied()
    {
        var b = Of(10, 200_000);
        b.Clear(200_000);
        b.Max().ShouldBe(10u);
        b.ToRedisBytes().ShouldBe([0, 0x20]);
        b.Clear(10);
        b.Min().ShouldBeNull();
        b.Max().ShouldBeNull();
    }

    [Fact]
    public void A_lone_id_near_2_pow_32_costs_one_page()
    {
        var b = Of(uint.MaxValue);
        b.PageCount.ShouldBe(1);
        b.MemoryBytes.ShouldBeLessThan(16 * 1024);
        b.Pages().Single().Number.ShouldBe(65_535);
        b.Pages().Single().Words[1023].ShouldBe(1UL);
    }

    [Fact]
    public void Ids_from_starts_at_the_first_id_at_or_after_from()
    {
        var b = Of(3, 63, 64, 65_535, 65_536, 200_000, uint.MaxValue);
        b.Ids(0).ShouldBe([3u, 63, 64, 65_535, 65_536, 200_000, uint.MaxValue]);
        b.Ids(3).ShouldBe([3u, 63, 64, 65_535, 65_536, 200_000, uint.MaxValue]);
        b.Ids(4).ShouldBe([63u, 64, 65_535, 65_536, 200_000, uint.MaxValue]);
        b.Ids(64).ShouldBe([64u, 65_535, 65_536, 200_000, uint.MaxValue]);
        b.Ids(65).ShouldBe([65_535u, 65_536, 200_000, uint.MaxValue]);
        b.Ids(65_536).ShouldBe([65_536u, 200_000, uint.MaxValue]);
        b.Ids(100_000).ShouldBe([200_000u, uint.MaxValue]); // from's page has no bits
        b.Ids(uint.MaxValue).ShouldBe([uint.MaxValue]);
        Of(5).Ids(6).ShouldBeEmpty();
    }

    [Fact]
    public void Of_accepts_any_order_and_duplicates()
    {
        var b = PagedBitmap.Of([900_000, 5, 900_000, 70_000, 5, 0]);
        b.Ids().ShouldBe([0u, 5, 70_000, 900_000]);
        b.Count().ShouldBe(4);
        b.PageCount.ShouldBe(3);
    }

    [Fact]
    public void Pages_come_out_in_ascending_order_whatever_the_insertion_order()
    {
        var b = new PagedBitmap();
        foreach (var page in new uint[] { 9, 2, 65_535, 0, 7, 3, 1, 100, 50 }) b.Set(page << 16);
        b.Pages().Select(p => p.Number).ShouldBe([0, 1, 2, 3, 7, 9, 50, 100, 65_535]);
        b.Ids().ShouldBe(new uint[] { 0, 1, 2, 3, 7, 9, 50, 100, 65_535 }.Select(p => p << 16));
    }

    [Fact]
    public void Clone_is_independent()
    {
        var a = Of(1, 70_000);
        var c = a.Clone();
        c.Set(2);
        c.Set(500_000);
        c.Clear(70_000);
        a.Ids().ShouldBe([1u, 70_000]);
        c.Ids().ShouldBe([1u, 2, 500_000]);
        a.Set(3);
        c.Contains(3).ShouldBeFalse();
    }

    [Fact]
    public void UnionWith_adds_in_place_and_leaves_the_argument_alone()
    {
        var a = Of(1, 70_000);
        var b = Of(2, 70_000, 9_000_000);
        a.UnionWith(b);
        a.Ids().ShouldBe([1u, 2, 70_000, 9_000_000]);
        b.Ids().ShouldBe([2u, 70_000, 9_000_000]);
        a.Clear(9_000_000);
        b.Contains(9_000_000).ShouldBeTrue();
        a.UnionWith(a);
        a.Ids().ShouldBe([1u, 2, 70_000]);
    }

    [Fact]
    public void Operations_on_no_inputs_are_empty()
    {
        PagedBitmap.And([]).IsEmpty().ShouldBeTrue();
        PagedBitmap.Or([]).IsEmpty().ShouldBeTrue();
        PagedBitmap.Xor([]).IsEmpty().ShouldBeTrue();
        PagedBitmap.AndCount([]).ShouldBe(0);
        PagedBitmap.Difference(Of(1, 2), []).Ids().ShouldBe([1u, 2]);
    }

    [Fact]
    public void Operations_with_an_empty_input()
    {
        var a = Of(1, 64, 70_000);
        var empty = new PagedBitmap();
        PagedBitmap.And([a, empty]).Count().ShouldBe(0);
        PagedBitmap.AndCount([empty, a]).ShouldBe(0);
        PagedBitmap.Or([empty, a]).Ids().ShouldBe([1u, 64, 70_000]);
        PagedBitmap.Xor([a, empty]).Ids().ShouldBe([1u, 64, 70_000]);
        PagedBitmap.Difference(a, [empty]).Ids().ShouldBe([1u, 64, 70_000]);
        PagedBitmap.Difference(empty, [a]).IsEmpty().ShouldBeTrue();
    }

    [Fact]
    public void Operations_with_the_same_bitmap_twice()
    {
        var a = Of(1, 64, 70_000, uint.MaxValue);
        PagedBitmap.And([a, a]).Ids().ShouldBe(a.Ids());
        PagedBitmap.AndCount([a, a, a]).ShouldBe(4);
        PagedBitmap.Or([a, a]).Ids().ShouldBe(a.Ids());
        PagedBitmap.Xor([a, a]).IsEmpty().ShouldBeTrue();
        PagedBitmap.Xor([a, a, a]).Ids().ShouldBe(a.Ids());
        PagedBitmap.Difference(a, [a]).IsEmpty().ShouldBeTrue();
        a.Ids().ShouldBe([1u, 64, 70_000, uint.MaxValue]); // and a is untouched
    }

    [Fact]
    public void Results_never_share_pages_with_their_inputs()
    {
        var a = Of(1, 70_000);
        var b = Of(1, 2, 70_000, 70_001, 140_000);
        foreach (var result in new[]
                 {
                     PagedBitmap.And([a, b]), PagedBitmap.And([b, a]), PagedBitmap.Or([a, b]), PagedBitmap.Or([b, a]),
                     PagedBitmap.Xor([a, b]), PagedBitmap.Difference(a, [b]), PagedBitmap.Difference(b, [a]),
                     PagedBitmap.Or([a]), PagedBitmap.And([b]),
                 })
        {
            foreach (var id in new uint[] { 1, 3, 70_000, 70_002, 140_000, 140_001 })
            {
                result.Set(id);
            }
            result.Clear(2);
            result.Clear(70_001);
        }
        a.Ids().ShouldBe([1u, 70_000]);
        b.Ids().ShouldBe([1u, 2, 70_000, 70_001, 140_000]);
    }

    [Fact]
    public void Xor_keeps_ids_in_an_odd_number_of_inputs()
    {
        var r = PagedBitmap.Xor([Of(1, 2, 3), Of(2, 3, 70_000), Of(3, 70_000, 70_001)]);
        r.Ids().ShouldBe([1u, 3, 70_001]);
    }

    [Fact]
    public void Difference_subtracts_every_operand()
    {
        var r = PagedBitmap.Difference(Of(1, 2, 3, 70_000, 200_000), [Of(2), Of(70_000, 9), Of(200_000, 300_000)]);
        r.Ids().ShouldBe([1u, 3]);
    }

    [Fact]
    public void ToRedisBytes_uses_the_redis_layout()
    {
        Of(0).ToRedisBytes().ShouldBe([0x80]);
        Of(7).ToRedisBytes().ShouldBe([0x01]);
        Of(8).ToRedisBytes().ShouldBe([0x00, 0x80]);
        Of(0, 7, 9, 15).ToRedisBytes().ShouldBe([0x81, 0x41]);
        Of(63).ToRedisBytes().ShouldBe([0, 0, 0, 0, 0, 0, 0, 0x01]);
        Of(64).ToRedisBytes().ShouldBe([0, 0, 0, 0, 0, 0, 0, 0, 0x80]);

        var pageEdge = Of(65_535, 65_536).ToRedisBytes();
        pageEdge.Length.ShouldBe(8193);
        pageEdge[8191].ShouldBe((byte)0x01);
        pageEdge[8192].ShouldBe((byte)0x80);
        pageEdge[..8191].ShouldAllBe(x => x == 0);
    }

    [Fact]
    public void ToRedisBytes_trims_to_the_byte_of_the_largest_id()
    {
        // Redis strings grow to the byte of the highest SETBIT; whole pages must not leak trailing zero bytes.
        Of(1, 20).ToRedisBytes().Length.ShouldBe(3);
        Of(70_000).ToRedisBytes().Length.ShouldBe((70_000 / 8) + 1);
        var far = Of(3, 1u << 25).ToRedisBytes();
        far.Length.ShouldBe((1 << 22) + 1);
        far[0].ShouldBe((byte)0x10);
        far[^1].ShouldBe((byte)0x80);
        far[1..^1].AsSpan().IndexOfAnyExcept((byte)0).ShouldBe(-1);
    }

    [Fact]
    public void FromRedisBytes_reads_the_redis_layout()
    {
        PagedBitmap.FromRedisBytes([]).IsEmpty().ShouldBeTrue();
        PagedBitmap.FromRedisBytes([0, 0, 0]).IsEmpty().ShouldBeTrue();
        PagedBitmap.FromRedisBytes([0x80]).Ids().ShouldBe([0u]);
        PagedBitmap.FromRedisBytes([0x81, 0x41]).Ids().ShouldBe([0u, 7, 9, 15]);
        PagedBitmap.FromRedisBytes([0, 0, 0, 0, 0, 0, 0, 0x01, 0x80]).Ids().ShouldBe([63u, 64]);
        PagedBitmap.FromRedisBytes([0xFF, 0xFF, 0xFF]).Count().ShouldBe(24);
        var bytes = new byte[8193];
        bytes[8191] = 0x01;
        bytes[8192] = 0x80;
        var b = PagedBitmap.FromRedisBytes(bytes);
        b.Ids().ShouldBe([65_535u, 65_536]);
        b.PageCount.ShouldBe(2);
    }

    [Fact]
    public void FromRedisBytes_creates_no_pages_for_zero_runs()
    {
        var bytes = new byte[8192 * 5 + 3];
        bytes[^1] = 0x01;
        var b = PagedBitmap.FromRedisBytes(bytes);
        b.PageCount.ShouldBe(1);
        b.Ids().ShouldBe([(uint)(((8192 * 5) + 2) * 8) + 7]);
    }

    [Fact]
    public void OrRedisBytes_merges_a_slice_at_a_word_aligned_offset()
    {
        var b = Of(1);
        b.OrRedisBytes([0x80, 0, 0, 0, 0, 0, 0, 0, 0x01], byteOffset: 8);
        b.Ids().ShouldBe([1u, 64, 135]);
        b.OrRedisBytes([0x40], byteOffset: 8192 - 8); // a one-byte slice: page 0's last word
        b.Contains(((8192 - 8) * 8) + 1).ShouldBeTrue();
        var crossing = new byte[16];
        crossing[7] = 0x01;  // last bit of page 0
        crossing[8] = 0x80;  // first bit of page 1
        b.OrRedisBytes(crossing, byteOffset: 8192 - 8);
        b.Contains(65_535).ShouldBeTrue();
        b.Contains(65_536).ShouldBeTrue();
        b.Count().ShouldBe(6);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(7L)]
    [InlineData(12L)]
    public void OrRedisBytes_rejects_slices_that_do_not_start_on_a_word(long byteOffset)
    {
        Should.Throw<ArgumentException>(() => new PagedBitmap().OrRedisBytes([1], byteOffset));
    }

    [Fact]
    public void AppendPage_and_Pages_round_trip()
    {
        var a = Of(0, 63, 65_536, 9_000_000, uint.MaxValue);
        var copy = new PagedBitmap();
        foreach (var (number, words) in a.Pages()) copy.AppendPage(number, (ulong[])words.Clone());
        copy.Ids().ShouldBe(a.Ids());
        copy.PageCount.ShouldBe(a.PageCount);
    }

    [Fact]
    public void AppendPage_validates_its_input()
    {
        var b = new PagedBitmap();
        Should.Throw<ArgumentException>(() => b.AppendPage(0, new ulong[1023]));
        Should.Throw<ArgumentOutOfRangeException>(() => b.AppendPage(-1, new ulong[1024]));
        Should.Throw<ArgumentOutOfRangeException>(() => b.AppendPage(65_536, new ulong[1024]));
        var oneId = new ulong[1024];
        oneId[3] = 1;
        b.AppendPage(2, new ulong[1024]); // an all-zero page holds nothing: not kept
        b.AppendPage(5, oneId);
        Should.Throw<ArgumentException>(() => b.AppendPage(5, oneId));
        Should.Throw<ArgumentException>(() => b.AppendPage(4, oneId));
        b.AppendPage(65_535, oneId);
        b.PageCount.ShouldBe(2);
        b.Ids().ShouldBe([(5u << 16) + 255, (65_535u << 16) + 255]);
    }
}
