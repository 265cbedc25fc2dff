using System.Globalization;
using System.Text;

namespace Bitmapist.Linq;

/// <summary>
/// User text as messages show it: a control character (a newline, an escape sequence, random bytes) would
/// break the message's lines or drive the terminal, so it is shown as an escape or a placeholder instead.
/// </summary>
internal static class Printable
{
    /// <summary>Control characters (but tab) as <c>\n</c>, <c>\r</c> or <c>\u001B</c>: for text quoted inside a message.</summary>
    public static string Escape(string text)
    {
        if (!text.Any(IsUnprintable)) return text;
        var b = new StringBuilder(text.Length + 8);
        foreach (var ch in text)
        {
            if (!IsUnprintable(ch)) b.Append(ch);
            else if (ch == '\n') b.Append("\\n");
            else if (ch == '\r') b.Append("\\r");
            else b.Append("\\u").Append(((int)ch).ToString("X4", CultureInfo.InvariantCulture));
        }
        return b.ToString();
    }

    /// <summary>Each control character (but tab) replaced by '?', one for one, so a caret under the line still lines up.</summary>
    public static string OneForOne(string text) =>
        text.Any(IsUnprintable) ? string.Create(text.Length, text, (span, src) => { for (var i = 0; i < span.Length; i++) span[i] = IsUnprintable(src[i]) ? '?' : src[i]; }) : text;

    /// <summary>The index of the first control character (but tab), or -1.</summary>
    public static int FirstUnprintable(string text)
    {
        for (var i = 0; i < text.Length; i++) if (IsUnprintable(text[i])) return i;
        return -1;
    }

    private static bool IsUnprintable(char ch) => char.IsControl(ch) && ch != '\t';
}
