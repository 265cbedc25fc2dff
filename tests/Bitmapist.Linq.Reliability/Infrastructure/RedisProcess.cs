using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace Bitmapist.Linq.Reliability.Infrastructure;

/// <summary>
/// A private redis-server this suite owns, so it can kill (SIGKILL), pause (SIGSTOP), resume (SIGCONT) and
/// restart it on the same port without disturbing anyone else's server. Started from PATH on a free loopback
/// port; with <c>appendfsync always</c> when asked, so a write Redis acknowledged survives a kill. A machine
/// without redis-server skips the test, unless <c>BITMAPIST_REQUIRE_REDIS=1</c> (CI) makes that a failure.
/// </summary>
internal sealed class RedisProcess : IDisposable
{
    private const int SigCont = 18;
    private const int SigStop = 19;
    private readonly string _exe;
    private readonly string[] _arguments;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitmapist-reliability-" + Guid.NewGuid().ToString("N"));
    private Process _process;

    private RedisProcess(string exe, bool durable, string[] arguments)
    {
        _exe = exe;
        Directory.CreateDirectory(_dir);
        Port = FreePort();
        _arguments =
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "",
            "--dir", _dir, "--daemonize", "no",
            .. durable ? new[] { "--appendonly", "yes", "--appendfsync", "always" } : ["--appendonly", "no"],
            .. arguments,
        ];
        _process = Launch();
    }

    /// <summary>Starts a redis-server; skips (or, under CI, fails) the test when there is none.</summary>
    /// <param name="durable">Append-only file fsynced at every write, so acknowledged writes survive <see cref="Kill"/>.</param>
    /// <param name="arguments">More redis-server arguments.</param>
    public static RedisProcess Start(bool durable = false, params string[] arguments)
    {
        var exe = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
        if (exe is null)
        {
            const string why = "redis-server is not on PATH (apt-get install redis-server): the fault tests start, kill and pause their own.";
            if (Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1") throw new InvalidOperationException(why);
            Skip.If(true, why);
        }
        return new RedisProcess(exe!, durable, arguments);
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>SIGKILL: the server dies at once, as in a crash.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Starts the server again on the same port and directory (an append-only file is reloaded).</summary>
    public void Restart()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
        _process = Launch();
    }

    /// <summary>SIGSTOP: the server holds its connections but answers nothing.</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>SIGCONT: the paused server carries on.</summary>
    public void Resume() => Signal(SigCont);

    /// <summary>A direct connection (not through any proxy), to check what the server really holds.</summary>
    public ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(Endpoint + ",connectTimeout=5000,syncTimeout=30000,allowAdmin=true");

    private void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private Process Launch()
    {
        var psi = new ProcessStartInfo(_exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in _arguments) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start redis-server");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var mux = ConnectionMultiplexer.Connect(Endpoint + ",connectTimeout=1000");
                mux.GetDatabase().Ping();
                return p;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !p.HasExited)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static int FreePort() => Testing.FreePort.Next();

    public void Dispose()
    {
        try
        {
            // SIGKILL ends a paused (SIGSTOPped) server too.
            if (!_process.HasExited) Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
