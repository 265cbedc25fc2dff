using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bitmapist.Linq.Testing;

/// <summary>
/// A loopback TCP proxy in front of Redis that counts round trips honestly. It parses RESP in both
/// directions and counts a round trip each time a client starts a new command while it has no reply
/// outstanding: the client was waiting for (or done with) the server. A pipelined MULTI ... EXEC is one round
/// trip however the bytes are split; N awaited commands are N. Used only for counting passes (it adds
/// latency), never while timing. With <c>record</c> it also keeps a transcript: every command as sent, grouped
/// by the round trip it was sent in, for tests that compare what went over the wire with what explain prints.
/// </summary>
internal sealed class RoundTripProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private long _roundTrips;
    private long _commands;
    private readonly bool _record;
    private readonly List<List<string>> _transcript = [];

    /// <param name="upstream">host:port of the server (anything after a comma is ignored).</param>
    /// <param name="record">Keep the transcript (<see cref="Transcript"/>); off for long benchmark passes, where it would only grow.</param>
    public RoundTripProxy(string upstream, bool record = false)
    {
        _record = record;
        var parts = upstream.Split(',')[0].Split(':');
        var host = parts[0] == "localhost" ? "127.0.0.1" : parts[0];
        _upstream = new IPEndPoint(IPAddress.Parse(host), parts.Length > 1 ? int.Parse(parts[1]) : 6379);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptLoop();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Round trips over all connections so far.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Commands sent by clients so far (MULTI and EXEC included).</summary>
    public long Commands => Interlocked.Read(ref _commands);

    private async Task AcceptLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_upstream);
                client.NoDelay = server.NoDelay = true;
                lock (_sockets) _sockets.AddRange([client, server]);
                var conn = new Connection();
                _ = Pump(client.GetStream(), server.GetStream(), conn, fromClient: true);
                _ = Pump(server.GetStream(), client.GetStream(), conn, fromClient: false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    private sealed class Connection
    {
        public readonly RespCounter Requests = new(captureCommands: true);
        public readonly RespCounter Replies = new(captureCommands: false);
        public bool WaitingStart;
        public bool InMulti;
        public List<string>? Current; // the transcript group of this connection's latest round trip
    }

    /// <summary>
    /// Every command sent so far (with <c>record</c>), as text (<c>BITOP AND k a b</c>; an argument that is not
    /// printable ASCII or longer than 256 bytes shows as <c>&lt;N bytes&gt;</c>), grouped by round trip in the
    /// order the round trips started. Keep-alive commands (PING, ECHO) are in it too, in groups of their own
    /// unless pipelined with others: callers drop them.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<string>> Transcript()
    {
        lock (_transcript) return [.. _transcript.Select(g => (IReadOnlyList<string>)[.. g])];
    }

    /// <summary>Connection-level keep-alives of the client library, not part of any operation.</summary>
    private static readonly HashSet<string> Background = new(StringComparer.OrdinalIgnoreCase) { "PING", "ECHO" };

    private readonly Dictionary<string, long> _byName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Commands seen so far, by name.</summary>
    public Dictionary<string, long> CommandsByName()
    {
        lock (_byName) return new Dictionary<string, long>(_byName, StringComparer.OrdinalIgnoreCase);
    }

    private async Task Pump(NetworkStream from, NetworkStream to, Connection conn, bool fromClient)
    {
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                lock (conn)
                {
                    if (fromClient)
                    {
                        // A new command with every earlier one answered: the client waited for the server. It is
                        // counted once the command's name is known (keep-alive PINGs are not operations).
                        // Commands queued between MULTI and EXEC never wait for a reply (QUEUED carries nothing), so a
                        // transaction whose bytes arrive in several pieces is still one round trip.
                        if (conn.Requests.AtBoundary && conn.Requests.Completed == conn.Replies.Completed && !conn.InMulti) conn.WaitingStart = true;
                        conn.Requests.Feed(buffer.AsSpan(0, n), (name, text) =>
                        {
                            Interlocked.Increment(ref _commands);
                            if (name == "MULTI") conn.InMulti = true;
                            else if (name is "EXEC" or "DISCARD") conn.InMulti = false;
                            lock (_byName) _byName[name] = _byName.GetValueOrDefault(name) + 1;
                            var starts = conn.WaitingStart;
                            if (_record)
                            {
                                lock (_transcript)
                                {
                                    if (starts || conn.Current is null) _transcript.Add(conn.Current = []);
                                    conn.Current.Add(text);
                                }
                            }
                            if (!starts) return;
                            conn.WaitingStart = false;
                            if (!Background.Contains(name)) Interlocked.Increment(ref _roundTrips);
                        });
                    }
                    else
                    {
                        // Parsed before forwarding, so the counts are current when the client can react.
                        conn.Replies.Feed(buffer.AsSpan(0, n), null);
                    }
                }
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException) { }
        finally
        {
            try { to.Socket.Shutdown(SocketShutdown.Send); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_sockets) foreach (var c in _sockets) c.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Counts complete top-level RESP2/RESP3 values in a byte stream fed in arbitrary pieces (push messages
/// excluded); for requests, also reports each command's name (the first element of the array) and the whole
/// command as text.
/// </summary>
internal sealed class RespCounter(bool captureCommands)
{
    private const int MaxShownArgument = 256;
    private readonly List<byte> _line = [];
    private readonly List<byte> _arg = [];
    private readonly List<string> _args = [];
    private readonly Stack<long> _open = new();
    private long _skip;
    private long _argLength;
    private bool _topIsPush;
    private bool _capturing;

    public long Completed { get; private set; }

    /// <summary>True between values (nothing partially received).</summary>
    public bool AtBoundary => _skip == 0 && _line.Count == 0 && _open.Count == 0;

    /// <param name="data">The next bytes of the stream.</param>
    /// <param name="onValue">Called for each complete top-level value with its command name (upper case) and text.</param>
    public void Feed(ReadOnlySpan<byte> data, Action<string, string>? onValue)
    {
        while (!data.IsEmpty)
        {
            if (_skip > 0)
            {
                var take = (int)Math.Min(_skip, data.Length);
                if (_capturing) foreach (var b in data[..Math.Min(take, Math.Max(0, MaxShownArgument + 2 - _arg.Count))]) _arg.Add(b);
                _skip -= take;
                data = data[take..];
                if (_skip == 0)
                {
                    if (_capturing)
                    {
                        _args.Add(Show(_arg, _argLength));
                        _arg.Clear();
                        _capturing = false;
                    }
                    ValueDone(onValue);
                }
                continue;
            }
            var nl = data.IndexOf((byte)'\n');
            if (nl < 0)
            {
                foreach (var b in data) _line.Add(b);
                return;
            }
            foreach (var b in data[..(nl + 1)]) _line.Add(b);
            data = data[(nl + 1)..];
            var text = Encoding.ASCII.GetString([.. _line]).TrimEnd('\r', '\n');
            _line.Clear();
            if (text.Length == 0) continue;
            var type = text[0];
            if (_open.Count == 0)
            {
                _topIsPush = type == '>';
                _args.Clear();
            }
            switch (type)
            {
                case '$' or '!' or '=':
                    var len = long.Parse(text.AsSpan(1));
                    // Only the elements of a top-level array: a command and its arguments.
                    _capturing = captureCommands && _open.Count == 1 && len >= 0;
                    _argLength = len;
                    if (len < 0) ValueDone(onValue);
                    else _skip = len + 2;
                    break;
                case '*' or '~' or '>' or '%' or '|':
                    var count = long.Parse(text.AsSpan(1));
                    if (type is '%' or '|') count *= 2;
                    if (count <= 0) ValueDone(onValue);
                    else _open.Push(count);
                    break;
                default: // + - : _ , # ( and inline commands
                    if (_open.Count == 0 && captureCommands) _args.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    ValueDone(onValue);
                    break;
            }
        }
    }

    private static string Show(List<byte> bytes, long length)
    {
        var shown = bytes.Count - 2; // the CRLF after the bytes
        if (length <= MaxShownArgument && shown == length && bytes.Take(shown).All(b => b is >= 0x21 and <= 0x7e))
            return Encoding.ASCII.GetString([.. bytes.Take(shown)]);
        return $"<{length} bytes>";
    }

    private void ValueDone(Action<string, string>? onValue)
    {
        while (_open.Count > 0)
        {
            var left = _open.Pop() - 1;
            if (left > 0)
            {
                _open.Push(left);
                return;
            }
        }
        if (_topIsPush) return;
        Completed++;
        onValue?.Invoke(_args.Count > 0 ? _args[0].ToUpperInvariant() : "", string.Join(' ', _args));
    }
}
