using System.Net;
using System.Net.Sockets;
using Bitmapist.Linq.Testing;

namespace Bitmapist.Linq.Reliability.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of Redis that injects network faults: latency on every piece of data in both
/// directions, cutting every open connection, and cutting a connection at the n-th command clients send from
/// some point on - just before it reaches Redis, or just after (the command runs, its reply never arrives).
/// Commands are framed with the round-trip proxy's RESP counter (tests/Shared); the client library's
/// connection housekeeping (PING, ECHO, CLIENT, INFO, ...) is not counted, so step n is the n-th command of
/// the operation under test.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> Housekeeping = new(StringComparer.OrdinalIgnoreCase)
    {
        "PING", "ECHO", "CLIENT", "INFO", "HELLO", "AUTH", "SELECT", "CLUSTER", "CONFIG", "SUBSCRIBE", "SENTINEL", "COMMAND", "ROLE", "",
    };

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Pair> _pairs = [];
    private readonly Lock _armLock = new();
    private int _cutAt; // 0: not armed
    private bool _cutAfter;
    private int _seen;
    private volatile bool _counting;

    public FaultProxy(string upstream)
    {
        var parts = upstream.Split(',')[0].Split(':');
        _target = new IPEndPoint(IPAddress.Parse(parts[0] == "localhost" ? "127.0.0.1" : parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        _listener.Start();
        _ = AcceptLoop();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Delay added before each piece of data is passed on, either way.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Starts counting commands (see <see cref="Counted"/>), to learn how many steps an operation has.</summary>
    public void StartCounting()
    {
        lock (_armLock) _seen = 0;
        _counting = true;
    }

    /// <summary>Commands counted since <see cref="StartCounting"/>.</summary>
    public int Counted
    {
        get { lock (_armLock) return _seen; }
    }

    /// <summary>Cuts the connection that sends the <paramref name="n"/>-th command from now on (1-based).</summary>
    /// <param name="n">Which command.</param>
    /// <param name="after">False: Redis never sees the command. True: Redis runs it, its reply is lost.</param>
    public void CutAtCommand(int n, bool after)
    {
        lock (_armLock) (_seen, _cutAt, _cutAfter) = (0, n, after);
        _counting = true;
    }

    /// <summary>Whether the armed cut has happened.</summary>
    public bool Fired
    {
        get { lock (_armLock) return _cutAt == 0; }
    }

    /// <summary>Closes every open connection at once (both sides, with a reset).</summary>
    public void CutAll()
    {
        List<Pair> pairs;
        lock (_pairs) pairs = [.. _pairs];
        foreach (var p in pairs) p.Close();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = Serve(client);
        }
    }

    private sealed class Pair(TcpClient client, TcpClient server)
    {
        public readonly TcpClient Client = client;
        public readonly TcpClient Server = server;
        public readonly RespCounter Requests = new(captureCommands: true);
        public volatile bool Muted; // a command's reply must not reach the client: drop what the server sends

        public void Close()
        {
            Muted = true;
            try { Client.Client.LingerState = new LingerOption(true, 0); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            Client.Close();
            Server.Close();
        }
    }

    private async Task Serve(TcpClient client)
    {
        var server = new TcpClient();
        var pair = new Pair(client, server);
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            client.NoDelay = server.NoDelay = true;
            lock (_pairs) _pairs.Add(pair);
            await Task.WhenAny(Up(pair), Down(pair));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // a closed side ends the pair
        }
        finally
        {
            lock (_pairs) _pairs.Remove(pair);
            client.Close();
            server.Close();
        }
    }

    private async Task Up(Pair pair)
    {
        var buffer = new byte[64 * 1024];
        var from = pair.Client.GetStream();
        var to = pair.Server.GetStream();
        while (true)
        {
            var n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0) return;
            if (Latency > TimeSpan.Zero) await Task.Delay(Latency, _stop.Token);
            var (forward, cut) = Inspect(pair, buffer.AsSpan(0, n));
            if (forward > 0) await to.WriteAsync(buffer.AsMemory(0, forward), _stop.Token);
            if (cut)
            {
                await to.FlushAsync(_stop.Token);
                // After: give Redis the moment it needs to read the command before the connection goes (a
                // closed connection's unread input is discarded); its reply is dropped, being muted.
                if (forward > 0) await Task.Delay(50, _stop.Token);
                pair.Close();
                return;
            }
        }
    }

    private async Task Down(Pair pair)
    {
        var buffer = new byte[64 * 1024];
        var from = pair.Server.GetStream();
        var to = pair.Client.GetStream();
        while (true)
        {
            var n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0) return;
            if (Latency > TimeSpan.Zero) await Task.Delay(Latency, _stop.Token);
            if (pair.Muted) continue;
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
    }

    // How many bytes of this piece to pass on, and whether to cut the connection after them.
    private (int Forward, bool Cut) Inspect(Pair pair, ReadOnlySpan<byte> data)
    {
        if (!_counting)
        {
            pair.Requests.Feed(data, null);
            return (data.Length, false);
        }
        // Byte by byte, to know where each command ends.
        var start = 0; // where the command being read began in this piece (0: it may have begun in an earlier one)
        for (var i = 0; i < data.Length; i++)
        {
            string? completed = null;
            pair.Requests.Feed(data.Slice(i, 1), (name, _) => completed = name);
            if (completed is null) continue;
            var begin = start;
            start = i + 1;
            if (Housekeeping.Contains(completed)) continue;
            lock (_armLock)
            {
                _seen++;
                if (_cutAt == 0 || _seen != _cutAt) continue;
                _cutAt = 0;
                if (_cutAfter)
                {
                    pair.Muted = true;
                    return (i + 1, true);
                }
                return (begin, true);
            }
        }
        return (data.Length, false);
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        return ValueTask.CompletedTask;
    }
}
