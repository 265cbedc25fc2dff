namespace Bitmapist.Linq.Benchmarks.Infra;

/// <summary>Deterministic synthetic bitmaps.</summary>
internal static class Data
{
    /// <summary><paramref name="count"/> distinct ids drawn uniformly from [0, <paramref name="universe"/>), sorted.</summary>
    public static uint[] RandomSortedIds(int count, long universe, int seed)
    {
        var rng = new Random(seed);
        var seen = new ulong[(universe + 63) / 64];
        var ids = new uint[count];
        for (var n = 0; n < count;)
        {
            var id = rng.NextInt64(universe);
            ref var w = ref seen[id >> 6];
            var m = 1UL << (int)(id & 63);
            if ((w & m) != 0) continue;
            w |= m;
            ids[n++] = (uint)id;
        }
        Array.Sort(ids);
        return ids;
    }

    /// <summary>Each id of [0, <paramref name="universe"/>) independently with probability <paramref name="p"/> (geometric skips), sorted.</summary>
    public static uint[] BernoulliIds(double p, long universe, int seed)
    {
        var rng = new Random(seed);
        var ids = new List<uint>((int)(universe * p * 1.05) + 16);
        var logq = Math.Log(1 - p);
        long id = -1;
        while (true)
        {
            id += 1 + (long)Math.Floor(Math.Log(1 - rng.NextDouble()) / logq);
            if (id >= universe) break;
            ids.Add((uint)id);
        }
        return [.. ids];
    }

    /// <summary>A Redis bitmap string of exactly <paramref name="bits"/>/8 bytes holding <paramref name="ids"/>.</summary>
    public static byte[] RedisBytes(IEnumerable<uint> ids, long bits)
    {
        var bytes = new byte[bits / 8];
        foreach (var id in ids) bytes[id >> 3] |= (byte)(0x80 >> (int)(id & 7));
        return bytes;
    }

    /// <summary>Uniformly random bytes (each bit set with probability 1/2).</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var b = new byte[length];
        new Random(seed).NextBytes(b);
        return b;
    }
}
