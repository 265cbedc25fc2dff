using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Tracking;
using StackExchange.Redis;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// A store on Redis (or a server that speaks enough of it: bitmapist-server) through StackExchange.Redis: connecting,
/// detecting the server's profile and logging in live here, running programs and writing bits in <see cref="RedisBackend"/>.
/// In namespace <c>Bitmapist.Linq.Stores</c> with the other stores, as users look for it there.
/// Reads and writes bitmapist's keys unchanged. Every query runs as one MULTI/EXEC batch; a mark batch as one
/// script that checks every key's type before it writes (all or nothing); nothing half-written is left if the
/// server goes away. Errors name their real cause (OOM, NOPERM, WRONGTYPE, a lost connection) in one sentence.
/// </summary>
public sealed class RedisStore : BitmapStore
{
    /// <summary>
    /// Wraps an existing connection; <paramref name="profile"/> as detected by <see cref="DetectProfileAsync"/> or
    /// chosen (<see cref="StoreOptions.Profile"/> overrides it). <see cref="CapabilityProfile.BitmapistServer"/> here
    /// declares that the server is bitmapist-server, which holds only bitmaps: mark batches are then sent without a
    /// type check.
    /// </summary>
    /// <exception cref="BitmapistStoreException">The connection is to a Redis Cluster and the layout is bitmapist's (the cluster
    /// needs the sharded layout), or the sharded layout was asked of bitmapist-server.</exception>
    public RedisStore(IConnectionMultiplexer connection, CapabilityProfile profile, StoreOptions? options = null, int database = -1, bool ownsConnection = false)
        : base(new RedisBackend(connection, options?.Profile ?? profile, holdsOnlyBitmaps: profile == CapabilityProfile.BitmapistServer,
            CheckLayout(connection, profile, options ?? new StoreOptions()), database, ownsConnection), options)
    {
    }

    /// <summary>True when <paramref name="connection"/> is to a Redis Cluster (or Valkey cluster).</summary>
    public static bool IsCluster(IConnectionMultiplexer connection) =>
        connection.GetServers().Any(s => s.ServerType == ServerType.Cluster);

    /// <summary>
    /// Refuses a layout the server cannot hold: bitmapist's on a cluster (a mark writes month, week and day keys in three
    /// slots, which one batch cannot do, and compound queries are refused with CROSSSLOT), and the sharded layout on
    /// bitmapist-server (which has no slots to keep together nor BITFIELD to size keys with).
    /// </summary>
    private static StoreOptions CheckLayout(IConnectionMultiplexer connection, CapabilityProfile profile, StoreOptions options)
    {
        if (!options.Layout.IsSharded && IsCluster(connection))
            throw RedisErrors.ClusterNeedsShardedLayout(RedisErrors.Host(connection), options.Keys.Prefix);
        if (options.Layout.IsSharded && profile == CapabilityProfile.BitmapistServer)
            throw new BitmapistStoreException(
                $"The sharded layout ({options.Layout}) runs on Redis and Redis Cluster; bitmapist-server at {RedisErrors.Host(connection)} keeps " +
                "bitmapist's layout (it stores compressed bitmaps, so a large id costs it little). Leave the layout at 'bitmapist'.");
        return options;
    }

    /// <summary>
    /// Checks that the store holds the layout it was opened with (its marker key), so a mismatch fails at connect rather
    /// than as empty answers. bitmapist's layout merely checks no sharded marker exists; a server that will not answer
    /// that (an ACL that denies the marker's key) is taken at its word, as before markers existed.
    /// </summary>
    private async Task CheckLayoutMarkerAsync()
    {
        if (Backend is Backends.Sharded.ShardedBackend sharded)
        {
            await sharded.CheckLayoutAsync(CancellationToken.None).ConfigureAwait(false);
            return;
        }
        try
        {
            await Backends.Sharded.LayoutMarker.CheckAsync(Backend, Keys.Prefix, Options.Layout, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BitmapistStoreException e) when (e.Message.Contains("no permission", StringComparison.OrdinalIgnoreCase) ||
            e.InnerException is RedisServerException { Message: var m } && m.StartsWith("NOPERM", StringComparison.Ordinal))
        {
            // The ACL denies the marker keys: this user cannot have written a sharded store under this prefix either.
        }
    }

    /// <summary>
    /// Connects with a StackExchange.Redis configuration string (e.g. <c>localhost:6379</c>) and detects the
    /// server's capability profile unless <see cref="StoreOptions.Profile"/> forces one. A plain address works for
    /// Redis and for bitmapist-server alike: the store first connects with the commands bitmapist-server lacks
    /// turned off (<see cref="BitmapistServerConfiguration"/>) and probes the server; bitmapist-server keeps that
    /// connection, Redis gets a new one with the configuration exactly as given.
    /// </summary>
    /// <exception cref="BitmapistStoreException">The server cannot be reached, or the configuration is invalid.</exception>
    public static async Task<RedisStore> ConnectAsync(string configuration, StoreOptions? options = null)
    {
        var (mux, detected) = await OpenAsync(configuration).ConfigureAwait(false);
        try
        {
            // The server's own profile when known (what it holds matters for writes); options.Profile overrides it in the constructor.
            var profile = detected ?? options?.Profile ?? await DetectProfileAsync(mux).ConfigureAwait(false);
            if (profile != CapabilityProfile.BitmapistServer && (options?.Profile ?? profile) != CapabilityProfile.BitmapistServer)
                await CheckLoggedInUserAsync(mux, configuration).ConfigureAwait(false);
            var store = new RedisStore(mux, profile, options, ownsConnection: true);
            try
            {
                await store.CheckLayoutMarkerAsync().ConfigureAwait(false);
            }
            catch
            {
                await store.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            return store;
        }
        catch
        {
            await mux.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// When <paramref name="configuration"/> names a user, refuses a connection logged in as anyone else. Redis
    /// answers a refused AUTH with WRONGPASS, but StackExchange.Redis carries on with the connection as it is: logged
    /// in as <c>default</c> when that user needs no password (Redis' default setup), which would write with the
    /// default user's rights. ACL WHOAMI (Redis 6+) says who we are; its NOPERM means a user restricted by the ACL,
    /// never the unrestricted default of that setup, and a server without ACL WHOAMI has no named users to mistake.
    /// </summary>
    private static async Task CheckLoggedInUserAsync(ConnectionMultiplexer mux, string configuration)
    {
        var config = ConfigurationOptions.Parse(configuration);
        if (string.IsNullOrEmpty(config.User)) return;
        string? whoami;
        try
        {
            whoami = (string?)await mux.GetDatabase().ExecuteAsync("ACL", "WHOAMI").ConfigureAwait(false);
        }
        catch (RedisServerException e) when (RedisErrors.ClassifyMessage(e.Message) == RedisFailure.NoPermission ||
            e.Message.Contains("NOPERM", StringComparison.Ordinal) || e.Message.Contains("unknown", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            throw RedisErrors.CannotConnect(configuration, e, []);
        }
        if (string.Equals(whoami, config.User, StringComparison.Ordinal)) return;
        var host = config.EndPoints.Count > 0 ? RedisErrors.Format(config.EndPoints[0]) : ConnectionString.Redact(configuration);
        throw RedisErrors.LoggedInAsAnother(host, config.User, whoami, configuration);
    }

    /// <summary>
    /// A connection suited to the server behind <paramref name="configuration"/>, and its profile when the probe
    /// found it. The probe connection comes first because it suits both servers: the other order, the configuration
    /// as given first, fails on bitmapist-server only after the client's connect timeout in about one try in four
    /// (measured), and a server that is down would cost two attempts instead of one.
    /// </summary>
    private static async Task<(ConnectionMultiplexer Connection, CapabilityProfile? Profile)> OpenAsync(string configuration)
    {
        var probeConfiguration = BitmapistServerConfiguration(configuration);
        if (probeConfiguration is null) return (await ConnectAsIsAsync(configuration).ConfigureAwait(false), null);

        var config = ParseConfiguration(configuration, probeConfiguration);
        var (probe, error, refused) = await TryConnectAsync(configuration, config).ConfigureAwait(false);
        if (probe is null)
        {
            // A server that answered but refused the probe's handshake is not bitmapist-server (which accepts it):
            // perhaps a Redis whose ACL denies EXISTS, the check that replaces ECHO. It gets the configuration as given.
            if (!refused) throw error!;
            return (await ConnectAsIsAsync(configuration).ConfigureAwait(false), null);
        }

        CapabilityProfile profile;
        try
        {
            profile = await DetectProfileAsync(probe).ConfigureAwait(false);
        }
        catch
        {
            await probe.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        if (profile == CapabilityProfile.BitmapistServer)
        {
            // It has one database and refuses SELECT of another, which the client ignores: every command would
            // silently go to database 0.
            if (config.DefaultDatabase is > 0 and var n)
            {
                await probe.DisposeAsync().ConfigureAwait(false);
                throw RedisErrors.NoSuchDatabase(n, configuration);
            }
            return (probe, profile);
        }
        // Redis: keep its PING heartbeats, TIME, UNLINK and pub/sub, as the user configured them.
        await probe.DisposeAsync().ConfigureAwait(false);
        return (await ConnectAsIsAsync(configuration).ConfigureAwait(false), profile);
    }

    /// <summary>
    /// The commands StackExchange.Redis sends by itself that bitmapist-server does not know: the connection check
    /// and heartbeat try ECHO, then PING (which bitmapist-server answers as a bulk string, so the check fails),
    /// then TIME, then EXISTS of one key, which it knows; <c>KeyDelete</c> sends UNLINK; and the subscription
    /// connection subscribes (there is no pub/sub to connect to). The rest of the client's handshake (HELLO,
    /// CLIENT, CONFIG, INFO, CLUSTER, SENTINEL) is refused and the client carries on without it; turning CONFIG
    /// off would make it probe with <c>SET key value PX 1 NX</c> instead, so those stay as they are.
    /// </summary>
    internal static readonly string[] CommandsBitmapistServerLacks = ["ECHO", "PING", "TIME", "UNLINK", "SUBSCRIBE"];

    /// <summary>
    /// <paramref name="configuration"/> with the commands bitmapist-server does not know turned off
    /// (<c>$ECHO=,$PING=,$TIME=,$UNLINK=,$SUBSCRIBE=</c>), except those the configuration already maps itself; null
    /// when it maps them all (it is then already configured for such a server, or deliberately not).
    /// </summary>
    public static string? BitmapistServerConfiguration(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        // StackExchange.Redis reads "$NAME=value" options as its command map; a user's own entry wins.
        var mapped = configuration.Split(',')
            .Select(o => o.Trim())
            .Where(o => o.StartsWith('$') && o.Contains('=', StringComparison.Ordinal))
            .Select(o => o[1..o.IndexOf('=', StringComparison.Ordinal)].Trim())
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var missing = CommandsBitmapistServerLacks.Where(c => !mapped.Contains(c)).ToArray();
        return missing.Length == 0 ? null : configuration + string.Concat(missing.Select(c => $",${c}="));
    }

    private static async Task<ConnectionMultiplexer> ConnectAsIsAsync(string configuration)
    {
        var (connection, error, _) = await TryConnectAsync(configuration, ParseConfiguration(configuration, configuration)).ConfigureAwait(false);
        return connection ?? throw error!;
    }

    /// <summary>One connection attempt with <paramref name="config"/>; failures are described with <paramref name="configuration"/>, as the user wrote it.</summary>
    private static async Task<(ConnectionMultiplexer? Connection, BitmapistStoreException? Error, bool AnsweredButRefused)> TryConnectAsync(
        string configuration, ConfigurationOptions config)
    {
        var attempts = new System.Collections.Concurrent.ConcurrentQueue<ConnectionAttemptCompletedEventArgs>();
        config.ConnectionAttemptCompleted += (_, e) => attempts.Enqueue(e);
        try
        {
            return (await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false), null, false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or ArgumentException)
        {
            // A refused login is not a server that may be bitmapist-server: no second attempt, the same answer. A
            // command the ACL denies may be only the probe's (EXISTS of a key outside the user's pattern): try again.
            if (RedisErrors.AuthenticationFailed(configuration, config, e, attempts) is { } refusedLogin)
                return (null, refusedLogin, refusedLogin.Message.Contains("no permission", StringComparison.Ordinal));
            return (null, RedisErrors.CannotConnect(configuration, e, attempts), AnsweredButRefused(attempts));
        }
    }

    /// <summary>
    /// Whether some attempt reached the server and got answers, but not those Redis gives (refused at the socket,
    /// by TLS or by authentication is not that). Attempts are reported on worker threads, so none may have arrived
    /// yet when the connection fails: that counts as yes, which costs one more attempt but never a wrong answer.
    /// </summary>
    private static bool AnsweredButRefused(IReadOnlyCollection<ConnectionAttemptCompletedEventArgs> attempts) =>
        attempts.Count == 0 ||
        attempts.Any(a => a.Stage == ConnectionAttemptStage.Handshake && a.FailureType == ConnectionFailureType.ProtocolFailure);

    /// <param name="configuration">The configuration as the user gave it, for messages.</param>
    /// <param name="effective">What is parsed: the configuration itself or its probe form.</param>
    private static ConfigurationOptions ParseConfiguration(string configuration, string effective)
    {
        try
        {
            var config = ConfigurationOptions.Parse(effective);
            config.AbortOnConnectFail = true;
            return config;
        }
        catch (ArgumentException e)
        {
            throw RedisErrors.CannotConnect(configuration, e, []);
        }
    }

    /// <summary>Synchronous <see cref="ConnectAsync"/>.</summary>
    public static RedisStore Connect(string configuration, StoreOptions? options = null) =>
        ConnectAsync(configuration, options).GetAwaiter().GetResult();

    /// <inheritdoc />
    /// <remarks>
    /// A query's scratch key (<c>bitop_tmp:q:N</c>) whose TTL is at most <see cref="StoreOptions.ScratchTtl"/> is left
    /// out: it is kept on purpose and expires by itself. One without a TTL, or with a longer one, is listed (a leak).
    /// </remarks>
    public override async Task<IReadOnlyList<string>> ListTemporariesAsync(CancellationToken ct = default)
    {
        var all = await base.ListTemporariesAsync(ct).ConfigureAwait(false);
        var backend = (RedisBackend)(Backend is Backends.Sharded.ShardedBackend s ? s.Root : Backend);
        return await backend.WithoutExpiringScratchAsync(all).ConfigureAwait(false);
    }

    /// <summary>The connection.</summary>
    public IConnectionMultiplexer Connection => ((RedisBackend)(Backend is Backends.Sharded.ShardedBackend s ? s.Root : Backend)).Connection;

    /// <summary>
    /// Detects the profile (sending one read-only BITPOS): a server without BITPOS is bitmapist-server
    /// (<see cref="CapabilityProfile.BitmapistServer"/>); a NOPERM answer (an ACL user restricted to other keys) is
    /// Redis, as only Redis has ACLs; otherwise Redis 8.2 or later gets
    /// <see cref="CapabilityProfile.Redis8"/> and older Redis <see cref="CapabilityProfile.Redis7"/>.
    /// </summary>
    /// <exception cref="BitmapistStoreException">No primary is connected, or the probe got no answer.</exception>
    public static async Task<CapabilityProfile> DetectProfileAsync(IConnectionMultiplexer connection)
    {
        var server = connection.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)
            ?? throw RedisErrors.NoPrimary("detect the server's capabilities from");
        // bitmapist-server is never a cluster; and a probe key in a slot whose node is down would fail as if BITPOS were unknown.
        if (IsCluster(connection)) return CapabilityProfile.ForRedisVersion(server.Version);
        try
        {
            // A read-only probe: Redis answers -1 for a missing key; bitmapist-server has no BITPOS.
            await connection.GetDatabase().ExecuteAsync("BITPOS", (RedisKey)"bitmapist-linq:probe:missing", 1).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (RedisErrors.ClassifyMessage(e.Message) == RedisFailure.NoPermission)
        {
            // Only Redis has ACLs: a user restricted to a key pattern (or without BITPOS) is refused, but the server is
            // Redis all the same, whose version the handshake read.
        }
        catch (RedisServerException)
        {
            return CapabilityProfile.BitmapistServer;
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            throw RedisErrors.DetectionFailed(e, RedisErrors.Host(connection));
        }
        // StackExchange.Redis reads the version during its handshake.
        return CapabilityProfile.ForRedisVersion(server.Version);
    }
}
