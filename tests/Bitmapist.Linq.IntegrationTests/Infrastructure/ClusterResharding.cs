using System.Net;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// Moves one hash slot between two primaries of a Redis Cluster with the commands of a live resharding (what
/// <c>redis-cli --cluster reshard</c> sends), so a test can change the slot map under a client that keeps working:
/// <c>CLUSTER SETSLOT slot IMPORTING</c> on the target, <c>MIGRATING</c> on the source, the slot's keys copied in
/// batches with <c>MIGRATE ... KEYS</c>, then <c>SETSLOT slot NODE target</c> on the target, the source and every
/// other primary. Between batches the slot is half moved: the source answers for the keys it still holds and sends
/// <c>-ASK</c> for the others, and multi-key commands on the slot get <c>-TRYAGAIN</c>.
/// </summary>
/// <remarks>Its own connection, with admin commands allowed; dispose it.</remarks>
public sealed class ClusterResharding : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _mux;
    private readonly Dictionary<string, IServer> _byId;

    private ClusterResharding(ConnectionMultiplexer mux, Dictionary<string, IServer> byId)
    {
        _mux = mux;
        _byId = byId;
        Primaries = [.. byId.Values.Select(s => s.EndPoint).OrderBy(e => e.ToString(), StringComparer.Ordinal)];
    }

    /// <summary>The cluster's primaries, in a fixed order.</summary>
    public IReadOnlyList<EndPoint> Primaries { get; }

    /// <summary>Connects to the cluster named by its seed list (host:port,host:port,...).</summary>
    public static async Task<ClusterResharding> ConnectAsync(string seeds)
    {
        var mux = await ConnectionMultiplexer.ConnectAsync($"{seeds},allowAdmin=true,abortConnect=true");
        var byId = new Dictionary<string, IServer>();
        foreach (var server in mux.GetServers().Where(s => !s.IsReplica))
            byId[(string)(await server.ExecuteAsync("CLUSTER", "MYID"))!] = server;
        return new ClusterResharding(mux, byId);
    }

    /// <summary>
    /// The primary that owns the slot, when every primary says the same and none has the slot half moved (MIGRATING
    /// or IMPORTING); otherwise throws, naming each primary's view.
    /// </summary>
    public async Task<EndPoint> OwnerAsync(int slot)
    {
        var answers = new List<(EndPoint Asked, string? Owner, string? Open)>();
        foreach (var server in _byId.Values)
        {
            var nodes = await server.ClusterNodesAsync();
            // CLUSTER NODES lists a node's own open migrations as [slot->-target] and [slot-<-source] on its line.
            var open = nodes?.Nodes.Single(n => n.IsMyself).Raw.Split(' ').FirstOrDefault(f => f.StartsWith($"[{slot}-", StringComparison.Ordinal));
            answers.Add((server.EndPoint, nodes?.GetBySlot(slot)?.NodeId, open));
        }
        var owners = answers.Select(a => a.Owner).Distinct().ToList();
        if (owners is not [{ } id] || !_byId.TryGetValue(id, out var owner) || answers.Any(a => a.Open is not null))
            throw new InvalidOperationException($"Slot {slot} has no settled owner: "
                + string.Join(", ", answers.Select(a => $"{a.Asked} says {a.Owner ?? "nobody"}{(a.Open is null ? "" : $" {a.Open}")}")));
        return owner.EndPoint;
    }

    /// <summary>How many keys of the slot the primary holds (<c>CLUSTER COUNTKEYSINSLOT</c>).</summary>
    public async Task<long> CountKeysAsync(EndPoint primary, int slot) =>
        (long)await Server(primary).ExecuteAsync("CLUSTER", "COUNTKEYSINSLOT", slot);

    /// <summary>
    /// Moves the slot from its owner to <paramref name="to"/> (nothing when it owns it already). Returns once every
    /// primary names <paramref name="to"/> as the owner and none has the slot half moved.
    /// </summary>
    /// <param name="slot">The hash slot, 0..16383.</param>
    /// <param name="to">The primary that gets it, one of <see cref="Primaries"/>.</param>
    /// <param name="batchSize">Keys per <c>MIGRATE</c>.</param>
    /// <param name="afterBatch">Called after each batch with the number of keys moved so far, while the slot is half moved.</param>
    public async Task MoveSlotAsync(int slot, EndPoint to, int batchSize = 100, Func<long, Task>? afterBatch = null)
    {
        var from = await OwnerAsync(slot);
        if (from.Equals(to)) return;
        var source = Server(from);
        var target = Server(to);
        var sourceId = IdOf(source);
        var targetId = IdOf(target);
        // The target first: once the source says MIGRATING it sends ASK there, which only an IMPORTING node accepts.
        await Ok(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", sourceId);
        await Ok(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", targetId);
        var (host, port) = HostAndPort(to);
        long moved = 0;
        while (true)
        {
            var keys = (RedisResult[])(await source.ExecuteAsync("CLUSTER", "GETKEYSINSLOT", slot, batchSize))!;
            if (keys.Length == 0) break;
            var args = new List<object> { host, port, "", 0, 10_000, "KEYS" };
            args.AddRange(keys.Select(k => (object)(byte[])k!));
            var reply = (string?)await source.ExecuteAsync("MIGRATE", args);
            // NOKEY: the batch's keys were deleted (or expired) since they were listed; nothing to copy.
            if (reply is not ("OK" or "NOKEY"))
                throw new InvalidOperationException($"MIGRATE of {keys.Length} keys of slot {slot} from {from} to {to} answered {reply}");
            moved += keys.Length;
            if (afterBatch is not null) await afterBatch(moved);
        }
        // The target first, as the cluster spec advises: it then answers for the slot before the source redirects
        // there with MOVED; then the source; then the others, so no primary keeps sending clients to the old owner.
        await Ok(target, "CLUSTER", "SETSLOT", slot, "NODE", targetId);
        await Ok(source, "CLUSTER", "SETSLOT", slot, "NODE", targetId);
        foreach (var other in _byId.Values.Where(s => s != source && s != target))
            await Ok(other, "CLUSTER", "SETSLOT", slot, "NODE", targetId);
        var owner = await OwnerAsync(slot);
        if (!owner.Equals(to)) throw new InvalidOperationException($"Slot {slot} was moved to {to} but its owner is {owner}");
    }

    private IServer Server(EndPoint endPoint) =>
        _byId.Values.FirstOrDefault(s => s.EndPoint.Equals(endPoint))
        ?? throw new ArgumentException($"{endPoint} is not a primary of the cluster ({string.Join(", ", Primaries)})", nameof(endPoint));

    private string IdOf(IServer server) => _byId.First(kv => kv.Value == server).Key;

    private static (string Host, int Port) HostAndPort(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => (ip.Address.ToString(), ip.Port),
        DnsEndPoint dns => (dns.Host, dns.Port),
        _ => throw new ArgumentException($"Unexpected endpoint {endPoint}", nameof(endPoint)),
    };

    private static async Task Ok(IServer server, string command, params object[] args)
    {
        var reply = (string?)await server.ExecuteAsync(command, args);
        if (reply != "OK")
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} on {server.EndPoint} answered {reply}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _mux.DisposeAsync();
}
