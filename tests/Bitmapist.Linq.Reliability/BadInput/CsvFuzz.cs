using System.Text;

namespace Bitmapist.Linq.Reliability.BadInput;

/// <summary>Import files: good lines, damaged lines (quotes, separators, numbers out of range, odd dates), random bytes, in random mixes.</summary>
internal static class CsvFuzz
{
    private static readonly string[] Ids = ["1", "0", "4294967295", "4294967296", "-1", "99999999999999999999", "1e3", " 7 ", "0x10", "", "١٢", "NaN"];
    private static readonly string[] Events = ["active", "song:played", "\"quoted, comma\"", "\"unterminated", "\"a\"\"b\"", "", "ünïcode", "a\tb", "x\u0001y", "sp ace", new string('e', 300)];
    private static readonly string[] Times = ["2026-11-28", "2026-11-28T10:00:00Z", "2026-02-30", "0001-01-01", "9999-12-31T23:59:59", "1764324000", "yesterday", "", "2026-11-28 10:00", "2026-13-01", "+05:00"];
    private static readonly string[] Separators = [",", ",", ",", ";", "\t", "|", ", ", ",,"];
    private static readonly string[] Headers = ["user_id,event,timestamp", "id;event;time", "\uFEFFuser,event,at", "", "1,active"];

    public static byte[] File(Random r)
    {
        if (r.Next(10) == 0)
        {
            var raw = new byte[r.Next(0, 4000)];
            r.NextBytes(raw);
            return raw;
        }
        var s = new StringBuilder();
        if (r.Next(3) == 0) s.Append(Headers[r.Next(Headers.Length)]).Append('\n');
        var newline = r.Next(4) == 0 ? "\r\n" : "\n";
        for (var i = r.Next(0, 200); i > 0; i--)
        {
            var good = r.Next(3) != 0;
            var sep = good ? "," : Separators[r.Next(Separators.Length)];
            var fields = good
                ? new[] { r.Next(0, 5000).ToString(System.Globalization.CultureInfo.InvariantCulture), Events[r.Next(2)], Times[r.Next(2)] }
                : Enumerable.Range(0, r.Next(0, 5)).Select(k => k switch { 0 => Ids[r.Next(Ids.Length)], 1 => Events[r.Next(Events.Length)], _ => Times[r.Next(Times.Length)] }).ToArray();
            s.Append(string.Join(sep, fields)).Append(newline);
        }
        var text = s.ToString();
        // A few byte-level mutations of the whole text.
        var chars = text.ToList();
        for (var m = r.Next(0, 4); m > 0 && chars.Count > 0; m--) chars.Insert(r.Next(chars.Count), "\",\n\r\0\"x9"[r.Next(8)]);
        return Encoding.UTF8.GetBytes([.. chars]);
    }
}
