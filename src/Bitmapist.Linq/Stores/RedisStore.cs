using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Execution;
using Bitmapist.Linq.Tracking;
using StackExchange.Redis;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// A store on Redis (or a server that speaks enough of it: bitmapist-server) through StackExchange.Redis.
/// Reads and writes bitmapist's keys unchanged. Every query runs as one MULTI/EXEC batch; a mark batch as one
/// script that checks every key's type before it writes (all or nothing); nothing half-written is left if the
/// server goes away. Errors name their real cause (OOM, NOPERM, WRONGTYPE, a lost connection) in one sentence.
/// </summary>
public sealed class RedisStore : BitmapStore
{
    private readonly bool _ownsConnection;

    /// <summary>
    /// The server is bitmapist-server (as detected, or as the caller of the constructor declared), which holds only
    /// bitmaps: no key can be of another type, so writes need no type check (nor could make one: it has no TYPE).
    /// Not so for a Redis merely given the bitmapist-server profile through <see cref="StoreOptions.Profile"/>.
    /// </summary>
    private readonly bool _holdsOnlyBitmaps;
    private readonly int _database;

    /// <summary>
    /// Wraps an existing connection; <paramref name="profile"/> as detected by <see cref="DetectProfileAsync"/> or
    /// chosen (<see cref="StoreOptions.Profile"/> overrides it). <see cref="CapabilityProfile.BitmapistServer"/> here
    /// declares that the server is bitmapist-server, which holds only bitmaps: mark batches are then sent without a
    /// type check.
    /// </summary>
    public RedisStore(IConnectionMultiplexer connection, CapabilityProfile profile, StoreOptions? options = null, int database = -1, bool ownsConnection = false)
        : base(options)
    {
        Connection = connection;
        Profile = Options.Profile ?? profile;
        _holdsOnlyBitmaps = profile == CapabilityProfile.BitmapistServer;
        _database = database;
        _ownsConnection = ownsConnection;
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
            return new RedisStore(mux, profile, options, ownsConnection: true);
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
            throw CannotConnect(configuration, e, []);
        }
        if (string.Equals(whoami, config.User, StringComparison.Ordinal)) return;
        var host = config.EndPoints.Count > 0 ? RedisErrors.Format(config.EndPoints[0]) : ConnectionString.Redact(configuration);
        throw new BitmapistStoreException(WrongPasswordMessage(host, config.User, "WRONGPASS", configuration) +
            $" The server let the connection in as user '{whoami}' instead; it was closed.");
    }

    private static string WrongPasswordMessage(string host, string? user, string code, string configuration) =>
        $"Authentication failed at Redis {host}: wrong password or unknown user{(string.IsNullOrEmpty(user) ? "" : $" '{user}'")} " +
        $"({code}; Redis does not say which). Check user= and password= in the connection string '{ConnectionString.Redact(configuration)}'.";

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
                throw new BitmapistStoreException(
                    $"Cannot use database {n} on bitmapist-server at '{ConnectionString.Redact(configuration)}': it has only database 0. Remove defaultDatabase={n}.");
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
            if (AuthenticationFailed(configuration, config, e, attempts) is { } refusedLogin)
                return (null, refusedLogin, refusedLogin.Message.Contains("no permission", StringComparison.Ordinal));
            return (null, CannotConnect(configuration, e, attempts), AnsweredButRefused(attempts));
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
            throw CannotConnect(configuration, e, []);
        }
    }

    /// <summary>
    /// "Authentication failed", and which case, when the server refused the login (NOAUTH, WRONGPASS, or the client's
    /// authentication failure); else null. Redis answers a wrong password and an unknown user alike, so those are one
    /// case; and StackExchange.Redis may report only the NOAUTH of the command after a refused AUTH, so whether a
    /// password was given tells the cases apart. The password is never part of the message.
    /// </summary>
    private static BitmapistStoreException? AuthenticationFailed(string configuration, ConfigurationOptions config, Exception e,
        IEnumerable<ConnectionAttemptCompletedEventArgs> attempts)
    {
        var seen = attempts.Select(a => a.Exception).OfType<Exception>().Prepend(e)
            .SelectMany(x => Chain(x)).ToList();
        var refused = seen.Any(x => x is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } ||
            RedisErrors.ClassifyMessage(x.Message) == RedisFailure.Authentication ||
            x.Message.Contains("NOAUTH", StringComparison.Ordinal) || x.Message.Contains("WRONGPASS", StringComparison.Ordinal));
        var host = config.EndPoints.Count > 0 ? RedisErrors.Format(config.EndPoints[0]) : ConnectionString.Redact(configuration);
        if (!refused)
        {
            // Logged in, but the ACL denies a command the connection needs (its checks use ECHO, EXISTS...).
            var denied = seen.FirstOrDefault(x => RedisErrors.ClassifyMessage(x.Message.Replace("SimpleError: ", "", StringComparison.Ordinal)) == RedisFailure.NoPermission ||
                x.Message.Contains("NOPERM", StringComparison.Ordinal));
            if (denied is null) return null;
            var reply = denied.Message[denied.Message.IndexOf("NOPERM", StringComparison.Ordinal)..].TrimEnd('.', ')');
            return new BitmapistStoreException(
                $"The Redis user{(string.IsNullOrEmpty(config.User) ? "" : $" '{config.User}'")} at {host} logged in but has no permission " +
                $"for a command the connection needs ({reply}). Grant it with ACL SETUSER (at least +@connection +@read +@write " +
                "+@bitmap and the key pattern), or connect as another user.", e);
        }
        var code = seen.Any(x => x.Message.Contains("WRONGPASS", StringComparison.Ordinal)) ? "WRONGPASS" : "NOAUTH";
        var message = string.IsNullOrEmpty(config.Password)
            ? $"Authentication failed at Redis {host}: no password was given and the server requires one ({code}). Add password=... " +
              "(and user=... for an ACL user) to the connection string."
            : WrongPasswordMessage(host, config.User, code, configuration);
        return new BitmapistStoreException(message, e);

        static IEnumerable<Exception> Chain(Exception x)
        {
            for (Exception? c = x; c is not null; c = c.InnerException) yield return c;
        }
    }

    private static BitmapistStoreException CannotConnect(string configuration, Exception e, IEnumerable<ConnectionAttemptCompletedEventArgs> attempts)
    {
        // StackExchange.Redis appends advice about abortConnect, which does not apply here: keep the first sentence,
        // and add what the attempts saw (connection refused, the server's answer), which it leaves out.
        var reason = e.Message.Split(". ", 2)[0].TrimEnd('.');
        var seen = attempts.Where(a => !a.IsSuccess).Select(a => a.Exception?.Message).OfType<string>().FirstOrDefault();
        return new BitmapistStoreException($"Cannot connect to Redis at '{ConnectionString.Redact(configuration)}': {reason}" + (seen is null ? "." : $" ({seen.TrimEnd('.')})."), e);
    }

    /// <summary>Synchronous <see cref="ConnectAsync"/>.</summary>
    public static RedisStore Connect(string configuration, StoreOptions? options = null) =>
        ConnectAsync(configuration, options).GetAwaiter().GetResult();

    /// <summary>The connection.</summary>
    public IConnectionMultiplexer Connection { get; }

    /// <inheritdoc />
    public override CapabilityProfile Profile { get; }

    private IDatabase Db => Connection.GetDatabase(_database);

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
            ?? throw new BitmapistStoreException("No connected Redis primary to detect the server's capabilities from.");
        try
        {
            // A read-only probe: Redis answers -1 for a missing key; bitmapist-server has no BITPOS.
            await connection.GetDatabase().ExecuteAsync("BITPOS", "bitmapist-linq:probe:missing", 1).ConfigureAwait(false);
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
            throw new BitmapistStoreException($"Detecting the server's capabilities failed: {RedisErrors.Describe(e, RedisErrors.Host(connection))}.", e);
        }
        // StackExchange.Redis reads the version during its handshake.
        return CapabilityProfile.ForRedisVersion(server.Version);
    }

    internal override async Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (_holdsOnlyBitmaps)
        {
            // bitmapist-server: every value is a bitmap and its MULTI/EXEC runs under one lock, so no SETBIT with a
            // valid offset can fail while others apply; a connection lost before EXEC applies nothing.
            var tran = Db.CreateTransaction();
            var tasks = writes.Select(w => tran.StringSetBitAsync(w.Key, w.Bit, w.Value)).ToArray();
            await Commit(tran, tasks, "mark batch", i => $"SETBIT {writes[i].Key}").ConfigureAwait(false);
            return;
        }
        if (Profile.HasScripts && !_scriptsRefused && await TryWriteBitsByScriptAsync(writes).ConfigureAwait(false)) return;
        await WriteBitsCheckedAsync(writes, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks every key and offset, then writes: inside one script, so nothing runs in between. A key of another type
    /// or an offset Redis refuses (above proto-max-bulk-len, in bits) stops the batch before its first write; GETBIT
    /// checks the offset against the same limit as SETBIT and allocates nothing. On an OOM Redis refuses the script's
    /// first write, so nothing is written either. Should a SETBIT still fail after others ran, the reply says how many
    /// were written, so the message does not claim none were. Replies: the number of writes, or
    /// {'type', key, type}, {'offset', key, offset, error}, {'partial', key, writes done, error}.
    /// </summary>
    internal const string MarkScript = """
        for i = 1, #KEYS do
          local t = redis.call('TYPE', KEYS[i]).ok
          if t ~= 'none' and t ~= 'string' then return {'type', KEYS[i], t} end
          local r = redis.pcall('GETBIT', KEYS[i], ARGV[2 * i - 1])
          if type(r) == 'table' and r.err then return {'offset', KEYS[i], ARGV[2 * i - 1], r.err} end
        end
        for i = 1, #KEYS do
          local r = redis.pcall('SETBIT', KEYS[i], ARGV[2 * i - 1], ARGV[2 * i])
          if type(r) == 'table' and r.err then
            if i == 1 then return redis.error_reply(r.err) end
            return {'partial', KEYS[i], i - 1, r.err}
          end
        end
        return #KEYS
        """;

    /// <summary>The mark batch as one script call; false when the server refuses scripts (nothing ran).</summary>
    private async Task<bool> TryWriteBitsByScriptAsync(IReadOnlyList<BitWrite> writes)
    {
        var keys = writes.Select(w => (RedisKey)w.Key).ToArray();
        var args = writes.SelectMany(w => new RedisValue[] { w.Bit, w.Value ? 1 : 0 }).ToArray();
        RedisResult reply;
        try
        {
            reply = await Db.ScriptEvaluateAsync(MarkScript, keys, args).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsScriptingRefused(e.Message))
        {
            _scriptsRefused = true;
            return false;
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            // A lost connection or a timeout cannot tell whether the script ran (whole, as scripts do) or not.
            throw WriteFailed("mark batch", e, command: null, nothingWritten: RedisErrors.Classify(e) is not (RedisFailure.Timeout or RedisFailure.ConnectionLost));
        }
        if (reply.Resp2Type == ResultType.Array)
        {
            var parts = (RedisResult[])reply!;
            switch ((string?)parts[0])
            {
                case "type":
                    throw WrongType("mark batch", (string)parts[1]!, (string)parts[2]!);
                case "offset":
                    throw BadOffset((string)parts[1]!, (string)parts[2]!, (string)parts[3]!);
                case "partial":
                    throw new BitmapistStoreException(
                        $"The mark batch failed: Redis refused SETBIT {(string)parts[1]!} ({(string)parts[3]!}) after {(long)parts[2]} of its " +
                        $"{writes.Count} writes were applied; the rest were not. Marks are idempotent, so sending it again once the cause is fixed is safe.");
            }
        }
        return true;
    }

    /// <summary>A bit offset Redis refuses: above its limit of proto-max-bulk-len bytes (512 MiB unless configured lower).</summary>
    private static BitmapistStoreException BadOffset(string key, string offset, string error) =>
        new($"The mark batch was not written: Redis refuses bit offset {offset} of key '{key}' ({error}). Nothing of it was written. A bit " +
            "offset must be below 8 x proto-max-bulk-len (Redis' limit on a value's size, 512 MB unless configured lower): " +
            "raise it with CONFIG SET proto-max-bulk-len, or use smaller ids.");

    /// <summary>
    /// A Redis without scripts (an ACL without EVAL, the bitmapist-server profile forced on Redis): read every key's
    /// type, then MULTI/EXEC under WATCH of every key (through the client's conditions). A key changed by another
    /// client between the check and EXEC makes Redis discard the transaction, and the batch is tried again.
    /// </summary>
    private async Task WriteBitsCheckedAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
    {
        var keys = writes.Select(w => w.Key).Distinct(StringComparer.Ordinal).ToArray();
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            var db = Db;
            var types = keys.Select(k => db.KeyTypeAsync(k)).ToArray();
            try
            {
                await Task.WhenAll(types).ConfigureAwait(false);
            }
            catch (Exception e) when (RedisErrors.IsClientFailure(e))
            {
                throw WriteFailed("mark batch", e, command: null, nothingWritten: true);
            }
            for (var i = 0; i < keys.Length; i++)
                if (types[i].Result is not (RedisType.None or RedisType.String))
                    throw WrongType("mark batch", keys[i], types[i].Result.ToString().ToLowerInvariant());
            // Every offset, as the script checks them: a SETBIT Redis refuses inside EXEC would leave the others applied.
            var offsets = writes.Select(w => db.StringGetBitAsync(w.Key, w.Bit)).ToArray();
            try
            {
                await Task.WhenAll(offsets).ConfigureAwait(false);
            }
            catch (RedisServerException) when (Array.FindIndex(offsets, t => t.Exception?.InnerException is RedisServerException s &&
                s.Message.Contains("bit offset", StringComparison.OrdinalIgnoreCase)) is var bad and >= 0)
            {
                throw BadOffset(writes[bad].Key, writes[bad].Bit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    offsets[bad].Exception!.InnerException!.Message);
            }
            catch (RedisServerException e) when (RedisErrors.ClassifyMessage(e.Message) == RedisFailure.WrongType)
            {
                continue; // a key changed type since TYPE: check again
            }
            catch (Exception e) when (RedisErrors.IsClientFailure(e))
            {
                throw WriteFailed("mark batch", e, command: null, nothingWritten: true);
            }
            // The length, for a condition whose STRLEN after WATCH also fails if the key is no longer a string.
            var strlens = keys.Select((k, i) => types[i].Result == RedisType.String ? db.StringLengthAsync(k) : Task.FromResult(0L)).ToArray();
            try
            {
                await Task.WhenAll(strlens).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (RedisErrors.ClassifyMessage(e.Message) == RedisFailure.WrongType)
            {
                continue; // a key changed type since TYPE: check again
            }
            catch (Exception e) when (RedisErrors.IsClientFailure(e))
            {
                throw WriteFailed("mark batch", e, command: null, nothingWritten: true);
            }

            var tran = db.CreateTransaction();
            for (var i = 0; i < keys.Length; i++)
                tran.AddCondition(types[i].Result == RedisType.None ? Condition.KeyNotExists(keys[i]) : Condition.StringLengthEqual(keys[i], strlens[i].Result));
            var tasks = writes.Select(w => tran.StringSetBitAsync(w.Key, w.Bit, w.Value)).ToArray();
            if (await Commit(tran, tasks, "mark batch", i => $"SETBIT {writes[i].Key}", conditional: true).ConfigureAwait(false)) return;
            if (attempt == MaxWatchAttempts)
                throw new BitmapistStoreException(
                    $"The mark batch was not written: its keys changed under it {MaxWatchAttempts} times in a row (other " +
                    "clients write them). Nothing of the batch was written; try again, or allow EVAL for this user so " +
                    "the batch runs as one script.");
            await Task.Delay(Random.Shared.Next(1, 10 * attempt), ct).ConfigureAwait(false);
        }
    }

    private const int MaxWatchAttempts = 20;

    private static BitmapistStoreException WrongType(string what, string key, string type) =>
        new($"The {what} was not written: key '{key}' holds a {type}, not a bitmap (a Redis string). Nothing of it " +
            $"was written. That key is not bitmapist's: delete or rename it, or use another key prefix.");

    internal override async Task MergeAsync(IReadOnlyList<KeyValuePair<string, PagedBitmap>> bitmaps, CancellationToken ct)
    {
        // Each key: SET tmp <bitmap>; EXPIRE tmp; BITOP OR key key tmp; DEL tmp - in groups of about 32 MiB so a huge
        // import neither builds one giant request nor half-applies a group. On Redis a group is one call of the merge
        // script (types checked first, Redis' own error if it fails); without scripts one MULTI/EXEC.
        var ttl = TtlSeconds(Options.TemporaryTtl);
        var run = NewRunId();
        var i = 0;
        int keysApplied = 0, groupsApplied = 0;
        while (i < bitmaps.Count)
        {
            ct.ThrowIfCancellationRequested();
            var group = new List<(string Key, PagedBitmap Bitmap, byte[]? Payload, string Tmp)>();
            long bytes = 0;
            var first = i;
            for (; i < bitmaps.Count && bytes < 32 << 20; i++)
            {
                var (key, bitmap) = bitmaps[i];
                if (Profile == CapabilityProfile.BitmapistServer && SparseEnoughForSetBits(key, bitmap) is { } setBitBytes)
                {
                    group.Add((key, bitmap, null, ""));
                    bytes += setBitBytes;
                    continue;
                }
                var payload = bitmap.ToRedisBytes();
                if (payload.Length == 0) continue;
                bytes += payload.Length;
                group.Add((key, bitmap, payload, $"{Keys.TemporaryNamespace}import:{run}:{i}"));
            }
            try
            {
                if (group.Count > 0) await MergeGroupAsync(group, ttl).ConfigureAwait(false);
            }
            catch (BitmapistStoreException e)
            {
                var unknown = RedisErrors.Classify(e.InnerException ?? e) is RedisFailure.Timeout or RedisFailure.ConnectionLost;
                throw new BitmapistImportException(
                    $"{e.Message} Applied before the failure: {groupsApplied} group(s) of about 32 MiB, {keysApplied} of " +
                    $"{bitmaps.Count} key(s); " +
                    (unknown ? $"the failed group ({i - first} key(s)) all or none, the rest not"
                        : $"the failed group ({i - first} key(s)) and the rest were not applied") +
                    ". Marks are idempotent ORs: running the same import again is safe and gives exactly the full data.",
                    keysApplied, bitmaps.Count, groupsApplied, e.InnerException ?? e);
            }
            keysApplied += i - first;
            groupsApplied++;
        }
    }

    /// <summary>
    /// Merges one group of a bulk import into its keys: every destination's type checked, then per key
    /// SET tmp; EXPIRE tmp; BITOP OR key key tmp; UNLINK tmp. KEYS: the n destinations, then their n temporaries;
    /// ARGV: the n bitmaps, then the temporaries' TTL. A script answers with the error of the command that failed
    /// (OOM, NOPERM), which MULTI/EXEC reports only as EXECABORT; and on OOM Redis refuses its first write.
    /// </summary>
    internal const string MergeScript = """
        local n = #KEYS / 2
        for i = 1, n do
          local t = redis.call('TYPE', KEYS[i]).ok
          if t ~= 'none' and t ~= 'string' then return {KEYS[i], t} end
        end
        for i = 1, n do
          redis.call('SET', KEYS[n + i], ARGV[i])
          redis.call('EXPIRE', KEYS[n + i], ARGV[n + 1])
          redis.call('BITOP', 'OR', KEYS[i], KEYS[i], KEYS[n + i])
          redis.call('UNLINK', KEYS[n + i])
        end
        return n
        """;

    private async Task MergeGroupAsync(List<(string Key, PagedBitmap Bitmap, byte[]? Payload, string Tmp)> group, int ttl)
    {
        if (!_holdsOnlyBitmaps && Profile.HasScripts && !_scriptsRefused)
        {
            RedisKey[] keys = [.. group.Select(g => (RedisKey)g.Key), .. group.Select(g => (RedisKey)g.Tmp)];
            RedisValue[] args = [.. group.Select(g => (RedisValue)g.Payload), ttl];
            RedisResult? reply = null;
            try
            {
                reply = await Db.ScriptEvaluateAsync(MergeScript, keys, args).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (IsScriptingRefused(e.Message))
            {
                _scriptsRefused = true; // this group and the next go as MULTI/EXEC
            }
            catch (Exception e) when (RedisErrors.IsClientFailure(e))
            {
                throw WriteFailed("bulk import group", e, command: null, nothingWritten: RedisErrors.Classify(e) is not (RedisFailure.Timeout or RedisFailure.ConnectionLost));
            }
            if (reply is not null)
            {
                if (reply.Resp2Type == ResultType.Array && (RedisResult[])reply! is [var key, var type])
                    throw WrongType("bulk import group", (string)key!, (string)type!);
                return;
            }
        }

        if (!_holdsOnlyBitmaps) await CheckTypesAsync([.. group.Select(g => g.Key)], "bulk import group").ConfigureAwait(false);
        var tran = Db.CreateTransaction();
        var tasks = new List<Task>();
        var commands = new List<string>();
        foreach (var (key, bitmap, payload, tmp) in group)
        {
            if (payload is null)
            {
                foreach (var id in bitmap.Ids()) Add(tran.ExecuteAsync("SETBIT", key, (long)id, 1), $"SETBIT {key}");
                continue;
            }
            // Spelled out rather than through the typed API, which may choose other forms (UNLINK for a delete).
            Add(tran.ExecuteAsync("SET", tmp, payload), $"SET {tmp}");
            Add(tran.ExecuteAsync("EXPIRE", tmp, ttl), $"EXPIRE {tmp}");
            Add(tran.ExecuteAsync("BITOP", "OR", key, key, tmp), $"BITOP OR {key}");
            Add(tran.ExecuteAsync(DeleteCommand, tmp), $"{DeleteCommand} {tmp}");
        }
        await Commit(tran, [.. tasks], "bulk import group", n => commands[n], keys: () => group.Select(g => g.Key)).ConfigureAwait(false);

        void Add(Task task, string command)
        {
            tasks.Add(task);
            commands.Add(command);
        }
    }

    /// <summary>
    /// Refuses, before anything of it is sent, a write to keys of which one holds another type than a bitmap: the
    /// group's BITOP would fail inside EXEC while its other keys are written. Checked just before the group is sent; a
    /// key turned into another type by another client in between still fails inside EXEC, and the error says so.
    /// </summary>
    private async Task CheckTypesAsync(IReadOnlyList<string> keys, string what)
    {
        var db = Db;
        var types = keys.Select(k => db.KeyTypeAsync(k)).ToArray();
        try
        {
            await Task.WhenAll(types).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            Observe(types);
            var (cause, index) = RedisErrors.RealCause(e, types);
            throw WriteFailed(what, cause, index >= 0 ? $"TYPE {keys[index]}" : null, nothingWritten: true);
        }
        for (var i = 0; i < keys.Count; i++)
            if (types[i].Result is not (RedisType.None or RedisType.String))
                throw WrongType(what, keys[i], types[i].Result.ToString().ToLowerInvariant());
    }

    /// <summary>
    /// The request size of <paramref name="bitmap"/>'s ids sent as SETBITs, when the server would spend less time on
    /// them than on one SET of the bitmap, else null. bitmapist-server reads a SET's value one byte at a time into its
    /// roaring bitmap while it holds its one lock, and a value is as long as its highest id: importing id 2^32-1 sent
    /// 512 MiB and got no answer within the client's 5 s timeout. Measured on it: 7-26 ns per byte of a SET's value,
    /// 5-11 µs per SETBIT inside MULTI/EXEC; so SETBITs only for fewer ids than one per KiB of the value.
    /// </summary>
    private static long? SparseEnoughForSetBits(string key, PagedBitmap bitmap)
    {
        if (bitmap.Max() is not { } max) return null;
        var count = bitmap.Count();
        return count * 1024 < max / 8 + 1L ? count * (key.Length + 40L) : null; // "*4 $6 SETBIT $n key $10 id $1 1", CRLFs
    }

    internal override async Task<ProgramResult> RunAsync(BitmapProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Only a result read in pages after the batch (ids, max) is leased and needs a unique name.
        var leaseKey = program.Read is Query.ReadKind.Ids or Query.ReadKind.Max ? RedisBatch.LeasePrefix(Keys) + NewRunId() : "";
        var batch = RedisBatch.Build(program, RedisBatch.TempPrefix(Keys), leaseKey,
            TtlSeconds(Options.TemporaryTtl), TtlSeconds(Options.LeaseTtl));
        var db = Db; // an empty result never gets here: BitmapStore answers it without running anything
        if (batch.Read == BatchRead.Lease && !batch.NeedsTransaction)
            return new ProgramResult(0, new RedisIdSource(db, batch.ResultKey!, leased: false));

        RedisResult? reply;
        if (!batch.NeedsTransaction)
        {
            var read = batch.Commands[batch.ReadIndex];
            reply = await Guard(db, () => db.ExecuteAsync(read.Name, [.. read.Args]), read.Name, batch.ResultKey!).ConfigureAwait(false);
        }
        else
        {
            var tran = db.CreateTransaction();
            var tasks = batch.Commands.Select(c => tran.ExecuteAsync(c.Name, [.. c.Args])).ToArray();
            try
            {
                // One round trip that deletes its own temporaries. It is not abandoned half-way on
                // cancellation: the call returns only once the server has run it, so when it returns no
                // temporary remains; cancellation is honoured right after.
                await Commit(tran, tasks, "query", i => Describe(batch.Commands[i]), keys: () => KeysOf(batch.Commands)).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
            }
            catch when (batch.ResultIsLeased)
            {
                await DropLeaseAsync(db, batch.ResultKey!).ConfigureAwait(false);
                throw;
            }
            reply = batch.ReadIndex >= 0 ? await tasks[batch.ReadIndex].ConfigureAwait(false) : null;
        }

        return batch.Read switch
        {
            BatchRead.Integer => new ProgramResult((long)reply!),
            BatchRead.Value => new ProgramResult(0, new BitmapIdSource(PagedBitmap.FromRedisBytes((byte[]?)reply ?? []))),
            _ => new ProgramResult(0, new RedisIdSource(db, batch.ResultKey!, batch.ResultIsLeased)),
        };
    }

    internal override async Task<long[]> RunCountsAsync(CountsProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_scriptsRefused && RedisCountsScript.CanRun(program))
        {
            var script = _scripts.GetValue(program, p => new PreparedScript(RedisCountsScript.Build(p, RedisBatch.TempPrefix(Keys))));
            var counts = await RunCountsScriptAsync(script).ConfigureAwait(false);
            if (counts is not null)
            {
                ct.ThrowIfCancellationRequested();
                return counts;
            }
        }
        return await RunCountsTransactionAsync(program, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Set once the server refuses EVAL (an ACL without scripting, a proxy that does not pass it, a Lua without
    /// cmsgpack): from then on tables run as MULTI/EXEC, which gives the same counts.
    /// </summary>
    private volatile bool _scriptsRefused;

    internal override bool CountsByScript => !_scriptsRefused;

    /// <summary>
    /// The script call of each program, kept as long as the program is: cohort plans are cached per store, so a
    /// repeated table sends ready arguments instead of encoding thousands again.
    /// </summary>
    private readonly ConditionalWeakTable<CountsProgram, PreparedScript> _scripts = new();

    private sealed class PreparedScript(RedisCountsScript script)
    {
        public RedisKey[] Keys { get; } = [.. script.Keys.Select(k => (RedisKey)k)];
        public RedisValue[] Args { get; } = [.. script.Args.Select(a => (RedisValue)a)];
        public ImmutableArray<int> ReplyIndexes { get; } = script.ReplyIndexes;
        public bool IsEmpty { get; } = script.IsEmpty;
    }

    /// <summary>One call of the counts script; null when the server refuses scripts (nothing ran).</summary>
    private async Task<long[]?> RunCountsScriptAsync(PreparedScript script)
    {
        var counts = new long[script.ReplyIndexes.Length];
        if (script.IsEmpty) return counts;
        RedisResult reply;
        try
        {
            // StackExchange.Redis sends EVALSHA once the script is cached on the server, EVAL the first time
            // (and again after a SCRIPT FLUSH or restart): one round trip either way.
            reply = await Db.ScriptEvaluateAsync(RedisCountsScript.Source, script.Keys, script.Args).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsScriptingRefused(e.Message))
        {
            _scriptsRefused = true;
            return null;
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            throw BatchFailed("cohort batch", e, "EVALSHA <counts script>");
        }
        var values = (RedisResult[])reply!;
        for (var i = 0; i < counts.Length; i++)
            if (script.ReplyIndexes[i] >= 0) counts[i] = (long)values[script.ReplyIndexes[i]];
        return counts;
    }

    // A NOPERM about the keys (the user may not read them) is not a refusal of scripts: MULTI/EXEC would fail the same way.
    private static bool IsScriptingRefused(string message) =>
        (message.StartsWith("NOPERM", StringComparison.Ordinal) &&
            (message.Contains("'eval", StringComparison.OrdinalIgnoreCase) || message.Contains("script", StringComparison.OrdinalIgnoreCase))) ||
        message.StartsWith("ERR unknown command", StringComparison.OrdinalIgnoreCase) ||
        message.Contains("scripting is disabled", StringComparison.OrdinalIgnoreCase) ||
        message.Contains("'cmsgpack'", StringComparison.Ordinal); // a build without Redis' bundled Lua libraries

    /// <summary>The table as one MULTI/EXEC of every step and read (bitmapist-server, or a Redis that refuses scripts).</summary>
    private async Task<long[]> RunCountsTransactionAsync(CountsProgram program, CancellationToken ct)
    {
        var batch = RedisCountsBatch.Build(program, RedisBatch.TempPrefix(Keys), TtlSeconds(Options.TemporaryTtl));
        var counts = new long[program.Reads.Length];
        if (batch.IsEmpty) return counts;
        // Always one MULTI/EXEC, even without temporaries: one round trip, and every count from one snapshot.
        var tran = Db.CreateTransaction();
        var tasks = batch.Commands.Select(c => tran.ExecuteAsync(c.Name, [.. c.Args])).ToArray();
        // As for one query: the call returns once the server ran the whole batch (which deleted its
        // temporaries); cancellation is honoured right after.
        await Commit(tran, tasks, "cohort batch", i => Describe(batch.Commands[i]), keys: () => KeysOf(batch.Commands)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        for (var i = 0; i < counts.Length; i++)
            if (batch.ReadIndexes[i] >= 0) counts[i] = (long)await tasks[batch.ReadIndexes[i]].ConfigureAwait(false);
        return counts;
    }

    /// <summary>Deletes a leased result; if Redis is gone the key's TTL removes it.</summary>
    internal static async Task DropLeaseAsync(IDatabase db, string key)
    {
        try
        {
            await db.KeyDeleteAsync(key).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            // The lease carries a TTL: it expires by itself.
        }
    }

    internal override async IAsyncEnumerable<string> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (Profile == CapabilityProfile.BitmapistServer)
        {
            // bitmapist-server accepts SCAN only as "SCAN cursor MATCH pattern COUNT n" and answers every key at
            // once with cursor 0; the loop still follows a cursor, should it ever page.
            var cursor = "0";
            do
            {
                ct.ThrowIfCancellationRequested();
                var reply = (RedisResult[])(await Guard(Db, () => Db.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1000), "SCAN", pattern).ConfigureAwait(false))!;
                cursor = (string)reply[0]!;
                foreach (var key in (RedisResult[])reply[1]!) yield return (string)key!;
            }
            while (cursor != "0");
            yield break;
        }
        var server = Connection.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)
            ?? throw new BitmapistStoreException("No connected Redis primary to scan.");
        var db = _database < 0 ? 0 : _database;
        await foreach (var key in server.KeysAsync(db, pattern, pageSize: 1000).WithCancellation(ct).ConfigureAwait(false))
            yield return key.ToString();
    }

    internal override async Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        long n = 0;
        var done = 0;
        foreach (var chunk in keys.Chunk(500))
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                n += (long)await Db.ExecuteAsync(DeleteCommand, chunk).ConfigureAwait(false);
            }
            catch (Exception e) when (RedisErrors.IsClientFailure(e))
            {
                // One command per chunk: the chunks before this one are deleted, this one all or not at all.
                throw new BitmapistStoreException(
                    $"Deleting keys failed after {done} of {keys.Count} were deleted (one {DeleteCommand} per 500 keys): " +
                    $"{RedisErrors.Describe(e, RedisErrors.Host(Connection), $"{DeleteCommand} {chunk[0]}")}. Running the deletion again finishes it.", e);
            }
            done += chunk.Length;
        }
        return n;
    }

    internal override async Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var db = Db;
        // bitmapist-server's EXISTS takes one key: one command per key there, one EXISTS k1 k2 ... per group on
        // Redis. Either way every command is sent before any answer is awaited: one round trip.
        var perKey = Profile == CapabilityProfile.BitmapistServer;
        async Task<bool> Any(IReadOnlyList<string> keys) => keys.Count > 0 && (perKey
            ? (await Task.WhenAll(keys.Select(k => db.KeyExistsAsync(k))).ConfigureAwait(false)).Any(e => e)
            : await db.KeyExistsAsync([.. keys.Select(k => (RedisKey)k)]).ConfigureAwait(false) > 0);
        var tasks = groups.Select(Any).ToArray();
        return await Guard(db, () => Task.WhenAll(tasks), "EXISTS", groups.FirstOrDefault(g => g.Count > 0)?[0] ?? "").ConfigureAwait(false);
    }

    /// <summary>UNLINK frees memory in the background; bitmapist-server only has DEL.</summary>
    private string DeleteCommand => Profile == CapabilityProfile.BitmapistServer ? "DEL" : "UNLINK";

    /// <summary>
    /// Runs a transaction and turns any failure into one sentence that names the real cause (the queued command's own
    /// error, not the EXECABORT that hides it), the client's detail kept as the inner exception. Returns false only
    /// for a <paramref name="conditional"/> transaction whose WATCHed keys changed (nothing ran).
    /// <paramref name="describe"/> gives a failed command as "NAME key", by its index in <paramref name="tasks"/>;
    /// <paramref name="keys"/> the batch's keys, to find one the ACL denies when Redis discarded the batch.
    /// </summary>
    private async Task<bool> Commit(ITransaction tran, Task[] tasks, string what, Func<int, string>? describe = null, bool conditional = false,
        Func<IEnumerable<string>>? keys = null)
    {
        bool committed;
        try
        {
            committed = await tran.ExecuteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            Observe(tasks);
            var (cause, index) = RedisErrors.RealCause(e, tasks);
            if (index < 0 && e.Message.StartsWith("EXECABORT", StringComparison.Ordinal))
            {
                if (keys is not null && await FindDeniedKeyAsync(keys()).ConfigureAwait(false) is var (denied, key))
                    throw BatchFailed(what, denied, $"the batch's commands on {key}");
                cause = new InvalidOperationException(AbortExplained, e);
            }
            throw BatchFailed(what, cause, index >= 0 ? describe?.Invoke(index) : null);
        }
        if (!committed)
        {
            Observe(tasks);
            // Not committed: a WATCHed key changed (conditional), or Redis refused a command while queuing (EXECABORT).
            var (cause, index) = RedisErrors.RealCause(new InvalidOperationException(AbortExplained), tasks);
            if (conditional && index < 0) return false;
            throw BatchFailed(what, cause, index >= 0 ? describe?.Invoke(index) : null);
        }
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (RedisServerException)
        {
            var (cause, index) = RedisErrors.RealCause(new InvalidOperationException("a command failed inside EXEC"), tasks);
            throw BatchFailed(what, cause, index >= 0 ? describe?.Invoke(index) : null, ranPartly: true);
        }
        return true;
    }

    /// <summary>
    /// The first of <paramref name="keys"/> the ACL denies this user, with Redis' NOPERM: a read-only EXISTS of each,
    /// pipelined. Null when none is denied (or the check itself fails): the cause of an EXECABORT stays unknown.
    /// </summary>
    private async Task<(Exception Denied, string Key)?> FindDeniedKeyAsync(IEnumerable<string> keys)
    {
        var db = Db;
        var list = keys.Distinct(StringComparer.Ordinal).Take(1000).ToArray();
        var checks = list.Select(k => db.ExecuteAsync("EXISTS", k)).ToArray();
        try
        {
            await Task.WhenAll(checks).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            for (var i = 0; i < checks.Length; i++)
                if (checks[i].Exception?.InnerException is RedisServerException s && RedisErrors.ClassifyMessage(s.Message) == RedisFailure.NoPermission)
                    return (s, list[i]);
            return null;
        }
    }

    /// <summary>
    /// Why Redis discarded a transaction (EXECABORT): it refused a command while queuing it, and StackExchange.Redis
    /// reports only EXECABORT for each queued command, so which one and why is lost. Redis' memory figures cannot
    /// tell either: the queued request counted in its used memory and is freed once discarded, and INFO needs the
    /// client's admin mode. Paths that can run scripts avoid this (a script answers with the command's own error).
    /// </summary>
    private const string AbortExplained = "Redis discarded the transaction (EXECABORT) because it refused one of its " +
        "commands while queuing them, and the client does not say which or why; the usual causes are OOM (used memory, " +
        "with this request, above maxmemory) and NOPERM (the ACL)";

    /// <summary>
    /// The exception for a batch that failed with <paramref name="cause"/>; <paramref name="ranPartly"/>: EXEC ran
    /// and a command failed inside it, so its other commands were applied.
    /// </summary>
    private Exception BatchFailed(string what, Exception cause, string? command, bool ranPartly = false)
    {
        var isRead = what is "query" or "cohort batch";
        var kind = RedisErrors.Classify(cause);
        var reason = RedisErrors.Describe(cause, RedisErrors.Host(Connection), command);
        if (isRead && kind is RedisFailure.WrongType or RedisFailure.Other)
            return new BitmapistQueryException($"The {what} failed: {reason}.",
                "Check that every key the query reads is a bitmap (a Redis string).", cause);
        if (isRead)
            return new BitmapistStoreException($"The {what} was not answered: {reason}." + (kind == RedisFailure.Timeout
                ? " Redis may still run it (it deletes its own temporaries, which carry a TTL). Raise syncTimeout/asyncTimeout in the connection string for very large bitmaps."
                : ""), cause);
        return WriteFailed(what, cause, command, nothingWritten: !ranPartly && kind is not (RedisFailure.Timeout or RedisFailure.ConnectionLost));
    }

    /// <summary>
    /// The exception for a failed write (a mark batch, a group of a bulk import): the cause and what was written.
    /// A timeout or a lost connection cannot tell whether EXEC ran, but the batch is one transaction or script:
    /// all of it or none.
    /// </summary>
    private Exception WriteFailed(string what, Exception cause, string? command, bool nothingWritten)
    {
        var kind = RedisErrors.Classify(cause);
        var reason = RedisErrors.Describe(cause, RedisErrors.Host(Connection), command);
        var written = nothingWritten ? "Nothing of it was written"
            : kind is RedisFailure.Timeout or RedisFailure.ConnectionLost
                ? "It was applied completely or not at all (one transaction); marks are idempotent, so sending it again is safe"
                : "Its other commands were applied; marks are idempotent, so sending it again once the cause is fixed is safe";
        return new BitmapistStoreException($"The {what} failed: {reason}. {written}.", cause);
    }

    /// <summary>
    /// The store's keys among the arguments of <paramref name="commands"/>, event keys before temporaries: a message
    /// should name the key the user asked about.
    /// </summary>
    private IEnumerable<string> KeysOf(IEnumerable<Execution.RedisCommand> commands) =>
        commands.SelectMany(c => c.Args.OfType<string>()).Where(a => a.StartsWith(Keys.Prefix, StringComparison.Ordinal))
            .OrderBy(k => k.StartsWith(Keys.TemporaryNamespace, StringComparison.Ordinal) ? 1 : 0);

    /// <summary>A command for messages: its name and its first arguments (the keys, for bitmap commands), not its payloads.</summary>
    private static string Describe(Execution.RedisCommand c) =>
        string.Join(' ', c.Args.Take(c.Name == "BITOP" ? 3 : 1).Select(a => a is byte[] ? "<bytes>" : a.ToString()).Prepend(c.Name));

    private static void Observe(IEnumerable<Task> tasks)
    {
        foreach (var t in tasks) _ = t.ContinueWith(x => x.Exception, TaskScheduler.Default);
    }

    /// <summary>
    /// Runs one command, turning connection failures and server errors into this library's exceptions: one sentence
    /// that names the cause (and the command and key), the client's detail as the inner exception.
    /// </summary>
    internal static async Task<T> Guard<T>(IDatabase db, Func<Task<T>> command, string name, string key)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            var kind = RedisErrors.Classify(e);
            var reason = RedisErrors.Describe(e, RedisErrors.Host(db.Multiplexer), $"{name} {key}");
            if (kind is RedisFailure.WrongType or RedisFailure.Other)
                throw new BitmapistQueryException($"Redis refused {name} on '{key}': {reason}.", "Check that the key is a bitmap (a Redis string).", e);
            throw new BitmapistStoreException($"The read of '{key}' failed ({name}): {reason}. It was not answered.", e);
        }
    }

    private static string NewRunId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <inheritdoc />
    public override void Dispose()
    {
        if (_ownsConnection) Connection.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_ownsConnection) await Connection.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}
