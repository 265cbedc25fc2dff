using System.Diagnostics;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// A Redis Cluster that is down (a slot no node serves, so every node answers CLUSTERDOWN): connecting and querying
/// fail with one sentence that says the cluster is down, after the retries; never a misdetection (a probe refused by
/// CLUSTERDOWN once made the store take the cluster for bitmapist-server). A private cluster of its own, started
/// with the repository's <c>.ci/redis-cluster</c>, since it is broken on purpose.
/// </summary>
[Collection(ClusterReshardingCollection.Name)]
public class ClusterDownTests
{
    [SkippableFact]
    public async Task A_cluster_that_is_down_says_so()
    {
        _ = RedisClusterServer.Seeds; // the same availability rules as every cluster test
        var dir = Directory.CreateTempSubdirectory("bitmapist-cluster-down-").FullName;
        var script = FindScript();
        try
        {
            var seeds = (await RunAsync(script, "start", dir)).Trim().Split('\n')[^1].Trim();
            var options = new StoreOptions { Keys = new KeyScheme($"t{Guid.NewGuid():N}_"), Layout = KeyLayout.Sharded(8) };
            var configuration = seeds + ",syncTimeout=2000,asyncTimeout=2000";
            await using (var store = await RedisStore.ConnectAsync(configuration, options))
                await store.MarkAsync("active", 1, new DateTime(2026, 11, 18));
            // Slot 0 (shard 0's) served by no node: cluster-require-full-coverage puts the cluster in the fail state.
            foreach (var port in seeds.Split(',').Select(s => s.Split(':')[1]))
                await RunAsync("redis-cli", "-p", port, "CLUSTER", "DELSLOTS", "0");
            await WaitAsync(async () => (await RunAsync("redis-cli", "-p", seeds.Split(',')[0].Split(':')[1], "CLUSTER", "INFO")).Contains("cluster_state:fail"));

            var e = await Should.ThrowAsync<BitmapistStoreException>(async () =>
            {
                await using var store = await RedisStore.ConnectAsync(configuration, options);
                await store.At("active", Period.Of(PeriodUnit.Month, new DateTime(2026, 11, 18))).CountAsync();
            });
            e.Message.ShouldContain("(a Redis Cluster) is down");
            e.Message.ShouldContain("CLUSTERDOWN");
            e.Message.ShouldNotContain("bitmapist-server");
        }
        finally
        {
            await RunAsync(script, "stop", dir);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string FindScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, ".ci", "redis-cluster");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($".ci/redis-cluster not found above {AppContext.BaseDirectory}");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("The cluster did not enter the fail state within 30 s.");
            await Task.Delay(100);
        }
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}");
        return await output;
    }
}
