using System.Numerics;
using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Benchmarks.Baselines;

/// <summary>
/// AND+count over PagedBitmap pages in one pass per page (PopCount of the AND of the inputs' words), pages
/// matched by number with a merge walk. Not library code: it shows what PagedBitmap.AndCount would cost
/// without its copy to a scratch page and separate AND and popcount passes.
/// </summary>
internal static class FusedPaged
{
    public static long AndCount(IReadOnlyList<PagedBitmap> inputs)
    {
        var pages = inputs.Select(b => b.Pages().ToArray()).ToArray();
        var at = new int[pages.Length];
        long n = 0;
        while (true)
        {
            var max = -1;
            for (var i = 0; i < pages.Length; i++)
            {
                if (at[i] >= pages[i].Length) return n;
                max = Math.Max(max, pages[i][at[i]].Number);
            }
            var aligned = true;
            for (var i = 0; i < pages.Length; i++)
                if (pages[i][at[i]].Number < max) { at[i]++; aligned = false; }
            if (!aligned) continue;
            n += pages.Length switch
            {
                2 => Count2(pages[0][at[0]].Words, pages[1][at[1]].Words),
                3 => Count3(pages[0][at[0]].Words, pages[1][at[1]].Words, pages[2][at[2]].Words),
                _ => throw new NotSupportedException("2 or 3 inputs"),
            };
            for (var i = 0; i < pages.Length; i++) at[i]++;
        }
    }

    private static long Count2(ulong[] a, ulong[] b)
    {
        long n = 0;
        for (var w = 0; w < a.Length; w++) n += BitOperations.PopCount(a[w] & b[w]);
        return n;
    }

    private static long Count3(ulong[] a, ulong[] b, ulong[] c)
    {
        long n = 0;
        for (var w = 0; w < a.Length; w++) n += BitOperations.PopCount(a[w] & b[w] & c[w]);
        return n;
    }
}
