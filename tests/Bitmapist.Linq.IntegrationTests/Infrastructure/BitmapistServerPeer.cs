using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// The real bitmapist-server (Doist's, in Go) the integration tests run against: <c>BITMAPIST_SERVER</c> when set
/// (.ci/run builds the peer and starts it), else built from its vendored source (<c>shared/peers/bitmapist-server</c>,
/// looked for from the repository root upwards, then <c>/work/shared/peers/bitmapist-server</c>) into a temporary
/// directory, started once per test run on a free loopback port with a temporary database and stopped at exit.
/// When neither works the tests of this kind are skipped with the reason, unless
/// <c>BITMAPIST_REQUIRE_BITMAPIST_SERVER=1</c> turns that skip into a failure.
/// </summary>
public static class BitmapistServerPeer
{
    private static readonly Lazy<(string? Endpoint, string? Problem)> Server = new(Start);
    private static readonly Lazy<(string? Binary, string? Problem)> Binary = new(Build);
    private static readonly List<Process> Processes = [];
    private static string? _workDir;

    /// <summary>The endpoint (host:port), or skips/fails the calling test when no bitmapist-server is available.</summary>
    public static string Endpoint
    {
        get
        {
            var (endpoint, problem) = Server.Value;
            if (endpoint is not null) return endpoint;
            if (Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_BITMAPIST_SERVER") == "1")
                throw new InvalidOperationException($"bitmapist-server is required (BITMAPIST_REQUIRE_BITMAPIST_SERVER=1) but unavailable: {problem}");
            Skip.If(true, $"No bitmapist-server: {problem}");
            throw new InvalidOperationException("unreachable");
        }
    }

    /// <summary>
    /// Starts an extra, private bitmapist-server (for tests that kill it or read its command counters, which are
    /// global); the caller disposes it. Needs the source, even when <c>BITMAPIST_SERVER</c> names a shared one.
    /// </summary>
    public static Process StartPrivate(out int port)
    {
        _ = Endpoint; // same availability rules
        var (binary, problem) = Binary.Value;
        if (binary is null)
        {
            Skip.If(Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_BITMAPIST_SERVER") != "1", $"Cannot start a private bitmapist-server: {problem}");
            throw new InvalidOperationException($"Cannot start a private bitmapist-server: {problem}");
        }
        port = RedisServer.FreePort();
        return Launch(binary, port);
    }

    private static (string?, string?) Start()
    {
        var configured = Environment.GetEnvironmentVariable("BITMAPIST_SERVER");
        if (!string.IsNullOrWhiteSpace(configured)) return (configured, null);
        var (binary, problem) = Binary.Value;
        if (binary is null) return (null, problem);
        var port = RedisServer.FreePort();
        try
        {
            Launch(binary, port);
            return ($"127.0.0.1:{port}", null);
        }
        catch (Exception e)
        {
            return (null, $"bitmapist-server did not start: {e.Message}");
        }
    }

    private static (string?, string?) Build()
    {
        var source = FindSource();
        if (source is null)
            return (null, "BITMAPIST_SERVER is not set and shared/peers/bitmapist-server/build.sh was not found above the repository nor in /work/shared/peers");
        _workDir = Directory.CreateTempSubdirectory("bitmapist-server-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAll();
        var binary = Path.Combine(_workDir, "bitmapist-server");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(source, "build.sh"));
        psi.ArgumentList.Add(binary);
        // Go's caches in the temporary directory too, so the build leaves nothing behind.
        psi.Environment["GOCACHE"] = Path.Combine(_workDir, "gocache");
        psi.Environment["GOPATH"] = Path.Combine(_workDir, "gopath");
        try
        {
            using var build = Process.Start(psi)!;
            var stdout = build.StandardOutput.ReadToEndAsync();
            var stderr = build.StandardError.ReadToEndAsync();
            build.WaitForExit();
            // Thousands of small cache files: removed now, as the test host may not wait for a long delete at exit.
            foreach (var cache in new[] { "gocache", "gopath" })
                if (Directory.Exists(Path.Combine(_workDir, cache))) Directory.Delete(Path.Combine(_workDir, cache), recursive: true);
            if (build.ExitCode != 0 || !File.Exists(binary))
                return (null, $"{source}/build.sh failed ({build.ExitCode}): {stderr.Result.Trim()} {stdout.Result.Trim()}".Trim());
            return (binary, null);
        }
        catch (Exception e)
        {
            return (null, $"{source}/build.sh could not run: {e.Message}");
        }
    }

    private static string? FindSource()
    {
        static bool Has(string dir) => File.Exists(Path.Combine(dir, "build.sh"));
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Bitmapist.Linq.sln"))) root = root.Parent;
        for (var dir = root; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "peers", "bitmapist-server");
            if (Has(candidate)) return candidate;
        }
        return Has("/work/shared/peers/bitmapist-server") ? "/work/shared/peers/bitmapist-server" : null;
    }

    private static Process Launch(string binary, int port)
    {
        var db = Directory.CreateDirectory(Path.Combine(_workDir!, $"db-{port}")).FullName;
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-addr", $"127.0.0.1:{port}", "-db", Path.Combine(db, "bitmapist.db") }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start bitmapist-server");
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        lock (Processes) Processes.Add(p);
        WaitForPong(port, p, output);
        return p;
    }

    /// <summary>Waits until the server answers PING (it answers with a bulk string, not +PONG).</summary>
    private static void WaitForPong(int port, Process p, StringBuilder output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (p.HasExited)
                lock (output) throw new InvalidOperationException($"bitmapist-server exited with {p.ExitCode}: {output.ToString().Trim()}");
            try
            {
                using var client = new TcpClient("127.0.0.1", port);
                var stream = client.GetStream();
                stream.Write("*1\r\n$4\r\nPING\r\n"u8);
                var buffer = new byte[64];
                var n = stream.Read(buffer);
                if (Encoding.ASCII.GetString(buffer, 0, n).Contains("PONG", StringComparison.Ordinal)) return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow >= deadline) throw new InvalidOperationException($"bitmapist-server did not answer PING on port {port}");
            Thread.Sleep(50);
        }
    }

    private static void StopAll()
    {
        lock (Processes)
            foreach (var p in Processes)
                try
                {
                    // No wait: the test host may be stopped soon after, before other handlers (RedisServer's) ran.
                    if (!p.HasExited) p.Kill();
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
        try
        {
            if (_workDir is not null) Directory.Delete(_workDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a file still held open; the temp directory is the system's to clean
        }
    }
}
