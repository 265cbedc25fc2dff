using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// The text an import reads (a file or stdin), checked before any record is read: a directory, a missing file or
/// binary data (a NUL byte or bytes that are not UTF-8 in the first <see cref="SniffBytes"/>) is refused with one
/// message, and the delimiter is detected from the first line when none is given.
/// </summary>
internal sealed class ImportInput : IDisposable
{
    /// <summary>How much of the input is checked for binary data and read for the delimiter.</summary>
    public const int SniffBytes = 64 * 1024;

    private readonly Stream _stream;

    private ImportInput(Stream stream, TextReader reader, char delimiter, long length)
    {
        _stream = stream;
        Reader = reader;
        Delimiter = delimiter;
        Length = length;
    }

    /// <summary>The text, from its start (a UTF-8 byte order mark is skipped).</summary>
    public TextReader Reader { get; }

    /// <summary>The delimiter given, or the one detected.</summary>
    public char Delimiter { get; }

    /// <summary>The file's size in bytes; 0 for stdin.</summary>
    public long Length { get; }

    /// <summary>Bytes read so far (for a progress bar; ahead of the records by a buffer).</summary>
    public long Position => _stream.CanSeek ? _stream.Position : 0;

    /// <summary>Opens <paramref name="path"/> (<c>-</c>: stdin), refusing what is not a text file.</summary>
    /// <param name="path">The file, or <c>-</c>.</param>
    /// <param name="delimiter">The delimiter (<c>--delimiter</c>), or null to detect tab, comma or semicolon from the first line.</param>
    /// <param name="stdin">Opens stdin.</param>
    /// <exception cref="CliException">No such file, a directory, or binary data.</exception>
    public static ImportInput Open(string path, char? delimiter, Func<Stream> stdin)
    {
        var fromStdin = path == "-";
        if (!fromStdin)
        {
            if (Directory.Exists(path))
                throw new CliException($"'{path}' is a directory: give a CSV file (user id, event, timestamp per line), or - for stdin.");
            if (!File.Exists(path))
                throw new CliException($"No such file: '{path}'.");
        }
        var stream = fromStdin ? stdin() : new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            var prefix = new byte[SniffBytes];
            var count = 0;
            int n;
            while (count < prefix.Length && (n = stream.Read(prefix, count, prefix.Length - count)) > 0) count += n;
            var name = fromStdin ? "stdin" : $"'{path}'";
            var text = Decode(prefix.AsSpan(0, count), complete: count < prefix.Length, name);
            var chosen = delimiter ?? Detect(text);
            var reader = new StreamReader(new PrefixedStream(prefix, count, stream), Encoding.UTF8, detectEncodingFromByteOrderMarks: true, 1 << 16);
            // A pipe (stdin, a FIFO, bash's <(zcat big.csv.gz)) has no length: no progress bar for it.
            return new ImportInput(stream, reader, chosen, fromStdin || !stream.CanSeek ? 0 : stream.Length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The prefix as text without a UTF-8 byte order mark; refuses NUL bytes and invalid UTF-8.</summary>
    private static string Decode(ReadOnlySpan<byte> bytes, bool complete, string name)
    {
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        const string how = "import reads UTF-8 text, one 'user id, event, timestamp' record per line";
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
            throw new CliException($"{name} is UTF-16 text: {how}; convert it first (iconv -f UTF-16 -t UTF-8).");
        var nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
            throw new CliException($"{name} is not a text file (byte {nul:N0} is NUL): {how}; nothing was imported.");
        var chars = ArrayPool<char>.Shared.Rent(bytes.Length + 1);
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false, isFinalBlock: complete);
            if (status == OperationStatus.InvalidData)
                throw new CliException($"{name} is not a text file (byte {read:N0} is not UTF-8): {how}; nothing was imported.");
            return new string(chars, 0, written);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Tab if the first non-blank line has one, else comma if it has one, else semicolon if it has one, else comma.</summary>
    internal static char Detect(string text)
    {
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.IsWhiteSpace()) continue;
            if (line.Contains('\t')) return '\t';
            if (line.Contains(',')) return ',';
            return line.Contains(';') ? ';' : ',';
        }
        return ',';
    }

    /// <summary>A <c>--delimiter</c> value: <c>,</c> <c>;</c> <c>|</c> or tab (<c>tab</c>, <c>\t</c> or the character).</summary>
    public static char ParseDelimiter(string text) => text switch
    {
        "," or "comma" => ',',
        ";" or "semicolon" => ';',
        "|" or "pipe" => '|',
        "\t" or "\\t" or "tab" => '\t',
        _ => throw new CliException($"'{CsvRecords.Shorten(text)}' is not a delimiter: give --delimiter ',', ';', '|' or tab ('\\t')."),
    };

    public void Dispose()
    {
        Reader.Dispose();
        _stream.Dispose();
    }

    /// <summary>The bytes read to check the input, then the rest of the stream: stdin cannot be read twice.</summary>
    private sealed class PrefixedStream(byte[] prefix, int count, Stream rest) : Stream
    {
        private int _offset;

        public override int Read(byte[] buffer, int offset, int length) => Read(buffer.AsSpan(offset, length));

        public override int Read(Span<byte> buffer)
        {
            if (_offset < count)
            {
                var n = Math.Min(buffer.Length, count - _offset);
                prefix.AsSpan(_offset, n).CopyTo(buffer);
                _offset += n;
                return n;
            }
            return rest.Read(buffer);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int length) => throw new NotSupportedException();
    }
}
