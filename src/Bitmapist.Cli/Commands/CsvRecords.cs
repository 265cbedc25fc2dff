using System.Globalization;
using System.Text;
using Bitmapist.Linq.Model;
using nietras.SeparatedValues;

namespace Bitmapist.Cli.Commands;

/// <summary>One line of an import file, or why it could not be read.</summary>
/// <param name="Line">The line the record starts on, from 1 (a quoted field may hold line breaks).</param>
/// <param name="ExternalId">The user's external id when the file is read with an id map (<see cref="UserId"/> is then 0), else null.</param>
internal readonly record struct CsvRecord(long Line, long UserId, string Event, DateTime At, string? Problem, string? ExternalId = null);

/// <summary>Whether an import file starts with a header line.</summary>
internal enum HeaderMode
{
    /// <summary>A first line that reads as no record (neither a user id first nor a timestamp third) is a header.</summary>
    Detect,

    /// <summary>The first line is a header (<c>--header</c>).</summary>
    Present,

    /// <summary>Every line is a record (<c>--no-header</c>).</summary>
    Absent,
}

/// <summary>
/// Reads <c>user id, event, timestamp</c> records with Sep (RFC 4180: quoted fields, <c>""</c> inside quotes,
/// separators and line breaks inside quotes). A record that cannot be read is returned with its problem and
/// line number, so the caller can report it and keep the good ones. Timestamps are those of
/// <see cref="Parsing.Instant"/> or Unix time (<see cref="EpochTime"/>).
/// </summary>
/// <param name="delimiter">The field delimiter.</param>
/// <param name="header">Whether the first line is a header.</param>
/// <param name="delimiterGiven">The delimiter came from <c>--delimiter</c>: a first line it does not split into 3 fields is then a bad line, not a header.</param>
/// <param name="externalIds">The first field is an external id (<c>--id-map</c>): any text that an id map takes, not a number.</param>
internal sealed class CsvRecords(char delimiter, HeaderMode header, bool delimiterGiven = false, bool externalIds = false)
{
    /// <summary>Sep's limit on one record (and its buffer): 16 MiB of characters.</summary>
    internal const int MaxRecordChars = 16 * 1024 * 1024;

    /// <summary>Event names kept as one string each, so two million rows of three events allocate three strings.</summary>
    private const int InternedEvents = 4096;

    private readonly Dictionary<string, string> _events = new(StringComparer.Ordinal);
    private char[] _scratch = new char[64];

    /// <summary>The header line skipped (shortened for messages), or null when there was none.</summary>
    public string? Header { get; private set; }

    /// <summary>Why the header was taken as one: the option, or what detection saw.</summary>
    public string? HeaderReason { get; private set; }

    /// <summary>The records of <paramref name="reader"/>; <paramref name="tick"/> is called every 16,384 rows (progress).</summary>
    public IEnumerable<CsvRecord> Read(TextReader reader, Action? tick = null)
    {
        using var csv = Open(reader);
        var first = true;
        long next = 1; // the line the next record starts on
        while (true)
        {
            bool more;
            try
            {
                more = csv.MoveNext();
            }
            catch (NotSupportedException e) when (IsTooLong(e))
            {
                throw new CliException(TooLong(next));
            }
            if (!more) break;
            next = csv.Current.LineNumberToExcl; // right for the first row too, unlike its LineNumberFrom
            if ((csv.Current.RowIndex & 0x3FFF) == 0) tick?.Invoke();
            var record = Parse(csv.Current, ref first);
            if (record is { } r) yield return r;
        }
        tick?.Invoke();
    }

    /// <summary>Sep's reader; it reads its first buffer here, so a first record over the limit fails here, not in MoveNext.</summary>
    private SepReader Open(TextReader reader)
    {
        try
        {
            return Sep.New(delimiter).Reader(o => o with { HasHeader = false, DisableColCountCheck = true }).From(reader);
        }
        catch (NotSupportedException e) when (IsTooLong(e))
        {
            throw new CliException(TooLong(1));
        }
    }

    /// <summary>Sep's exception for a record over <see cref="MaxRecordChars"/> (it has no type of its own).</summary>
    private static bool IsTooLong(NotSupportedException e) => e.Message.Contains("maximum supported length", StringComparison.Ordinal);

    /// <summary>Why reading stopped at a record over Sep's limit: it cannot be skipped as a bad line, as its end was never found.</summary>
    internal static string TooLong(long line) =>
        $"the record starting on line {line} is longer than {MaxRecordChars / (1024 * 1024)} MiB, so the file cannot be read past it; " +
        $"most likely a quote on line {line} is never closed and its field runs on to the next quote or the end of the file (or the line is really that long). " +
        "Fix the quoting on that line (double a quote inside a quoted field, or drop the stray one) and import the file again (marks are ORs: re-running is safe).";

    /// <summary>The record of one row; null for a blank row or the header.</summary>
    private CsvRecord? Parse(SepReader.Row row, ref bool first)
    {
        if (row.ColCount == 1 && row[0].Span.IsWhiteSpace()) return null;
        // Sep 0.17.1 gives the first row LineNumberFrom 2 when it has no header; the first row starts on line 1.
        var line = row.RowIndex == 0 ? 1 : row.LineNumberFrom;
        if (first)
        {
            first = false;
            if (header == HeaderMode.Present)
            {
                Header = Shorten(row.Span);
                HeaderReason = "--header says the file has one";
                return null;
            }
            if (header == HeaderMode.Detect && LooksLikeHeader(row, out var reason))
            {
                Header = Shorten(row.Span);
                HeaderReason = reason;
                return null;
            }
        }
        if (row.ColCount != 3)
        {
            // A stray quote makes a wrong field count: the quoting is the problem to report.
            for (var i = 0; i < row.ColCount; i++)
                if (Unquote(row[i].Span, out _) is { } quoting) return Bad(line, Quoting(quoting, row, line));
            return Bad(line, $"expected 3 fields (user id, event, timestamp) separated by {DelimiterName(delimiter)}, found {row.ColCount}{DelimiterHint(row)}.");
        }

        if (Unquote(row[0].Span, out var idText) is { } idProblem) return Bad(line, Quoting(idProblem, row, line));
        long id = 0;
        string? externalId = null;
        if (externalIds)
        {
            // The string is made here, before the next Unquote may reuse the scratch buffer the text is in.
            if (ExternalIdProblem(idText) is { } badId) return Bad(line, badId);
            externalId = idText.ToString();
        }
        else if (!TryUserId(idText, out id)) return Bad(line, ProblemOf(idText.ToString()));

        if (Unquote(row[1].Span, out var eventText) is { } eventProblem) return Bad(line, Quoting(eventProblem, row, line));
        if (EventProblem(eventText) is { } badEvent) return Bad(line, badEvent);
        var name = Intern(eventText);

        if (Unquote(row[2].Span, out var timeText) is { } timeProblem) return Bad(line, Quoting(timeProblem, row, line));
        DateTime at;
        try
        {
            at = EpochTime.TryParse(timeText, out var epoch) ? epoch
                : TryCommonTimestamp(timeText, out var common) ? common
                : Parsing.Instant(timeText.ToString(), "the timestamp");
        }
        catch (CliException e)
        {
            return Bad(line, e.Message);
        }
        return new CsvRecord(line, id, name, at, null, externalId);
    }

    /// <summary>
    /// Why an external id cannot be mapped, or null: the id map's own rule (<see cref="Linq.IdMapping.IdMap.ValidateExternalId"/>),
    /// and U+FFFD, which is a byte that was not UTF-8: two different such ids would map as one.
    /// </summary>
    private static string? ExternalIdProblem(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty) return "the user id is empty.";
        if (id.Contains('\uFFFD')) return "the user id holds bytes that are not UTF-8: save the file as UTF-8.";
        // Short ids (almost all) need no count: a char is at most 3 bytes of UTF-8, and a lone surrogate cannot come from UTF-8 text.
        if (id.Length * 3 <= Linq.IdMapping.IdMap.MaxExternalIdBytes) return null;
        var bytes = Encoding.UTF8.GetByteCount(id);
        return bytes <= Linq.IdMapping.IdMap.MaxExternalIdBytes ? null
            : $"the user id '{Shorten(id)}' is {bytes:N0} bytes of UTF-8; an id map takes at most {Linq.IdMapping.IdMap.MaxExternalIdBytes:N0}. Map a hash of it instead.";
    }

    /// <summary>The commonest timestamp shapes of <see cref="Parsing.Instant"/>, read from the span: the same result, without its string and week pattern.</summary>
    private static readonly string[] CommonFormats = ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd"];

    internal static bool TryCommonTimestamp(ReadOnlySpan<char> text, out DateTime at)
    {
        if (!DateTime.TryParseExact(text, CommonFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at)) return false;
        at = DateTime.SpecifyKind(at, DateTimeKind.Unspecified);
        return true;
    }

    private static CsvRecord Bad(long line, string problem) => new(line, 0, "", default, problem);

    /// <summary>A broken quote takes every line up to the next quote into its record: say which lines went with it.</summary>
    private static string Quoting(string problem, SepReader.Row row, long line)
    {
        var last = line + row.Span.TrimEnd("\r\n").Count('\n');
        return last == line ? problem : $"{problem} Lines {line} to {last} were read as one record, up to the next quote or the end of the input.";
    }

    /// <summary>Parsing's own sentence for a user id that <see cref="TryUserId"/> refused.</summary>
    private static string ProblemOf(string id)
    {
        try
        {
            Parsing.UserId(id);
        }
        catch (CliException e)
        {
            return e.Message;
        }
        return $"'{Shorten(id)}' is not a user id.";
    }

    /// <summary>
    /// A header is a first line that holds no record: its first field is no user id and its third (if any) no timestamp.
    /// With external ids any text is a user id, so the third field alone decides (and a line without one is a bad line).
    /// </summary>
    private bool LooksLikeHeader(SepReader.Row row, out string reason)
    {
        reason = "";
        if (Unquote(row[0].Span, out var first) is not null || (!externalIds && TryUserId(first, out _))) return false;
        if (externalIds && row.ColCount < 3) return false;
        var firstText = Shorten(first); // before the next Unquote, which may reuse the scratch buffer
        if (row.ColCount < 3)
        {
            // Under --delimiter, a line it does not split is a bad line (with the delimiter hint), not a header to drop.
            if (delimiterGiven) return false;
            reason = $"its first field '{firstText}' is not a user id and it has no third field";
            return true;
        }
        if (Unquote(row[2].Span, out var third) is not null) return false;
        try
        {
            if (!EpochTime.TryParse(third, out _)) Parsing.Instant(third.ToString(), "the timestamp");
            return false;
        }
        catch (CliException)
        {
            reason = externalIds
                ? $"its third field '{Shorten(third)}' is not a timestamp"
                : $"its first field '{firstText}' is not a user id and its third '{Shorten(third)}' is not a timestamp";
            return true;
        }
    }

    private static bool TryUserId(ReadOnlySpan<char> text, out long id) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out id) && id >= 0 && id <= UserIds.Max;

    /// <summary>
    /// The field without surrounding spaces and, when quoted, without its quotes and with <c>""</c> read as <c>"</c>
    /// (RFC 4180); returns the problem when the quoting is broken.
    /// </summary>
    private string? Unquote(ReadOnlySpan<char> raw, out ReadOnlySpan<char> value)
    {
        var text = raw.Trim();
        value = text;
        if (text.Length == 0 || text[0] != '"')
            return text.Contains('"')
                ? "a quote inside an unquoted field: quote the whole field and double the quotes inside it (\"a \"\"b\"\"\")."
                : null;
        var length = 0;
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"')
            {
                if (i + 1 == text.Length)
                {
                    value = length == i - 1 ? text[1..i] : _scratch.AsSpan(0, length);
                    return null;
                }
                if (text[i + 1] != '"') return "text after the closing quote of a quoted field: double a quote inside quotes (\"\").";
                i++;
            }
            if (length == _scratch.Length) Array.Resize(ref _scratch, _scratch.Length * 2);
            _scratch[length++] = c;
        }
        return "a quoted field is not closed.";
    }

    /// <summary>
    /// Event names are printable text: a line break or control character would list as two events, U+FFFD is a byte that was
    /// not UTF-8. Names the library refuses are bad lines here, so that they never stop the import: 'bitop' and 'bitop_...'
    /// would make keys that bitmapist and this library take for bit-operation results.
    /// </summary>
    private static string? EventProblem(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty) return "the event name is empty.";
        if (name is "bitop" || name.StartsWith("bitop_", StringComparison.Ordinal))
            return $"the event name '{Shorten(name)}' is reserved: keys starting with 'bitop_' are bit-operation results. Rename the event.";
        foreach (var c in name)
        {
            if (char.IsControl(c))
                return $"the event name contains the control character U+{(int)c:X4}: event names are printable text.";
            if (c == '\uFFFD')
                return "the event name holds bytes that are not UTF-8: save the file as UTF-8.";
        }
        return null;
    }

    private string Intern(ReadOnlySpan<char> name)
    {
        var lookup = _events.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(name, out var known)) return known;
        var text = name.ToString();
        if (_events.Count < InternedEvents) _events[text] = text;
        return text;
    }

    private string DelimiterHint(SepReader.Row row)
    {
        if (row.ColCount != 1) return "";
        foreach (var other in (ReadOnlySpan<char>)['\t', ',', ';', '|'])
            if (other != delimiter && row.Span.Contains(other))
                return $"; the line holds {DelimiterName(other)}: give --delimiter {DelimiterOption(other)}";
        return "";
    }

    /// <summary>How a delimiter is named in messages.</summary>
    internal static string DelimiterName(char c) => c switch
    {
        '\t' => "tabs",
        ',' => "commas",
        ';' => "semicolons",
        '|' => "'|'",
        _ => $"'{c}'",
    };

    /// <summary>How a delimiter is given to <c>--delimiter</c>.</summary>
    internal static string DelimiterOption(char c) => c switch
    {
        '\t' => "tab",
        _ => $"'{c}'",
    };

    /// <summary>Text for a message: at most 60 characters, control characters shown as <c>\uXXXX</c>.</summary>
    internal static string Shorten(ReadOnlySpan<char> text)
    {
        const int max = 60;
        var builder = new StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            if (c == '\t') builder.Append("\\t");
            else if (char.IsControl(c)) builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else builder.Append(c);
        }
        if (text.Length > max) builder.Append("...");
        return builder.ToString();
    }
}
