using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// A loopback TCP forwarder to a real server whose client side can be held: while closed, what clients send waits
/// in the gate until it opens. A test keeps a request at the store for as long as it needs and learns, from what
/// the gate holds, that the request got there: ordering without timing.
/// </summary>
internal sealed class TcpGate : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _open = Opened();
    private readonly StringBuilder _held = new();
    private (string[] Words, TaskCompletionSource Seen)? _waiter;

    /// <param name="upstream">host:port of the server (anything after a comma is ignored).</param>
    public TcpGate(string upstream)
    {
        var parts = upstream.Split(',')[0].Split(':');
        _upstream = new IPEndPoint(IPAddress.Parse(parts[0] == "localhost" ? "127.0.0.1" : parts[0]), parts.Length > 1 ? int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 6379);
        _listener.Start();
        _ = AcceptLoop();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Holds everything clients send from now on.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_open.Task.IsCompleted) _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _held.Clear();
        }
    }

    /// <summary>Lets what was held, and everything after it, through.</summary>
    public void Open()
    {
        lock (_lock) _open.TrySetResult();
    }

    /// <summary>What the gate holds now, as Latin-1 text (for failure messages).</summary>
    public string HeldText
    {
        get { lock (_lock) return _held.ToString(); }
    }

    /// <summary>Completes once the gate holds bytes containing one of <paramref name="words"/> (a command name, say).</summary>
    public Task Holding(params string[] words)
    {
        lock (_lock)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiter = (words, seen);
            Check();
            return seen.Task;
        }
    }

    private void Check()
    {
        if (_waiter is { } w && w.Words.Any(word => _held.ToString().Contains(word, StringComparison.OrdinalIgnoreCase))) w.Seen.TrySetResult();
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptLoop()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_upstream, _stop.Token);
                lock (_sockets) _sockets.AddRange([client, server]);
                _ = Pump(client.GetStream(), server.GetStream(), fromClient: true);
                _ = Pump(server.GetStream(), client.GetStream(), fromClient: false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    private async Task Pump(NetworkStream from, NetworkStream to, bool fromClient)
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                if (fromClient)
                {
                    Task open;
                    lock (_lock)
                    {
                        open = _open.Task;
                        if (!open.IsCompleted)
                        {
                            _held.Append(Encoding.Latin1.GetString(buffer, 0, n));
                            Check();
                        }
                    }
                    await open.WaitAsync(_stop.Token);
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
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
