using System.Diagnostics;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Infra;

/// <summary>
/// The Redis Cluster the cluster suite runs against: the one named by BITMAPIST_REDIS_CLUSTER (seed list
/// host:port,host:port,...), or a local 3-primary cluster started with the repository's .ci/redis-cluster (which
/// honours REDIS_CLUSTER_PORTS=LOW-HIGH) and stopped on dispose. Admin access per primary: INFO commandstats,
/// MEMORY USAGE, SCAN and DEL over every primary.
/// </summary>
internal sealed class RedisCluster : IAsyncDisposable
{
    private readonly string? _startedIn;
    private readonly string? _script;

    private RedisCluster(string seeds, ConnectionMultiplexer admin, string? startedIn, string? script)
    {
        Seeds = seeds;
        Admin = admin;
        _startedIn = startedIn;
        _script = script;
        Primaries = [.. admin.GetServers().Where(s => !s.IsReplica).OrderBy(s => s.EndPoint.ToString(), StringComparer.Ordinal)];
    }

    /// <summary>The seed list, as RedisStore.ConnectAsync takes it.</summary>
    public string Seeds { get; }

    public ConnectionMultiplexer Admin { get; }

    public IServer[] Primaries { get; }

    public bool IsPrivate => _startedIn is not null;

    /// <summary>Connection string for library stores (generous timeouts, as for the single Redis).</summary>
    public string StoreConfiguration => $"{Seeds},syncTimeout=60000,asyncTimeout=60000";

    public static async Task<RedisCluster> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("BITMAPIST_REDIS_CLUSTER");
        if (!string.IsNullOrWhiteSpace(external)) return new RedisCluster(external, await RedisServer.ConnectAsync(external), null, null);

        var script = FindScript() ?? throw new InvalidOperationException(
            "The cluster suite needs a Redis Cluster: set BITMAPIST_REDIS_CLUSTER=host:port,host:port,host:port, or run it from the " +
            "repository (its .ci/redis-cluster starts a local one).");
        var dir = Path.Combine(Path.GetTempPath(), $"bmbench-cluster-{Environment.ProcessId}");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "start", dir }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("bash did not start");
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{script} start {dir} failed ({p.ExitCode}): {stderr}");
        var seeds = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(script, dir);
        try
        {
            return new RedisCluster(seeds, await RedisServer.ConnectAsync(seeds), dir, script);
        }
        catch
        {
            Stop(script, dir);
            throw;
        }
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, ".ci", "redis-cluster");
                if (File.Exists(candidate)) return candidate;
            }
        return null;
    }

    private static void Stop(string script, string dir)
    {
        if (!File.Exists(Path.Combine(dir, "pids"))) return;
        using var p = Process.Start(new ProcessStartInfo("bash") { ArgumentList = { script, "stop", dir }, UseShellExecute = false });
        p?.WaitForExit();
        // The nodes' logs and port list: this run's alone, nothing to keep once its nodes are gone.
        if (p is { ExitCode: 0 }) Directory.Delete(dir, recursive: true);
    }

    /// <summary>calls and microseconds per command, per primary (in <see cref="Primaries"/> order).</summary>
    public async Task<Dictionary<string, (long Calls, long Usec)>[]> CommandStatsAsync() =>
        await Task.WhenAll(Primaries.Select(async s => RedisServer.ParseCommandStats((string)(await s.ExecuteAsync("INFO", "commandstats"))!)));

    /// <summary>CPU seconds (user + system, INFO cpu) the primaries' processes have used, summed over every primary.</summary>
    public async Task<double> ServerCpuAsync() =>
        (await Task.WhenAll(Primaries.Select(async s => RedisServer.ParseCpuSeconds((string)(await s.ExecuteAsync("INFO", "cpu"))!)))).Sum();

    public string Version => Primaries[0].Version.ToString();

    /// <summary>Deletes every key matching <paramref name="pattern"/> on every primary (key by key: keys of many slots).</summary>
    public async Task DeleteAsync(string pattern)
    {
        var db = Admin.GetDatabase();
        foreach (var server in Primaries)
        {
            var keys = new List<RedisKey>();
            await foreach (var k in server.KeysAsync(pattern: pattern, pageSize: 1000)) keys.Add(k);
            foreach (var chunk in keys.Chunk(200)) await Task.WhenAll(chunk.Select(k => db.KeyDeleteAsync(k)));
        }
    }

    /// <summary>MEMORY USAGE of a key (routed to its slot's owner), 0 when it does not exist.</summary>
    public async Task<long> MemoryUsageAsync(string key)
    {
        var r = await Admin.GetDatabase().ExecuteAsync("MEMORY", "USAGE", (RedisKey)key, "SAMPLES", "0");
        return r.IsNull ? 0 : (long)r;
    }

    public async ValueTask DisposeAsync()
    {
        await Admin.DisposeAsync();
        if (_startedIn is not null) Stop(_script!, _startedIn);
    }
}
