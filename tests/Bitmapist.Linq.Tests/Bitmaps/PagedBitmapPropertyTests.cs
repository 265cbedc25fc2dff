using Bitmapist.Linq.Bitmaps;
using CsCheck;

namespace Bitmapist.Linq.Tests.Bitmaps;

/// <summary>
/// <see cref="PagedBitmap"/> against a <see cref="HashSet{T}"/> oracle, on random id sets that favour byte, word
/// and page edges and the top of the id range, and on random Redis strings.
/// </summary>
public class PagedBitmapPropertyTests
{
    private static string Show(IEnumerable<uint> ids) => "{" + string.Join(",", ids.Order().Take(50)) + "}";

    /// <summary>Everything observable about <paramref name="b"/> agrees with <paramref name="expected"/>.</summary>
    private static void ShouldHold(PagedBitmap b, HashSet<uint> expected, string context)
    {
        var sorted = expected.Order().ToArray();
        b.Ids().ShouldBe(sorted, context);
        b.Count().ShouldBe(expected.Count, context);
        b.IsEmpty().ShouldBe(expected.Count == 0, context);
        b.Min().ShouldBe(sorted.Length == 0 ? null : (uint?)sorted[0], context);
        b.Max().ShouldBe(sorted.Length == 0 ? null : (uint?)sorted[^1], context);
        foreach (var id in sorted)
        {
            b.Contains(id).ShouldBeTrue(context);
            if (id > 0) b.Contains(id - 1).ShouldBe(expected.Contains(id - 1), context);
            if (id < uint.MaxValue) b.Contains(id + 1).ShouldBe(expected.Contains(id + 1), context);
        }
    }

    /// <summary>The Redis string of a set, bit by bit: byte n >> 3, mask 0x80 >> (n &amp; 7), no trailing zero bytes.</summary>
    private static byte[] NaiveRedisBytes(HashSet<uint> ids)
    {
        if (ids.Count == 0) return [];
        var bytes = new byte[(ids.Max() >> 3) + 1];
        foreach (var n in ids) bytes[n >> 3] |= (byte)(0x80 >> (int)(n & 7));
        return bytes;
    }

    /// <summary>Compares byte arrays quickly (strings reach 128 KiB) and only falls back to Shouldly for the message.</summary>
    private static void BytesShouldBe(byte[] actual, byte[] expected, string context)
    {
        if (!actual.AsSpan().SequenceEqual(expected))
        {
            actual.Length.ShouldBe(expected.Length, context);
            var first = actual.AsSpan().CommonPrefixLength(expected);
            $"byte {first}: {actual[first]:X2}".ShouldBe($"byte {first}: {expected[first]:X2}", context);
        }
    }

    private static HashSet<uint> NaiveIds(ReadOnlySpan<byte> bytes, long byteOffset = 0)
    {
        var ids = new HashSet<uint>();
        for (var i = 0; i < bytes.Length; i++)
            for (var bit = 0; bit < 8; bit++)
                if ((bytes[i] & (0x80 >> bit)) != 0)
                    ids.Add((uint)(((byteOffset + i) * 8) + bit));
        return ids;
    }

    [Fact]
    public void Set_and_Clear_behave_like_a_HashSet()
    {
        var ops = Gen.Select(Gen.Frequency((3, Gen.Const(true)), (1, Gen.Const(false))), BitmapGens.Id).Array[0, 120];
        ops.Sample(steps =>
        {
            var b = new PagedBitmap();
            var oracle = new HashSet<uint>();
            var recent = new List<uint>();
            foreach (var (set, id) in steps)
            {
                // Clear mostly ids that are there, to exercise real clears.
                var target = !set && recent.Count > 0 && id % 4 != 0 ? recent[(int)(id % (uint)recent.Count)] : id;
                if (set)
                {
                    b.Set(target).ShouldBe(oracle.Add(target), $"Set({target})");
                    recent.Add(target);
                }
                else
                {
                    b.Clear(target).ShouldBe(oracle.Remove(target), $"Clear({target})");
                }
            }
            ShouldHold(b, oracle, $"after {steps.Length} steps");
            b.PageCount.ShouldBe(oracle.Select(i => i >> 16).Distinct().Count()); // a page lives while it holds an id
        }, iter: 400);
    }

    [Fact]
    public void A_page_crossing_the_array_limit_both_ways_keeps_its_ids()
    {
        // Set up to 4097 ids in one page (array -> dense), then clear back below 4096 (dense -> array), in random order.
        Gen.Select(Gen.Int, Gen.Int[4097, 4200], Gen.Int[1, 200]).Sample((seed, up, down) =>
        {
            var random = new Random(seed);
            var b = new PagedBitmap();
            var oracle = new HashSet<uint>();
            var pageBase = (uint)random.Next(4) << 16;
            while (oracle.Count < up)
            {
                var id = pageBase + (uint)random.Next(1 << 16);
                b.Set(id).ShouldBe(oracle.Add(id));
            }
            b.Count().ShouldBe(up);
            var members = oracle.ToArray();
            for (var i = 0; i < down; i++)
            {
                var id = members[random.Next(members.Length)];
                b.Clear(id).ShouldBe(oracle.Remove(id));
            }
            ShouldHold(b, oracle, $"seed {seed}, {up} set, {down} clears");
        }, iter: 60);
    }

    [Fact]
    public void Of_holds_exactly_its_ids()
    {
        BitmapGens.IdSet.Sample(set =>
        {
            var b = PagedBitmap.Of(set);
            ShouldHold(b, set, Show(set));
            b.PageCount.ShouldBe(set.Select(i => i >> 16).Distinct().Count());
        }, iter: 300);
    }

    [Fact]
    public void Ids_from_skips_exactly_the_smaller_ids()
    {
        var froms = Gen.Frequency((3, BitmapGens.Id), (1, Gen.OneOf(0u, 1u, 64u, 65_536u, uint.MaxValue)));
        Gen.Select(BitmapGens.IdSet, froms, Gen.Int[-1, 1], Gen.Bool).Sample((set, from, nudge, fromMember) =>
        {
            var b = PagedBitmap.Of(set);
            // Often start at (or next to) a member, as a cursor resuming after the last id seen would.
            var start = fromMember && set.Count > 0 ? set.ElementAt((int)(from % (uint)set.Count)) : from;
            start = nudge switch
            {
                -1 when start > 0 => start - 1,
                1 when start < uint.MaxValue => start + 1,
                _ => start,
            };
            b.Ids(start).ShouldBe(set.Where(i => i >= start).Order(), $"from {start} in {Show(set)}");
        }, iter: 500);
    }

    [Fact]
    public void And_Or_Xor_Difference_AndCount_agree_with_set_operations()
    {
        BitmapGens.IdSets.Sample(sets =>
        {
            var bitmaps = sets.Select(PagedBitmap.Of).ToArray();
            var context = string.Join(" ", sets.Select(Show));

            var and = new HashSet<uint>(sets[0]);
            foreach (var s in sets.Skip(1)) and.IntersectWith(s);
            var or = new HashSet<uint>(sets.SelectMany(s => s));
            var xor = new HashSet<uint>(or.Where(id => sets.Count(s => s.Contains(id)) % 2 == 1));
            var diff = new HashSet<uint>(sets[0]);
            foreach (var s in sets.Skip(1)) diff.ExceptWith(s);

            ShouldHold(PagedBitmap.And(bitmaps), and, "AND " + context);
            ShouldHold(PagedBitmap.Or(bitmaps), or, "OR " + context);
            ShouldHold(PagedBitmap.Xor(bitmaps), xor, "XOR " + context);
            ShouldHold(PagedBitmap.Difference(bitmaps[0], bitmaps[1..]), diff, "DIFF " + context);
            PagedBitmap.AndCount(bitmaps).ShouldBe(and.Count, "AND COUNT " + context);

            // The order of the inputs does not matter for the symmetric operations.
            var reversed = bitmaps.Reverse().ToArray();
            PagedBitmap.And(reversed).Ids().ShouldBe(and.Order(), "AND reversed " + context);
            PagedBitmap.Or(reversed).Ids().ShouldBe(or.Order(), "OR reversed " + context);
            PagedBitmap.AndCount(reversed).ShouldBe(and.Count, "AND COUNT reversed " + context);

            // And none of them touched their inputs.
            for (var i = 0; i < sets.Length; i++) bitmaps[i].Ids().ShouldBe(sets[i].Order(), $"input {i} " + context);
        }, iter: 200);
    }

    [Fact]
    public void UnionWith_and_Clone_agree_with_set_operations()
    {
        Gen.Select(BitmapGens.IdSet, BitmapGens.IdSet).Sample((x, y) =>
        {
            var a = PagedBitmap.Of(x);
            var copy = a.Clone();
            a.UnionWith(PagedBitmap.Of(y));
            ShouldHold(a, [.. x.Union(y)], $"{Show(x)} | {Show(y)}");
            ShouldHold(copy, x, "clone " + Show(x));
        }, iter: 200);
    }

    [Fact]
    public void ToRedisBytes_matches_the_redis_layout_bit_by_bit()
    {
        BitmapGens.SmallIdSet.Sample(set =>
        {
            var bytes = PagedBitmap.Of(set).ToRedisBytes();
            BytesShouldBe(bytes, NaiveRedisBytes(set), Show(set));
            if (bytes.Length > 0) bytes[^1].ShouldNotBe((byte)0);
        }, iter: 300);
    }

    [Fact]
    public void Redis_bytes_round_trip_from_a_bitmap()
    {
        BitmapGens.SmallIdSet.Sample(set =>
        {
            var back = PagedBitmap.FromRedisBytes(PagedBitmap.Of(set).ToRedisBytes());
            ShouldHold(back, set, Show(set));
        }, iter: 300);
    }

    private static readonly Gen<byte> Bytes = Gen.Frequency((3, Gen.Byte), (3, Gen.Const((byte)0)), (1, Gen.Const((byte)0xFF)));

    // Random strings: short ones, and ones that cross a page (8 KiB) boundary.
    private static readonly Gen<byte[]> RedisStrings = Gen.Frequency(
        (4, Bytes.Array[0, 40]),
        (1, Gen.Select(Gen.Int[8180, 8300], Bytes.Array[0, 40]).Select((pad, tail) => new byte[pad].Concat(tail).ToArray())));

    [Fact]
    public void Redis_bytes_round_trip_from_a_string()
    {
        RedisStrings.Sample(bytes =>
        {
            var b = PagedBitmap.FromRedisBytes(bytes);
            b.Ids().ShouldBe(NaiveIds(bytes).Order());
            var trimmed = bytes.AsSpan(0, bytes.AsSpan().LastIndexOfAnyExcept((byte)0) + 1).ToArray();
            BytesShouldBe(b.ToRedisBytes(), trimmed, $"{bytes.Length} bytes");
        }, iter: 500);
    }

    [Fact]
    public void OrRedisBytes_of_word_aligned_slices_equals_the_whole_string()
    {
        Gen.Select(RedisStrings, Gen.Int[0, 2000].Array[0, 4], BitmapGens.SmallIdSet).Sample((bytes, cuts, existing) =>
        {
            // Cut the string at word boundaries (as a ranged GETRANGE reader would) and OR the pieces in reverse order.
            var words = (bytes.Length / 8) + 1;
            var bounds = cuts.Select(c => Math.Min(bytes.Length, c % words * 8)).Append(0).Append(bytes.Length).Distinct().Order().ToArray();
            var b = PagedBitmap.Of(existing);
            for (var i = bounds.Length - 1; i > 0; i--)
            {
                var (lo, hi) = (bounds[i - 1], bounds[i]);
                b.OrRedisBytes(bytes.AsSpan(lo, hi - lo), lo);
            }
            var expected = NaiveIds(bytes);
            expected.UnionWith(existing);
            ShouldHold(b, expected, $"{bytes.Length} bytes cut at {string.Join(",", bounds)} over {Show(existing)}");
        }, iter: 400);
    }

    [Fact]
    public void OrRedisBytes_at_a_far_offset_places_ids_there()
    {
        Gen.Select(Bytes.Array[0, 24], Gen.Long[0, (1L << 29) / 8 - 3]).Sample((bytes, word) =>
        {
            var offset = word * 8;
            var b = new PagedBitmap();
            b.OrRedisBytes(bytes, offset);
            b.Ids().ShouldBe(NaiveIds(bytes, offset).Order(), $"offset {offset}");
        }, iter: 400);
    }
}
