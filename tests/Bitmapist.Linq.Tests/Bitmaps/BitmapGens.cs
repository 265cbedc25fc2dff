using CsCheck;

namespace Bitmapist.Linq.Tests.Bitmaps;

/// <summary>Id generators that favour the edges of bytes, words and 2^16-bit pages, and the top of the id range.</summary>
internal static class BitmapGens
{
    /// <summary>Ids at byte (8), word (64) and page (65536) boundaries, and around 2^31 and 2^32 - 1.</summary>
    public static readonly uint[] EdgeIds =
    [
        0, 1, 6, 7, 8, 9, 15, 16, 62, 63, 64, 65, 127, 128, 255, 256,
        65_534, 65_535, 65_536, 65_537, 65_599, 65_600, 131_071, 131_072,
        2_147_483_647, 2_147_483_648,
        uint.MaxValue - 65_536, uint.MaxValue - 65_535, uint.MaxValue - 64, uint.MaxValue - 63,
        uint.MaxValue - 8, uint.MaxValue - 7, uint.MaxValue - 1, uint.MaxValue,
    ];

    /// <summary>Any id: edges, dense small ids, a few pages, anywhere, and the last page.</summary>
    public static readonly Gen<uint> Id = Gen.Frequency(
        (3, Gen.OneOf(EdgeIds)),
        (4, Gen.UInt[0, 300]),
        (3, Gen.UInt[0, 300_000]),
        (1, Gen.UInt),
        (1, Gen.UInt[uint.MaxValue - 300, uint.MaxValue]));

    /// <summary>Ids below 2^20, so that the Redis string of a set stays at most 128 KiB.</summary>
    public static readonly Gen<uint> SmallId = Gen.Frequency(
        (3, Gen.OneOf(EdgeIds.Where(i => i < 1u << 20).ToArray())),
        (4, Gen.UInt[0, 300]),
        (3, Gen.UInt[0, (1u << 20) - 1]));

    /// <summary>
    /// Sets whose pages take every container form and cross its limits: a few ids (array), 4094 to 4098 ids
    /// (either side of the 4096-id array limit), 6,000 random ids and runs (dense), and a full page.
    /// Pages 0, 1, 3 and 15, so the Redis string stays under 128 KiB.
    /// </summary>
    public static readonly Gen<HashSet<uint>> MixedDensitySet =
        Gen.Select(Gen.Int[0, 4].Array[1, 4], Gen.Int, (kinds, seed) => MixedDensity(kinds, seed));

    private static HashSet<uint> MixedDensity(int[] kinds, int seed)
    {
        uint[] pages = [0, 1, 3, 15];
        var random = new Random(seed);
        var ids = new HashSet<uint>();
        for (var i = 0; i < kinds.Length; i++)
        {
            var pageBase = pages[i] << 16;
            void Random(int count)
            {
                var target = ids.Count + count;
                while (ids.Count < target) ids.Add(pageBase + (uint)random.Next(1 << 16));
            }
            switch (kinds[i])
            {
                case 0: Random(random.Next(1, 41)); break;
                case 1: Random(4094 + random.Next(5)); break;
                case 2: Random(6_000); break;
                case 3: for (var low = 0u; low < 1u << 16; low++) ids.Add(pageBase + low); break;
                default:
                    var start = (uint)random.Next(30_000);
                    var length = (uint)random.Next(1, 12_000);
                    for (var low = start; low < start + length; low++) ids.Add(pageBase + low);
                    break;
            }
        }
        return ids;
    }

    /// <summary>Id sets from empty to a few hundred ids, some of them spread over many pages, and sets with dense pages.</summary>
    public static readonly Gen<HashSet<uint>> IdSet = Gen.Frequency(
        (1, Gen.Const(0).Select(_ => new HashSet<uint>())),
        (4, Id.HashSet[0, 40]),
        (1, Id.HashSet[100, 300]),
        (1, Gen.UInt[0, 5000].HashSet[500, 2000]),
        (1, MixedDensitySet));

    /// <summary>Id sets whose Redis strings stay small.</summary>
    public static readonly Gen<HashSet<uint>> SmallIdSet = Gen.Frequency(
        (1, Gen.Const(0).Select(_ => new HashSet<uint>())),
        (4, SmallId.HashSet[0, 40]),
        (1, Gen.UInt[0, 3000].HashSet[200, 1500]),
        (1, MixedDensitySet));

    /// <summary>One to five sets of very different sizes (including empty ones).</summary>
    public static readonly Gen<HashSet<uint>[]> IdSets = IdSet.Array[1, 5];
}
