using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Bitmapist.Cli;

/// <summary>
/// How results are written on stdout, for the renderers (<see cref="Rendering.ResultRenderer"/>) and the write
/// commands' summaries: aligned tables, RFC 4180 CSV, and JSON objects (streamed, so long id lists are never held in memory).
/// </summary>
internal sealed class Output(TextWriter stdout)
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public TextWriter Writer { get; } = stdout;

    // ---------------------------------------------------------------- table

    /// <summary>An aligned table with a header row (two spaces between columns).</summary>
    public void Table(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = columns.Select((c, i) => all.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        WriteRow(columns);
        foreach (var row in all) WriteRow(row);

        void WriteRow(IReadOnlyList<string> row)
        {
            var sb = new StringBuilder();
            for (var i = 0; i < row.Count; i++)
            {
                if (i > 0) sb.Append("  ");
                sb.Append(i == row.Count - 1 ? row[i] : row[i].PadRight(widths[i]));
            }
            Writer.WriteLine(sb.ToString());
        }
    }

    /// <summary>Plain lines, one value each (a single-column result for people).</summary>
    public void Lines<T>(IEnumerable<T> values)
    {
        foreach (var v in values) Writer.WriteLine(Text(v));
    }

    // ---------------------------------------------------------------- csv

    /// <summary>CSV: a header row, then one row per record.</summary>
    public void Csv(IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        Writer.WriteLine(string.Join(',', columns.Select(CsvField)));
        foreach (var row in rows) Writer.WriteLine(string.Join(',', row.Select(CsvField)));
    }

    /// <summary>Quotes a CSV field when it holds a comma, a quote or a line break.</summary>
    public static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    // ---------------------------------------------------------------- json

    /// <summary>One JSON object, on one line; <paramref name="body"/> writes its properties.</summary>
    public void Json(Action<Utf8JsonWriter> body)
    {
        using var json = BeginJson();
        body(json.Writer);
    }

    /// <summary>A JSON object written in pieces: call <see cref="JsonStream.Flush"/> now and then while streaming.</summary>
    public JsonStream BeginJson() => new(Writer);

    /// <summary>Streams one JSON object to a text writer through a small buffer.</summary>
    internal sealed class JsonStream : IDisposable
    {
        private readonly TextWriter _out;
        private readonly ArrayBufferWriter<byte> _buffer = new(4096);

        public JsonStream(TextWriter output)
        {
            _out = output;
            Writer = new Utf8JsonWriter(_buffer, JsonOptions);
            Writer.WriteStartObject();
        }

        public Utf8JsonWriter Writer { get; }

        /// <summary>Moves what was written so far to the output once the buffer is large.</summary>
        public void Flush(bool force = false)
        {
            Writer.Flush();
            if (!force && _buffer.WrittenCount < 1 << 16) return;
            _out.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
            _buffer.ResetWrittenCount();
        }

        /// <summary>Closes the object and ends the line.</summary>
        /// <remarks>
        /// Left by a failure part-way (the connection lost while ids stream), the object still has an array open:
        /// closing it would throw from the JSON writer and hide the real error, so what was written is flushed as
        /// it is (as the other formats print the ids read before the failure) and the error goes on.
        /// </remarks>
        public void Dispose()
        {
            var complete = Writer.CurrentDepth == 1;
            if (complete) Writer.WriteEndObject();
            Flush(force: true);
            _out.WriteLine();
            Writer.Dispose();
        }
    }

    // ---------------------------------------------------------------- values

    /// <summary>A value as printed in tables and CSV: invariant culture, ISO dates, lower-case booleans.</summary>
    public static string Text<T>(T value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        DateTime d => Timestamp(d),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>An instant as <c>2026-11-28T14:30:00</c> (fractions only when present).</summary>
    public static string Timestamp(DateTime at) =>
        at.ToString(at.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
}
