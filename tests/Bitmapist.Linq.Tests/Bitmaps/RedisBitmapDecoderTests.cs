using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Backends.Redis;
using CsCheck;

namespace Bitmapist.Linq.Tests.Bitmaps;

/// <summary><see cref="RedisBitmapDecoder"/> against a naive bit-by-bit decode of the Redis layout.</summary>
public class RedisBitmapDecoderTests
{
    private static List<uint> Decode(byte[] bytes, long byteOffset = 0)
    {
        var ids = new List<uint>();
        RedisBitmapDecoder.AppendIds(bytes, byteOffset, ids);
        return ids;
    }

    /// <summary>Id n is byte n >> 3 of the whole string, under mask 0x80 >> (n &amp; 7).</summary>
    private static List<uint> Naive(byte[] bytes, long byteOffset)
    {
        var ids = new List<uint>();
        for (var i = 0; i < bytes.Length; i++)
            for (var bit = 0; bit < 8; bit++)
                if ((bytes[i] & (0x80 >> bit)) != 0)
                    ids.Add((uint)(((byteOffset + i) * 8) + bit));
        return ids;
    }

    [Fact]
    public void Empty_and_zero_strings_have_no_ids()
    {
        Decode([]).ShouldBeEmpty();
        Decode(new byte[3]).ShouldBeEmpty();
        Decode(new byte[64], 12_345).ShouldBeEmpty();
    }

    [Fact]
    public void Bits_are_read_most_significant_first()
    {
        Decode([0x80]).ShouldBe([0u]);
        Decode([0x01]).ShouldBe([7u]);
        Decode([0x00, 0x80]).ShouldBe([8u]);
        Decode([0xA5]).ShouldBe([0u, 2, 5, 7]);
        Decode([0, 0, 0, 0, 0, 0, 0, 0x01]).ShouldBe([63u]);
        Decode([0, 0, 0, 0, 0, 0, 0, 0x01, 0x80]).ShouldBe([63u, 64]);
        Decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).ShouldBe(Enumerable.Range(0, 72).Select(i => (uint)i));
    }

    [Fact]
    public void The_offset_counts_bytes_of_the_whole_string_and_need_not_be_word_aligned()
    {
        Decode([0x80], 1).ShouldBe([8u]);
        Decode([0x01], 3).ShouldBe([31u]);
        Decode([0, 0, 0, 0, 0, 0, 0, 0x01, 0x40], 5).ShouldBe([(5u * 8) + 63, (5u * 8) + 65]);
        Decode([0x80], 8192).ShouldBe([65_536u]);
    }

    [Fact]
    public void The_last_byte_of_the_id_space_decodes_to_2_pow_32_minus_1()
    {
        Decode([0x01], (1L << 29) - 1).ShouldBe([uint.MaxValue]);
        Decode([0x80, 0, 0, 0, 0, 0, 0, 0x01], (1L << 29) - 8).ShouldBe([uint.MaxValue - 63, uint.MaxValue]);
        Decode([0xFF, 0xFF], (1L << 29) - 2).Count.ShouldBe(16);
    }

    [Fact]
    public void AppendIds_appends_after_what_the_list_already_holds()
    {
        var ids = new List<uint> { 1, 2 };
        RedisBitmapDecoder.AppendIds([0x40], 10, ids);
        ids.ShouldBe([1u, 2, 81]);
    }

    private static readonly Gen<byte> Bytes = Gen.Frequency((3, Gen.Byte), (2, Gen.Const((byte)0)), (1, Gen.Const((byte)0xFF)), (1, Gen.OneOf((byte)0x80, (byte)0x01)));

    [Fact]
    public void AppendIds_equals_a_naive_decode_for_any_bytes_and_offset()
    {
        var offsets = Gen.Frequency((2, Gen.Long[0, 20]), (2, Gen.Long[0, 1L << 20]), (1, Gen.Long[(1L << 29) - 200, (1L << 29) - 1]));
        Gen.Select(Bytes.Array[0, 70], offsets).Sample((bytes, offset) =>
        {
            var byteOffset = Math.Min(offset, (1L << 29) - bytes.Length); // the string ends inside the id space
            var ids = Decode(bytes, byteOffset);
            ids.ShouldBe(Naive(bytes, byteOffset), $"{bytes.Length} bytes at {byteOffset}: {Convert.ToHexString(bytes)}");
        }, iter: 2000);
    }

    [Fact]
    public void Decoding_slices_at_any_byte_offsets_equals_decoding_the_whole_string()
    {
        Gen.Select(Bytes.Array[0, 70], Gen.Int[0, 70].Array[0, 4]).Sample((bytes, cuts) =>
        {
            var bounds = cuts.Select(c => Math.Min(c, bytes.Length)).Append(0).Append(bytes.Length).Distinct().Order().ToArray();
            var ids = new List<uint>();
            for (var i = 1; i < bounds.Length; i++)
                RedisBitmapDecoder.AppendIds(bytes.AsSpan(bounds[i - 1], bounds[i] - bounds[i - 1]), bounds[i - 1], ids);
            ids.ShouldBe(Decode(bytes), $"cuts {string.Join(",", bounds)}");
        }, iter: 1000);
    }

    [Fact]
    public void Decoding_the_redis_bytes_of_a_bitmap_gives_its_ids()
    {
        BitmapGens.SmallIdSet.Sample(set =>
        {
            var bitmap = PagedBitmap.Of(set);
            Decode(bitmap.ToRedisBytes()).ShouldBe(set.Order());
        }, iter: 300);
    }
}
