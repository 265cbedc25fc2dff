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
    /// server's capability profile unless <see cref="StoreOptions.Profile"/> forces one.
    /// </summary>
    /// <exception cref="BitmapistStoreException">The server cannot be reached.</exception>
    public static async Task<RedisStore> ConnectAsync(string configuration, StoreOptions? options = null)
    {
        ConnectionMultiplexer mux;
        try
        {
            var config = ConfigurationOptions.Parse(configuration);
            config.AbortOnConnectFail = true;
            mux = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisConnectionException or RedisTimeoutException or ArgumentException)
        {
            // StackExchange.Redis appends advice about abortConnect, which does not apply here: keep the first sentence.
            var reason = e.Message.Split(". ", 2)[0].TrimEnd('.');
            throw new BitmapistStoreException($"Cannot connect to Redis at '{configuration}': {reason}.", e);
        }
        var profile = options?.Profile ?? await DetectProfileAsync(mux).ConfigureAwait(false);
        return new RedisStore(mux, profile, options, ownsConnection: true);
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
    /// Detects the profile: a server without BITPOS is bitmapist-server
    /// (<see cref="CapabilityProfile.BitmapistServer"/>); otherwise Redis 8.2 or later gets
    /// <see cref="CapabilityProfile.Redis8"/> and older Redis <see cref="CapabilityProfile.Redis7"/>.
    /// </summary>
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
        var ttl = TimeSpan.FromSeconds(TtlSeconds(Options.TemporaryTtl));
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
                var payload = bitmap.ToRedisBytes();
                if (payload.Length == 0) continue;
                bytes += payload.Length;
                var tmp = $"{Keys.TemporaryNamespace}import:{run}:{i}";
                tasks.Add(tran.StringSetAsync(tmp, payload));
                tasks.Add(tran.KeyExpireAsync(tmp, ttl));
                tasks.Add(tran.StringBitOperationAsync(Bitwise.Or, key, [key, tmp]));
                tasks.Add(tran.KeyDeleteAsync(tmp));
            }
            if (tasks.Count > 0) await Commit(tran, [.. tasks], "bulk import").ConfigureAwait(false);
        }
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
            // UNLINK frees memory in the background; bitmapist-server only has DEL.
            var command = Profile == CapabilityProfile.BitmapistServer ? "DEL" : "UNLINK";
            n += (long)await Guard(() => Db.ExecuteAsync(command, chunk), command).ConfigureAwait(false);
        }
        return n;
    }

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
