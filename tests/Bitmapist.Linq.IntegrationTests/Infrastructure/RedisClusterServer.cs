using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// The Redis Cluster the integration tests run against: the seed list in <c>BITMAPIST_REDIS_CLUSTER</c>
/// (<c>127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3</c>, as printed by <c>.ci/redis-cluster start DIR</c>, which .ci/run
/// runs). Unlike <see cref="RedisServer"/> it is not started on demand: a cluster takes seconds to form and leaves
/// processes a test host cannot be trusted to stop. When the variable is unset the cluster tests are skipped with how
/// to start one, unless <c>BITMAPIST_REQUIRE_REDIS_CLUSTER=1</c> (set by .ci/run) turns that skip into a failure.
/// A variable that names no working cluster fails the test either way: it was asked for.
/// </summary>
public static class RedisClusterServer
{
    private static readonly Lazy<(string? Seeds, string? Problem)> Cluster = new(Find);

    /// <summary>The seed list (host:port,host:port,...), or skips/fails the calling test when no cluster is configured.</summary>
    public static string Seeds
    {
        get
        {
            var (seeds, problem) = Cluster.Value;
            if (seeds is not null) return seeds;
            if (Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS_CLUSTER") == "1")
                throw new InvalidOperationException($"A Redis Cluster is required (BITMAPIST_REQUIRE_REDIS_CLUSTER=1) but unavailable: {problem}");
            Skip.If(true, $"No Redis Cluster: {problem}");
            throw new InvalidOperationException("unreachable");
        }
    }

    private static (string?, string?) Find()
    {
        var seeds = Environment.GetEnvironmentVariable("BITMAPIST_REDIS_CLUSTER");
        if (string.IsNullOrWhiteSpace(seeds))
            return (null, "BITMAPIST_REDIS_CLUSTER is not set; start a local cluster with `.ci/redis-cluster start /tmp/c` "
                + "and export BITMAPIST_REDIS_CLUSTER=<the seed list it prints last>");
        Check(seeds);
        return (seeds, null);
    }

    /// <summary>Throws, saying what is wrong, unless every seed answers as a primary of one cluster whose slots are all served.</summary>
    private static void Check(string seeds)
    {
        string Problem(string what) =>
            $"BITMAPIST_REDIS_CLUSTER={seeds} {what}; start a cluster with `.ci/redis-cluster start /tmp/c` and export the seed list it prints last";
        ConnectionMultiplexer mux;
        try
        {
            mux = ConnectionMultiplexer.Connect($"{seeds},connectTimeout=5000,abortConnect=true,allowAdmin=true");
        }
        catch (RedisConnectionException e)
        {
            throw new InvalidOperationException(Problem($"cannot be reached ({e.Message})"), e);
        }
        using (mux)
        {
            var servers = mux.GetServers();
            var notCluster = servers.Where(s => s.ServerType != ServerType.Cluster).Select(s => s.EndPoint.ToString()).ToList();
            if (notCluster.Count > 0) throw new InvalidOperationException(Problem($"names servers that are not in cluster mode ({string.Join(", ", notCluster)})"));
            var nodes = servers[0].ClusterNodes();
            var unserved = Enumerable.Range(0, 16384).Where(slot => nodes?.GetBySlot(slot) is null).ToList();
            if (unserved.Count > 0)
                throw new InvalidOperationException(Problem($"is a cluster with {unserved.Count} of its 16384 slots unassigned (the first: {unserved[0]})"));
        }
    }
}
