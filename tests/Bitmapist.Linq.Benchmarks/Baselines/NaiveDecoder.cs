namespace Bitmapist.Linq.Benchmarks.Baselines;

/// <summary>The obvious decoder: test every bit of the string, one at a time (what a straightforward port of
/// bitmapist's Python <c>get_bits</c>-style loop does).</summary>
internal static class NaiveDecoder
{
    public static void AppendIds(ReadOnlySpan<byte> bytes, long byteOffset, List<uint> into)
    {
        var bits = (long)bytes.Length * 8;
        var baseId = byteOffset * 8;
        for (long i = 0; i < bits; i++)
            if ((bytes[(int)(i >> 3)] & (0x80 >> (int)(i & 7))) != 0)
                into.Add((uint)(baseId + i));
    }
}
