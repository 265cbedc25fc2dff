using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// The real redis-server the integration tests run against: <c>BITMAPIST_REDIS</c> when set, else a
/// redis-server from PATH started once per test run on a free loopback port with persistence off and
/// stopped at exit. When neither is available the Redis tests are skipped with the reason, unless
/// <c>BITMAPIST_REQUIRE_REDIS=1</c> (set by .ci/run) turns that skip into a failure.
/// </summary>
public static class RedisServer
{
    private static readonly Lazy<(string? Endpoint, string? Problem)> Server = new(Start);
    private static Process? _process;

    /// <summary>The endpoint (host:port), or skips/fails the calling test when no Redis is available.</summary>
    public static string Endpoint
    {
        get
        {
            var (endpoint, problem) = Server.Value;
            if (endpoint is not null) return endpoint;
            if (Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
                throw new InvalidOperationException($"Redis is required (BITMAPIST_REQUIRE_REDIS=1) but unavailable: {problem}");
            Skip.If(true, $"No Redis: {problem}");
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>Starts an extra, private redis-server (for tests that must not share one); caller disposes it.</summary>
    /// <param name="port">The port it listens on.</param>
    /// <param name="arguments">More redis-server arguments, e.g. <c>--rename-command HELLO ""</c>.</param>
    public static Process StartPrivate(out int port, params string[] arguments)
    {
        _ = Endpoint; // same availability rules
        var exe = FindOnPath("redis-server") ?? throw new InvalidOperationException("redis-server is not on PATH");
        port = FreePort();
        var p = Launch(exe, port, arguments);
        WaitForPing($"127.0.0.1:{port}");
        return p;
    }

    private static (string?, string?) Start()
    {
        var configured = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (!string.IsNullOrWhiteSpace(configured)) return (configured, null);
        var exe = FindOnPath("redis-server");
        if (exe is null) return (null, "BITMAPIST_REDIS is not set and redis-server is not on PATH (apt-get install redis-server)");
        var port = FreePort();
        try
        {
            _process = Launch(exe, port);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
            WaitForPing($"127.0.0.1:{port}");
            return ($"127.0.0.1:{port}", null);
        }
        catch (Exception e)
        {
            Stop();
            return (null, $"redis-server did not start: {e.Message}");
        }
    }

    private static Process Launch(string exe, int port, params string[] arguments)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" }.Concat(arguments))
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-server");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static void WaitForPing(string endpoint)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            try
            {
                using var mux = ConnectionMultiplexer.Connect(endpoint + ",connectTimeout=500");
                mux.GetDatabase().Ping();
                return;
            }
            catch when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static void Stop()
    {
        try
        {
            if (_process is { HasExited: false }) _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    internal static int FreePort() => Testing.FreePort.Next();

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
