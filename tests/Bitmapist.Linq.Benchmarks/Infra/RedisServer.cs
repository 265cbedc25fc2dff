using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Infra;

/// <summary>
/// The Redis the suites run against: a private redis-server started on a free port (no persistence,
/// killed when the runner exits, also on Ctrl+C), or the server named by BITMAPIST_REDIS.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly Process? _process;

    private RedisServer(string endpoint, Process? process, ConnectionMultiplexer admin)
    {
        Endpoint = endpoint;
        _process = process;
        Admin = admin;
    }

    /// <summary>host:port.</summary>
    public string Endpoint { get; }

    /// <summary>A connection with admin commands allowed (INFO, MEMORY USAGE, SCAN).</summary>
    public ConnectionMultiplexer Admin { get; }

    public IDatabase Db => Admin.GetDatabase();

    public IServer Server => Admin.GetServer(Admin.GetEndPoints()[0]);

    public bool IsPrivate => _process is not null;

    /// <summary>Minor page faults of the private redis-server so far (/proc/pid/stat field 10), or -1.</summary>
    public long MinorFaults()
    {
        if (_process is null) return -1;
        try
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[7]); // field 10 overall; fields here start at field 3
        }
        catch (IOException)
        {
            return -1;
        }
    }

    public static async Task<RedisServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (!string.IsNullOrWhiteSpace(external))
            return new RedisServer(external, null, await ConnectAsync(external));

        var port = FreePort();
        // setpriv --pdeathsig: the kernel kills redis-server if the runner dies without cleaning up (e.g. killed
        // by a closed pipe); the exit handlers below cover every orderly exit. Process.Start runs on the main
        // thread here (before any await), which lives as long as the runner.
        var deathSignal = File.Exists("/usr/bin/setpriv");
        var psi = new ProcessStartInfo(deathSignal ? "/usr/bin/setpriv" : "/usr/bin/redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (deathSignal)
            foreach (var a in new[] { "--pdeathsig", "KILL", "--", "/usr/bin/redis-server" })
                psi.ArgumentList.Add(a);
        foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("redis-server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        KillOnExit(process);

        var endpoint = $"127.0.0.1:{port}";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return new RedisServer(endpoint, process, await ConnectAsync(endpoint));
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>A client connection with generous timeouts (the slowest single command here is a few hundred ms).</summary>
    public static async Task<ConnectionMultiplexer> ConnectAsync(string endpoint)
    {
        var config = ConfigurationOptions.Parse(endpoint);
        config.AllowAdmin = true;
        config.AbortOnConnectFail = true;
        config.SyncTimeout = 60_000;
        config.AsyncTimeout = 60_000;
        return await ConnectionMultiplexer.ConnectAsync(config);
    }

    /// <summary>Connection string for library stores (same generous timeouts).</summary>
    public string StoreConfiguration(string? endpoint = null) => $"{endpoint ?? Endpoint},syncTimeout=60000,asyncTimeout=60000";

    public async Task<string> InfoAsync(string section, string field)
    {
        var text = (string)(await Db.ExecuteAsync("INFO", section))!;
        foreach (var line in text.Split('\n'))
        {
            var l = line.TrimEnd('\r');
            if (l.StartsWith(field + ":", StringComparison.Ordinal)) return l[(field.Length + 1)..];
        }
        return "";
    }

    public async Task<long> UsedMemoryAsync() => long.Parse(await InfoAsync("memory", "used_memory"));

    /// <summary>calls per command from INFO commandstats (e.g. "bitop" -> 12).</summary>
    public async Task<Dictionary<string, long>> CommandStatsAsync() =>
        (await CommandStatsFullAsync()).ToDictionary(kv => kv.Key, kv => kv.Value.Calls, StringComparer.Ordinal);

    /// <summary>calls and total microseconds per command from INFO commandstats.</summary>
    public async Task<Dictionary<string, (long Calls, long Usec)>> CommandStatsFullAsync()
    {
        var text = (string)(await Db.ExecuteAsync("INFO", "commandstats"))!;
        return ParseCommandStats(text);
    }

    /// <summary>CPU seconds (user + system) the server process has used, from INFO cpu.</summary>
    public async Task<double> ServerCpuAsync() => ParseCpuSeconds((string)(await Db.ExecuteAsync("INFO", "cpu"))!);

    /// <summary>used_cpu_user + used_cpu_sys from the text of INFO cpu.</summary>
    public static double ParseCpuSeconds(string text)
    {
        double total = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("used_cpu_user:", StringComparison.Ordinal) || line.StartsWith("used_cpu_sys:", StringComparison.Ordinal))
                total += double.Parse(line[(line.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>calls and total microseconds per command from the text of INFO commandstats.</summary>
    public static Dictionary<string, (long Calls, long Usec)> ParseCommandStats(string text)
    {
        var result = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith("cmdstat_", StringComparison.Ordinal)) continue;
            var colon = line.IndexOf(':');
            var name = line[8..colon];
            long calls = 0, usec = 0;
            foreach (var field in line[(colon + 1)..].Split(','))
            {
                var eq = field.IndexOf('=');
                if (field[..eq] == "calls") calls = long.Parse(field[(eq + 1)..]);
                else if (field[..eq] == "usec") usec = long.Parse(field[(eq + 1)..]);
            }
            result[name] = (calls, usec);
        }
        return result;
    }

    /// <summary>Deletes every key matching <paramref name="pattern"/> (synchronous DEL, so memory is freed when this returns).</summary>
    public async Task DeleteAsync(string pattern)
    {
        var keys = new List<RedisKey>();
        await foreach (var k in Server.KeysAsync(pattern: pattern, pageSize: 1000)) keys.Add(k);
        foreach (var chunk in keys.Chunk(500)) await Db.KeyDeleteAsync(chunk);
    }

    public async Task<string> VersionAsync() => await InfoAsync("server", "redis_version");

    private static int FreePort() => Testing.FreePort.Next();

    private static void KillOnExit(Process process)
    {
        void Kill()
        {
            try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { }
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => Kill();
        Console.CancelKeyPress += (_, _) => Kill();
    }

    public async ValueTask DisposeAsync()
    {
        await Admin.DisposeAsync();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
    }
}
