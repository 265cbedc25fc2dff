using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// What a server answered a client, one exchange per request: the text files under <c>Handshakes/</c>. Lines
/// starting with <c>&gt; </c> are a request's words (escaped as <see cref="Resp.Escape"/>, a space inside a word as
/// <c>\x20</c>), a word <c>*</c> standing for any word (what differs from run to run: random tracer keys, the
/// client's name and version); the following <c>&lt; </c> line is the reply's bytes. <c>#</c> lines are comments.
/// </summary>
public sealed class Transcript
{
    private Transcript(IReadOnlyList<(string[] Pattern, byte[] Reply)> entries) => Entries = entries;

    public IReadOnlyList<(string[] Pattern, byte[] Reply)> Entries { get; }

    public static Transcript Load(string path)
    {
        var entries = new List<(string[], byte[])>();
        string[]? pattern = null;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("> ", StringComparison.Ordinal))
                pattern = [.. line[2..].Split(' ').Select(w => w == "*" ? "*" : Encoding.Latin1.GetString(Resp.Unescape(w)))];
            else if (line.StartsWith("< ", StringComparison.Ordinal))
            {
                var reply = Resp.Unescape(line[2..]);
                if (pattern is null || Resp.FrameLength(reply) != reply.Length)
                    throw new InvalidDataException($"{path}: a reply must follow its request and be exactly one frame: {line}");
                entries.Add((pattern, reply));
                pattern = null;
            }
        }
        return new Transcript(entries);
    }

    /// <summary>
    /// The exchanges as a transcript: volatile words become <c>*</c>, and a request already answered is kept once
    /// (its first answer; later ones differ only in counters such as the connection id).
    /// </summary>
    public static string Format(IEnumerable<Exchange> exchanges, string header)
    {
        var sb = new StringBuilder();
        foreach (var line in header.Split('\n')) sb.Append("# ").AppendLine(line.TrimEnd());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in exchanges)
        {
            var words = e.Words.Select((w, i) => Volatile(e.Words, i) ? "*" : Word(w));
            var request = "> " + string.Join(' ', words);
            if (!seen.Add(request)) continue;
            sb.AppendLine(request).Append("< ").AppendLine(Resp.Escape(e.Reply));
        }
        return sb.ToString();
    }

    private static string Word(string w)
    {
        var escaped = Resp.Escape(Encoding.Latin1.GetBytes(w)).Replace(" ", @"\x20", StringComparison.Ordinal);
        return escaped == "*" ? @"\x2a" : escaped;
    }

    private static bool Volatile(string[] words, int i)
    {
        var command = words[0].ToUpperInvariant();
        var sub = words.Length > 1 ? words[1].ToUpperInvariant() : "";
        return (command, sub, i) switch
        {
            ("ECHO", _, 1) or ("EXISTS", _, 1) => true, // the client's random tracer key
            ("CLIENT", "SETNAME", 2) => true, // machine name and client version
            ("CLIENT", "SETINFO", 3) => words[2].Equals("lib-ver", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
    }
}

/// <summary>
/// A loopback server that answers from a <see cref="Transcript"/>: each request gets the recorded reply of the
/// first entry it matches. ECHO is answered with its own argument when the recording's answer was a bulk string
/// (that is what ECHO does; the recorded argument was random). A request not in the transcript gets an error and
/// is listed in <see cref="Unanswered"/>.
/// </summary>
public sealed class ReplayServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Transcript _transcript;
    private readonly ConcurrentQueue<string> _unanswered = new();
    private readonly ConcurrentQueue<string> _requests = new();
    private int _connections;

    public ReplayServer(Transcript transcript)
    {
        _transcript = transcript;
        _listener.Start();
        _ = AcceptLoop();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every request so far, as "#connection words", for diagnosing a replay that went wrong.</summary>
    public IReadOnlyList<string> Requests => [.. _requests];

    /// <summary>Requests the transcript had no answer for.</summary>
    public IReadOnlyList<string> Unanswered => [.. _unanswered];

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch { return; }
            _ = Serve(client, Interlocked.Increment(ref _connections));
        }
    }

    private async Task Serve(TcpClient client, int id)
    {
        using var _ = client;
        var stream = client.GetStream();
        var buffer = new byte[64 * 1024];
        var unread = new List<byte>();
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, _stop.Token);
                if (n == 0) return;
                unread.AddRange(buffer.AsSpan(0, n));
                var data = unread.ToArray();
                var used = 0;
                var replies = new List<byte>();
                while (Resp.FrameLength(data.AsSpan(used)) is var length and > 0)
                {
                    var words = Resp.Words(data.AsSpan(used, length));
                    _requests.Enqueue($"#{id} {string.Join(' ', words.Select(w => w.Length > 30 ? w[..30] : w))}");
                    replies.AddRange(Answer(words));
                    used += length;
                }
                unread.RemoveRange(0, used);
                await stream.WriteAsync(replies.ToArray(), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // the client went away
        }
    }

    private byte[] Answer(string[] words)
    {
        foreach (var (pattern, reply) in _transcript.Entries)
        {
            if (!Matches(pattern, words)) continue;
            if (words[0].Equals("ECHO", StringComparison.OrdinalIgnoreCase) && reply[0] == (byte)'$' && words.Length == 2)
                return Encoding.Latin1.GetBytes($"${Encoding.Latin1.GetByteCount(words[1])}\r\n{words[1]}\r\n");
            return reply;
        }
        _unanswered.Enqueue(string.Join(' ', words));
        return "-ERR not in the recording\r\n"u8.ToArray();
    }

    private static bool Matches(string[] pattern, string[] words) =>
        pattern.Length == words.Length &&
        pattern.Zip(words).Select((p, i) => p.First == "*" || (i == 0
            ? p.First.Equals(p.Second, StringComparison.OrdinalIgnoreCase)
            : p.First == p.Second)).All(x => x);

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
