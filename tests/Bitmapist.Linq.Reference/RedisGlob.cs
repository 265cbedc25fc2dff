using System.Text;

namespace Bitmapist.Linq.Reference;

/// <summary>
/// Redis's glob matching for SCAN ... MATCH, written to behave as Redis' <c>stringmatchlen</c> (checked against redis-server's KEYS by RedisGlobTests), on the
/// UTF-8 bytes of the pattern and the key as Redis compares them: <c>*</c> any run of bytes, <c>?</c> one byte,
/// <c>[abc]</c>, <c>[^abc]</c>, <c>[a-z]</c> (ends in either order) a class of one byte, <c>\x</c> the byte x
/// literally (inside a class too). Redis's quirks are kept, because a back end must list the keys Redis would:
/// an unclosed <c>[</c> is a class that runs to the end of the pattern, <c>[]</c> is an empty class (it matches
/// no byte), a trailing lone <c>\</c> matches a backslash, and the empty key matches <c>*</c> alone (SCAN's
/// shortcut for it) but no other star pattern.
/// </summary>
public static class RedisGlob
{
    // Redis stops recursing at this depth (CVE-2022-36021) and answers "no match".
    private const int MaxNesting = 1000;

    /// <summary>True when <paramref name="key"/> matches <paramref name="pattern"/> as Redis's SCAN MATCH decides it.</summary>
    public static bool IsMatch(string pattern, string key)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(key);
        // SCAN and KEYS skip matching for the pattern "*" alone and list every key, the empty key too, which the
        // matcher itself would not match ("**" does not).
        if (pattern == "*") return true;
        var skipLongerMatches = false;
        return Match(Encoding.UTF8.GetBytes(pattern), 0, Encoding.UTF8.GetBytes(key), 0, ref skipLongerMatches, 0);
    }

    // Indices into byte arrays rather than spans: an unclosed class steps back one byte, as Redis's pointer does.
    private static bool Match(byte[] pattern, int p, byte[] text, int s, ref bool skipLongerMatches, int nesting)
    {
        if (nesting == MaxNesting) return false;
        while (p < pattern.Length && s < text.Length)
        {
            switch (pattern[p])
            {
                case (byte)'*':
                    while (p + 1 < pattern.Length && pattern[p + 1] == '*') p++;
                    if (p + 1 == pattern.Length) return true;
                    for (; s < text.Length; s++)
                    {
                        if (Match(pattern, p + 1, text, s, ref skipLongerMatches, nesting + 1)) return true;
                        // The rest of the pattern ran out of text on a longer suffix: every shorter one fails too.
                        if (skipLongerMatches) return false;
                    }
                    skipLongerMatches = true;
                    return false;
                case (byte)'?':
                    s++;
                    break;
                case (byte)'[':
                {
                    p++;
                    var not = p < pattern.Length && pattern[p] == '^';
                    if (not) p++;
                    var match = false;
                    var c = text[s];
                    while (true)
                    {
                        var left = pattern.Length - p;
                        if (left >= 2 && pattern[p] == '\\')
                        {
                            p++;
                            if (pattern[p] == c) match = true;
                        }
                        else if (left == 0)
                        {
                            // An unclosed class: Redis steps back onto its last byte, which the step below consumes.
                            p--;
                            break;
                        }
                        else if (pattern[p] == ']')
                        {
                            break;
                        }
                        else if (left >= 3 && pattern[p + 1] == '-')
                        {
                            // Redis compares a range's ends as C chars, signed on the platforms it runs on: a byte
                            // of 0x80 or more (part of a UTF-8 character) sorts below every ASCII one.
                            int start = (sbyte)pattern[p], end = (sbyte)pattern[p + 2], at = (sbyte)c;
                            if (start > end) (start, end) = (end, start);
                            p += 2;
                            if (at >= start && at <= end) match = true;
                        }
                        else if (pattern[p] == c)
                        {
                            match = true;
                        }
                        p++;
                    }
                    if (not) match = !match;
                    if (!match) return false;
                    s++;
                    break;
                }
                case (byte)'\\':
                    if (pattern.Length - p >= 2) p++;
                    if (pattern[p] != text[s]) return false;
                    s++;
                    break;
                default:
                    if (pattern[p] != text[s]) return false;
                    s++;
                    break;
            }
            p++;
            if (s == text.Length)
            {
                while (p < pattern.Length && pattern[p] == '*') p++;
                break;
            }
        }
        return p == pattern.Length && s == text.Length;
    }
}
