using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>One request a client sent through the <see cref="RecordingProxy"/> and the server's reply to it.</summary>
/// <param name="Connection">Which client connection (1, 2, ... in the order they opened).</param>
/// <param name="Words">The request's words (Latin-1).</param>
/// <param name="Reply">The reply's bytes, exactly as the server sent them.</param>
public sealed record Exchange(int Connection, string[] Words, byte[] Reply)
{
    /// <summary>The command's name in upper case.</summary>
    public string Command => Words[0].ToUpperInvariant();

    /// <summary>The server answered with an error.</summary>
    public bool IsError => Reply.Length > 0 && Reply[0] is (byte)'-' or (byte)'!';

    public override string ToString() => $"#{Connection} {string.Join(' ', Words.Select(w => Resp.Escape(System.Text.Encoding.Latin1.GetBytes(w))))} -> {Resp.Escape(Reply)}";
}

/// <summary>
/// A loopback TCP proxy that forwards everything and records each request with its reply, in order: what a
/// client really sends a server and what the server really answers.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Exchange> _exchanges = new();
    private readonly ConcurrentQueue<Task> _serving = new();
    private int _connections;

    public RecordingProxy(string endpoint)
    {
        var parts = endpoint.Split(':');
        _target = new IPEndPoint(IPAddress.Parse(parts[0] == "localhost" ? "127.0.0.1" : parts[0]), int.Parse(parts[1]));
        _listener.Start();
        _ = AcceptLoop();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Every exchange so far, in the order the replies arrived.</summary>
    public IReadOnlyList<Exchange> Exchanges => [.. _exchanges];

    /// <summary>Completes once every connection opened so far has closed (after the client's QUIT, the server closes it).</summary>
    public Task ClosedAsync() => Task.WhenAll(_serving);

    /// <summary>Forgets what was recorded so far.</summary>
    public void Clear() => _exchanges.Clear();

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch { return; }
            _serving.Enqueue(Serve(client, Interlocked.Increment(ref _connections)));
        }
    }

    private async Task Serve(TcpClient client, int id)
    {
        using var server = new TcpClient();
        var pending = new ConcurrentQueue<string[]>();
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            var up = Pump(client, server, frame => pending.Enqueue(Resp.Words(frame)));
            var down = Pump(server, client, frame =>
            {
                // Replies come in the order of the requests; an unsolicited push would have no request.
                var words = pending.TryDequeue(out var w) ? w : ["(push)"];
                _exchanges.Enqueue(new Exchange(id, words, frame.ToArray()));
            });
            await Task.WhenAny(up, down);
        }
        catch
        {
            // a closed side ends the pair
        }
        finally
        {
            client.Close();
            server.Close();
        }
    }

    private delegate void FrameHandler(ReadOnlySpan<byte> frame);

    private async Task Pump(TcpClient from, TcpClient to, FrameHandler onFrame)
    {
        var buffer = new byte[64 * 1024];
        var unread = new List<byte>();
        var src = from.GetStream();
        var dst = to.GetStream();
        while (true)
        {
            var n = await src.ReadAsync(buffer, _stop.Token);
            if (n == 0) return;
            // Recorded before forwarding, so a reply is never seen by the client before its exchange exists.
            unread.AddRange(buffer.AsSpan(0, n));
            var data = unread.ToArray().AsSpan();
            var used = 0;
            while (Resp.FrameLength(data[used..]) is var length and > 0)
            {
                onFrame(data.Slice(used, length));
                used += length;
            }
            unread.RemoveRange(0, used);
            await dst.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        return ValueTask.CompletedTask;
    }
}
