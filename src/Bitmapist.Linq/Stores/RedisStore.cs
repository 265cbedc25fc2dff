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
/// Reads and writes bitmapist's keys unchanged. Every query runs as one MULTI/EXEC batch; marks as one
/// MULTI/EXEC per batch; nothing half-written is left if the server goes away.
/// </summary>
public sealed class RedisStore : BitmapStore
{
    private readonly bool _ownsConnection;
    private readonly int _database;

    /// <summary>Wraps an existing connection; <paramref name="profile"/> as detected by <see cref="DetectProfileAsync"/> or chosen.</summary>
    public RedisStore(IConnectionMultiplexer connection, CapabilityProfile profile, StoreOptions? options = null, int database = -1, bool ownsConnection = false)
        : base(options)
    {
        Connection = connection;
        Profile = Options.Profile ?? profile;
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
            var profile = options?.Profile ?? detected ?? await DetectProfileAsync(mux).ConfigureAwait(false);
            return new RedisStore(mux, profile, options, ownsConnection: true);
        }
        catch
        {
            await mux.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
    /// (<see cref="CapabilityProfile.BitmapistServer"/>); otherwise Redis 8.2 or later gets
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
        catch (RedisServerException)
        {
            return CapabilityProfile.BitmapistServer;
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            throw new BitmapistStoreException($"Redis could not be reached while detecting its capabilities: {e.Message}", e);
        }
        // StackExchange.Redis reads the version during its handshake.
        return CapabilityProfile.ForRedisVersion(server.Version);
    }

    internal override async Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var tran = Db.CreateTransaction();
        var tasks = writes.Select(w => tran.StringSetBitAsync(w.Key, w.Bit, w.Value)).ToArray();
        await Commit(tran, tasks, "mark batch").ConfigureAwait(false);
    }

    internal override async Task MergeAsync(IReadOnlyList<KeyValuePair<string, PagedBitmap>> bitmaps, CancellationToken ct)
    {
        // Each key: SET tmp <bitmap>; EXPIRE tmp; BITOP OR key key tmp; DEL tmp - grouped into transactions
        // of about 32 MiB so a huge import neither builds one giant request nor half-applies a group.
        var ttl = TtlSeconds(Options.TemporaryTtl);
        var run = NewRunId();
        var i = 0;
        while (i < bitmaps.Count)
        {
            ct.ThrowIfCancellationRequested();
            var tran = Db.CreateTransaction();
            var tasks = new List<Task>();
            long bytes = 0;
            for (; i < bitmaps.Count && bytes < 32 << 20; i++)
            {
                var (key, bitmap) = bitmaps[i];
                if (Profile == CapabilityProfile.BitmapistServer && SparseEnoughForSetBits(key, bitmap) is { } setBitBytes)
                {
                    foreach (var id in bitmap.Ids()) tasks.Add(tran.ExecuteAsync("SETBIT", key, (long)id, 1));
                    bytes += setBitBytes;
                    continue;
                }
                var payload = bitmap.ToRedisBytes();
                if (payload.Length == 0) continue;
                bytes += payload.Length;
                var tmp = $"{Keys.TemporaryNamespace}import:{run}:{i}";
                // Spelled out rather than through the typed API, which may choose other forms (UNLINK for a delete).
                tasks.Add(tran.ExecuteAsync("SET", tmp, payload));
                tasks.Add(tran.ExecuteAsync("EXPIRE", tmp, ttl));
                tasks.Add(tran.ExecuteAsync("BITOP", "OR", key, key, tmp));
                tasks.Add(tran.ExecuteAsync(DeleteCommand, tmp));
            }
            if (tasks.Count > 0) await Commit(tran, [.. tasks], "bulk import").ConfigureAwait(false);
        }
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
            reply = await Guard(() => db.ExecuteAsync(read.Name, [.. read.Args]), batch.ResultKey!).ConfigureAwait(false);
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
                await Commit(tran, tasks, "query").ConfigureAwait(false);
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
        catch (RedisTimeoutException e)
        {
            throw new BitmapistStoreException(
                "The cohort batch got no answer in time. Redis may still run it (it is one atomic script that deletes " +
                $"its temporaries). Raise syncTimeout/asyncTimeout in the connection string for very large tables. ({e.Message})", e);
        }
        catch (Exception e) when (e is RedisConnectionException or ObjectDisposedException)
        {
            throw new BitmapistStoreException($"The cohort batch was not applied: Redis could not be reached ({e.Message}).", e);
        }
        catch (RedisServerException e)
        {
            throw new BitmapistQueryException($"Redis refused a command of the cohort batch: {e.Message}.",
                "Check that every key the query reads is a bitmap (a Redis string).", e);
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
        await Commit(tran, tasks, "cohort batch").ConfigureAwait(false);
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
        if (Profile == CapabilityProfile.BitmapistServer)
        {
            // bitmapist-server accepts SCAN only as "SCAN cursor MATCH pattern COUNT n" and answers every key at
            // once with cursor 0; the loop still follows a cursor, should it ever page.
            var cursor = "0";
            do
            {
                ct.ThrowIfCancellationRequested();
                var reply = (RedisResult[])(await Guard(() => Db.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1000), pattern).ConfigureAwait(false))!;
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
        foreach (var chunk in keys.Chunk(500))
        {
            ct.ThrowIfCancellationRequested();
            n += (long)await Guard(() => Db.ExecuteAsync(DeleteCommand, chunk), DeleteCommand).ConfigureAwait(false);
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
        return await Guard(() => Task.WhenAll(tasks), "EXISTS").ConfigureAwait(false);
    }

    /// <summary>UNLINK frees memory in the background; bitmapist-server only has DEL.</summary>
    private string DeleteCommand => Profile == CapabilityProfile.BitmapistServer ? "DEL" : "UNLINK";

    /// <summary>Runs a transaction and surfaces the first failure of a command inside it as a clear error.</summary>
    private static async Task Commit(ITransaction tran, Task[] tasks, string what)
    {
        bool committed;
        try
        {
            committed = await tran.ExecuteAsync().ConfigureAwait(false);
        }
        catch (RedisTimeoutException e)
        {
            Observe(tasks);
            throw new BitmapistStoreException(
                $"The {what} got no answer in time. Redis may still apply it, all of it or none (it is one MULTI/EXEC; " +
                $"temporaries are deleted by the same batch and carry a TTL). Raise syncTimeout/asyncTimeout in the " +
                $"connection string for very large bitmaps. ({e.Message})", e);
        }
        catch (Exception e) when (e is RedisConnectionException or ObjectDisposedException)
        {
            Observe(tasks);
            throw new BitmapistStoreException($"The {what} was not applied: Redis could not be reached ({e.Message}).", e);
        }
        if (!committed)
            throw new BitmapistStoreException($"The {what} was not applied: Redis discarded the transaction.");
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (RedisServerException e)
        {
            throw new BitmapistQueryException($"Redis refused a command of the {what}: {e.Message}.",
                "Check that every key the query reads is a bitmap (a Redis string).", e);
        }
    }

    private static void Observe(Task[] tasks)
    {
        foreach (var t in tasks) _ = t.ContinueWith(x => x.Exception, TaskScheduler.Default);
    }

    /// <summary>Runs one command, turning connection failures and server errors into this library's exceptions.</summary>
    internal static async Task<T> Guard<T>(Func<Task<T>> command, string what)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException)
        {
            throw new BitmapistStoreException($"Redis could not be reached while reading '{what}': {e.Message}", e);
        }
        catch (RedisServerException e)
        {
            throw new BitmapistQueryException($"Redis refused a command on '{what}': {e.Message}.",
                "Check that the key is a bitmap (a Redis string).", e);
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
