using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of Redis that can cut the client's connection the moment the client sends
/// a given command (e.g. EXEC), before forwarding it: a connection dropped in the middle of a batch.
/// </summary>
public sealed class DroppingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private volatile string? _dropOn;

    public DroppingProxy(string redisEndpoint)
    {
        var parts = redisEndpoint.Split(':');
        _target = new IPEndPoint(IPAddress.Parse(parts[0] == "localhost" ? "127.0.0.1" : parts[0]), int.Parse(parts[1]));
        _listener.Start();
        _ = AcceptLoop();
    }

    public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The next time a client sends <paramref name="command"/>, close its connection instead.</summary>
    /// <param name="command">The command's name.</param>
    /// <param name="hasArguments">It comes with arguments (EVAL): match its name wherever it starts a command.</param>
    /// <param name="skip">Let this many of them through first (cut the third group of an import: 2).</param>
    public void DropOnNext(string command, bool hasArguments = false, int skip = 0) => (_dropOn, _withArguments, _skip) = (command, hasArguments, skip);

    private volatile int _skip;

    private bool _withArguments;

    public int Drops { get; private set; }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch { return; }
            _ = Serve(client);
        }
    }

    private async Task Serve(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            var up = Pump(client, server, inspect: true);
            var down = Pump(server, client, inspect: false);
            await Task.WhenAny(up, down);
        }
        catch
        {
            // a dropped side ends the pair
        }
        finally
        {
            client.Close();
            server.Close();
        }
    }

    private async Task Pump(TcpClient from, TcpClient to, bool inspect)
    {
        var buffer = new byte[64 * 1024];
        var src = from.GetStream();
        var dst = to.GetStream();
        while (true)
        {
            var n = await src.ReadAsync(buffer, _stop.Token);
            if (n == 0) return;
            if (inspect && _dropOn is { } cmd)
            {
                // RESP form of a command without arguments: *1 $len NAME; with arguments, its name as a bulk string
                // (what comes before it, the array's header, reaches Redis as an unfinished command).
                var marker = Encoding.ASCII.GetBytes(_withArguments ? $"${cmd.Length}\r\n{cmd}\r\n" : $"*1\r\n${cmd.Length}\r\n{cmd}\r\n");
                var at = buffer.AsSpan(0, n).IndexOf(marker);
                if (at >= 0 && _skip > 0)
                    _skip--;
                else if (at >= 0)
                {
                    _dropOn = null;
                    Drops++;
                    // The server gets everything before the command (MULTI and the queued commands), then the
                    // connection closes: Redis discards a transaction whose EXEC never came.
                    await dst.WriteAsync(buffer.AsMemory(0, at), _stop.Token);
                    await dst.FlushAsync(_stop.Token);
                    from.Client.LingerState = new LingerOption(true, 0);
                    from.Close();
                    to.Close();
                    return;
                }
            }
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
