using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bitmapist.Linq.Testing;

/// <summary>
/// A loopback TCP proxy in front of Redis that counts round trips honestly. It parses RESP in both
/// directions and counts a round trip each time a client starts a new command while it has no reply
/// outstanding: the client was waiting for (or done with) the server. A pipelined MULTI ... EXEC is one round
/// trip however the bytes are split; N awaited commands are N. Used only for counting passes (it adds
/// latency), never while timing.
/// </summary>
internal sealed class RoundTripProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private long _roundTrips;
    private long _commands;

    public RoundTripProxy(string upstream)
    {
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
        public readonly RespCounter Requests = new(captureNames: true);
        public readonly RespCounter Replies = new(captureNames: false);
        public bool WaitingStart;
        public bool InMulti;
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
                        conn.Requests.Feed(buffer.AsSpan(0, n), name =>
                        {
                            Interlocked.Increment(ref _commands);
                            if (name == "MULTI") conn.InMulti = true;
                            else if (name is "EXEC" or "DISCARD") conn.InMulti = false;
                            lock (_byName) _byName[name] = _byName.GetValueOrDefault(name) + 1;
                            if (!conn.WaitingStart) return;
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
/// excluded); for requests, also reports each command's name (the first element of the array).
/// </summary>
internal sealed class RespCounter(bool captureNames)
{
    private readonly List<byte> _line = [];
    private readonly List<byte> _name = [];
    private readonly Stack<long> _open = new();
    private long _skip;
    private bool _topIsPush;
    private bool _expectName;
    private bool _capturing;
    private string _currentName = "";

    public long Completed { get; private set; }

    /// <summary>True between values (nothing partially received).</summary>
    public bool AtBoundary => _skip == 0 && _line.Count == 0 && _open.Count == 0;

    public void Feed(ReadOnlySpan<byte> data, Action<string>? onValue)
    {
        while (!data.IsEmpty)
        {
            if (_skip > 0)
            {
                var take = (int)Math.Min(_skip, data.Length);
                if (_capturing) foreach (var b in data[..take]) _name.Add(b);
                _skip -= take;
                data = data[take..];
                if (_skip == 0)
                {
                    if (_capturing)
                    {
                        _currentName = Encoding.ASCII.GetString([.. _name]).TrimEnd('\r', '\n');
                        _name.Clear();
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
                _currentName = "";
            }
            switch (type)
            {
                case '$' or '!' or '=':
                    var len = long.Parse(text.AsSpan(1));
                    _capturing = captureNames && _expectName && len is >= 0 and <= 64;
                    _expectName = false;
                    if (len < 0) ValueDone(onValue);
                    else _skip = len + 2;
                    break;
                case '*' or '~' or '>' or '%' or '|':
                    var count = long.Parse(text.AsSpan(1));
                    if (type is '%' or '|') count *= 2;
                    if (_open.Count == 0) _expectName = true;
                    if (count <= 0) ValueDone(onValue);
                    else _open.Push(count);
                    break;
                default: // + - : _ , # ( and inline commands
                    if (_open.Count == 0) _currentName = text.Split(' ')[0];
                    ValueDone(onValue);
                    break;
            }
        }
    }

    private void ValueDone(Action<string>? onValue)
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
        onValue?.Invoke(_currentName.ToUpperInvariant());
    }
}
