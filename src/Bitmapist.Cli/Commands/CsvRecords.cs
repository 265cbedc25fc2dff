using System.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>One line of an import file, or why it could not be read.</summary>
internal readonly record struct CsvRecord(long Line, long UserId, string Event, DateTime At, string? Problem);

/// <summary>
/// Reads <c>user id, event, timestamp</c> lines (RFC 4180 quoting: <c>"a,b"</c>, <c>""</c> inside quotes).
/// A first line whose first field is not a number is a header and is skipped. A line that cannot be read
/// is returned with its problem and line number, so the caller can report it and keep the good lines.
/// </summary>
internal static class CsvRecords
{
    public static IEnumerable<CsvRecord> Read(TextReader reader, Action<long>? bytesRead = null)
    {
        long line = 0, bytes = 0;
        string? text;
        while ((text = reader.ReadLine()) is not null)
        {
            line++;
            bytes += Encoding.UTF8.GetByteCount(text) + 1;
            if ((line & 0x3FFF) == 0) bytesRead?.Invoke(bytes);
            if (text.Length == 0 || text.Trim().Length == 0) continue;
            var fields = Split(text, out var splitProblem);
            if (line == 1 && fields.Count > 0 && !long.TryParse(fields[0].Trim(), out _) && splitProblem is null)
                continue; // header
            yield return Parse(line, fields, splitProblem);
        }
        bytesRead?.Invoke(bytes);
    }

    private static CsvRecord Parse(long line, List<string> fields, string? splitProblem)
    {
        if (splitProblem is not null) return new CsvRecord(line, 0, "", default, splitProblem);
        if (fields.Count != 3)
            return new CsvRecord(line, 0, "", default, $"expected 3 fields (user id, event, timestamp), found {fields.Count}");
        try
        {
            var id = Parsing.UserId(fields[0].Trim());
            var name = Parsing.EventName(fields[1].Trim());
            var at = Parsing.Instant(fields[2].Trim(), "the timestamp");
            return new CsvRecord(line, id, name, at, null);
        }
        catch (CliException e)
        {
            return new CsvRecord(line, 0, "", default, e.Message);
        }
    }

    private static List<string> Split(string text, out string? problem)
    {
        problem = null;
        var fields = new List<string>(3);
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"' && field.ToString().Trim().Length == 0) { field.Clear(); quoted = true; }
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        if (quoted) problem = "a quoted field is not closed";
        fields.Add(field.ToString());
        return fields;
    }
}
