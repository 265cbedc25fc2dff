using System.Text;
using System.Text.RegularExpressions;

namespace Bitmapist.Linq.Backends;

/// <summary>Redis's glob patterns (<c>*</c>, <c>?</c>, <c>[...]</c>, <c>\x</c>) for the embedded store's SCAN and the sharded layout's scan filter.</summary>
internal static class Glob
{
    public static Regex ToRegex(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*': sb.Append(".*"); break;
                case '?': sb.Append('.'); break;
                case '\\' when i + 1 < pattern.Length: sb.Append(Regex.Escape(pattern[++i].ToString())); break;
                case '[':
                    var end = pattern.IndexOf(']', i + 1);
                    if (end < 0) { sb.Append(@"\["); break; }
                    var body = pattern[(i + 1)..end];
                    sb.Append('[').Append(body.StartsWith('^') ? "^" + Regex.Escape(body[1..]).Replace(@"\-", "-") : Regex.Escape(body).Replace(@"\-", "-")).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }
}
