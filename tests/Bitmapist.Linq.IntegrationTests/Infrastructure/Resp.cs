using System.Globalization;
using System.Text;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// Just enough of the Redis protocol (RESP2 and RESP3) to cut a byte stream into whole frames, read a request's
/// words and print bytes as escaped text, for the recording proxy and the handshake replay server.
/// </summary>
public static class Resp
{
    /// <summary>The length of the whole frame at the start of <paramref name="data"/>, or -1 when it is not all there yet.</summary>
    public static int FrameLength(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return -1;
        var line = data.IndexOf("\r\n"u8);
        if (line < 0) return -1;
        var header = line + 2;
        switch ((char)data[0])
        {
            case '+' or '-' or ':' or '_' or ',' or '#' or '(':
                return header;
            case '$' or '!' or '=':
                var length = Number(data[1..line]);
                return length < 0 ? header : data.Length >= header + length + 2 ? header + length + 2 : -1;
            case '*' or '~' or '>' or '%' or '|':
                var count = Number(data[1..line]);
                if ((char)data[0] is '%' or '|') count *= 2;
                var at = header;
                for (var i = 0; i < count; i++)
                {
                    var n = FrameLength(data[at..]);
                    if (n < 0) return -1;
                    at += n;
                }
                // An attribute (|) comes before the reply it describes: the two are one frame.
                if ((char)data[0] == '|')
                {
                    var n = FrameLength(data[at..]);
                    return n < 0 ? -1 : at + n;
                }
                return at;
            default:
                throw new InvalidDataException($"Not a RESP frame: {Escape(data[..Math.Min(data.Length, 40)])}");
        }
    }

    /// <summary>The words of a request (an array of bulk strings), as Latin-1 text so that any byte survives.</summary>
    public static string[] Words(ReadOnlySpan<byte> frame)
    {
        var line = frame.IndexOf("\r\n"u8);
        var count = Number(frame[1..line]);
        var words = new string[count];
        var at = line + 2;
        for (var i = 0; i < count; i++)
        {
            var end = frame[at..].IndexOf("\r\n"u8) + at;
            var length = Number(frame[(at + 1)..end]);
            words[i] = Encoding.Latin1.GetString(frame.Slice(end + 2, length));
            at = end + 2 + length + 2;
        }
        return words;
    }

    /// <summary>A request as the client sends it.</summary>
    public static byte[] Request(params string[] words)
    {
        var sb = new StringBuilder($"*{words.Length}\r\n");
        foreach (var w in words) sb.Append(CultureInfo.InvariantCulture, $"${Encoding.Latin1.GetByteCount(w)}\r\n{w}\r\n");
        return Encoding.Latin1.GetBytes(sb.ToString());
    }

    /// <summary>Bytes as one line of text: printable ASCII as is, <c>\r \n \\ \xHH</c> for the rest.</summary>
    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
            sb.Append(b switch
            {
                (byte)'\r' => @"\r",
                (byte)'\n' => @"\n",
                (byte)'\\' => @"\\",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => $"\\x{b:x2}",
            });
        return sb.ToString();
    }

    /// <summary>The inverse of <see cref="Escape"/>.</summary>
    public static byte[] Unescape(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                bytes.Add((byte)text[i]);
                continue;
            }
            switch (text[++i])
            {
                case 'r': bytes.Add((byte)'\r'); break;
                case 'n': bytes.Add((byte)'\n'); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case 'x': bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)); i += 2; break;
                default: throw new FormatException($"Unknown escape \\{text[i]} in '{text}'");
            }
        }
        return [.. bytes];
    }

    private static int Number(ReadOnlySpan<byte> digits) => int.Parse(Encoding.ASCII.GetString(digits), CultureInfo.InvariantCulture);
}
