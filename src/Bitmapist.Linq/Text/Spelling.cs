namespace Bitmapist.Linq.Text;

/// <summary>Did-you-mean: how far apart two words are, and the nearest of several to a misspelt one.</summary>
internal static class Spelling
{
    /// <summary>The candidate nearest to <paramref name="word"/> (lower-cased), or null when none is within max(2, half its length) edits.</summary>
    public static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(word.ToLowerInvariant(), c);
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        return bestDistance <= Math.Max(2, word.Length / 2) ? best : null;
    }

    /// <summary>Edits between two words: insertions, deletions, substitutions and swaps of neighbours ("fo" is one from "of").</summary>
    public static int Distance(string a, string b)
    {
        var before = new int[b.Length + 1];
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = Math.Min(cur[j], before[j - 2] + 1);
            }
            (before, prev, cur) = (prev, cur, before);
        }
        return prev[b.Length];
    }
}
