using System.Diagnostics;
using System.Text.RegularExpressions;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// A private redis-server that stores reach through a recording <see cref="RoundTripProxy"/>: what a call sent
/// (by round trip, as on the wire) and what the server ran (INFO commandstats before and after). Private so no
/// other test's commands land in its statistics; an admin connection reaches it directly.
/// </summary>
internal sealed class ObservedRedis : IAsyncDisposable
{
    private readonly Process _server;

    private ObservedRedis(Process server, string endpoint, RoundTripProxy proxy, ConnectionMultiplexer admin)
    {
        _server = server;
        Endpoint = endpoint;
        Proxy = proxy;
        Admin = admin;
    }

    /// <summary>The server's own endpoint (not through the proxy).</summary>
    public string Endpoint { get; }

    public RoundTripProxy Proxy { get; }

    /// <summary>A direct connection for INFO and TTL; nothing it sends reaches the proxy.</summary>
    public ConnectionMultiplexer Admin { get; }

    public static async Task<ObservedRedis> StartAsync()
    {
        var server = RedisServer.StartPrivate(out var port);
        var endpoint = $"127.0.0.1:{port}";
        var proxy = new RoundTripProxy(endpoint, record: true);
        var admin = await ConnectionMultiplexer.ConnectAsync(endpoint + ",allowAdmin=true");
        return new ObservedRedis(server, endpoint, proxy, admin);
    }

    /// <summary>A store of <paramref name="kind"/> (see <see cref="StoreKind"/>) connected through the proxy.</summary>
    public async Task<RedisStore> ConnectAsync(string kind, StoreOptions options)
    {
        if (kind == StoreKind.RedisAsBitmapistServer) options = options with { Profile = CapabilityProfile.BitmapistServer };
        else if (kind != StoreKind.Redis) throw new ArgumentOutOfRangeException(nameof(kind));
        return await RedisStore.ConnectAsync(Proxy.Endpoint + ",syncTimeout=30000,asyncTimeout=30000", options);
    }

    /// <summary>The round trips <paramref name="action"/> made through the proxy and the commands the server ran for it.</summary>
    public async Task<Observation> ObserveAsync(RedisStore store, Func<Task> action)
    {
        await Barrier(store);
        var from = Proxy.Transcript().Count;
        var before = await CommandStats();
        await action();
        await Barrier(store);
        var after = await CommandStats();
        var trips = Proxy.Transcript().Skip(from)
            .Select(g => (IReadOnlyList<string>)[.. g.Where(c => !IsHousekeeping(c)).Select(Normalize)])
            .Where(g => g.Count > 0).ToList();
        var ran = after.Select(kv => (kv.Key, Calls: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(x => x.Calls != 0 && !IsHousekeeping(x.Key) && x.Key != "info")
            .GroupBy(x => x.Key == "unlink" ? "del" : x.Key)
            .ToDictionary(g => g.Key, g => g.Sum(x => x.Calls), StringComparer.Ordinal);
        return new Observation(trips, ran);
    }

    // A PING on the store's own connection is answered only after everything the store sent before it, fire-and-
    // forget commands included: once it returns, the proxy has seen all of them and the server has run them.
    private static Task Barrier(RedisStore store) => store.Connection.GetDatabase().PingAsync();

    // The client library's own traffic, part of no query: keep-alives, and the SELECT it sends before a command
    // when it is unsure which database the connection is on (after a PING, for one).
    private static bool IsHousekeeping(string command) =>
        command.Split(' ')[0].ToUpperInvariant() is "PING" or "ECHO" or "SELECT";

    /// <summary>
    /// A lease's random id as explain prints it; UNLINK as DEL: StackExchange.Redis sends KeyDelete (how a lease
    /// is dropped) as UNLINK where the server has it, and either deletes the key.
    /// </summary>
    private static string Normalize(string command) =>
        Regex.Replace(Regex.Replace(command, @"bitop_tmp:lease:[0-9a-f]+", "bitop_tmp:lease:" + ExplainPrinter.LeasePlaceholder), "^UNLINK ", "DEL ");

    /// <summary>Calls per command name (lower case, as INFO names them) so far.</summary>
    public async Task<Dictionary<string, long>> CommandStats()
    {
        var info = await Admin.GetServer(Endpoint).InfoAsync("commandstats");
        return info.SelectMany(g => g).Where(kv => kv.Key.StartsWith("cmdstat_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["cmdstat_".Length..], kv => long.Parse(kv.Value.Split(',')[0].Split('=')[1]), StringComparer.Ordinal);
    }

    public async ValueTask DisposeAsync()
    {
        await Admin.DisposeAsync();
        await Proxy.DisposeAsync();
        try
        {
            _server.Kill();
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        _server.Dispose();
    }
}

/// <summary>What one call did: the commands sent in each round trip (keep-alives left out), and the calls per command the server ran.</summary>
internal sealed record Observation(IReadOnlyList<IReadOnlyList<string>> RoundTrips, IReadOnlyDictionary<string, long> ServerCalls)
{
    /// <summary>The round trips, one line each, for comparisons whose failure shows the whole transcript.</summary>
    public IReadOnlyList<string> Lines => [.. RoundTrips.Select(t => string.Join(" | ", t))];
}
