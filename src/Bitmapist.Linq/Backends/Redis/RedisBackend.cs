using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Bitmapist.Linq.Bitmaps;
using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>
/// The Redis back end (and bitmapist-server's, which speaks enough of Redis) through StackExchange.Redis. A
/// program of one read is one MULTI/EXEC (<see cref="RedisBatch"/>); a program of many counts one call of the
/// counts script (<see cref="RedisCountsScript"/>), or one MULTI/EXEC where scripts are refused
/// (<see cref="RedisCountsBatch"/>). A mark batch is one script that checks every key's type and offset before it
/// writes (all or nothing). Errors name their real cause (OOM, NOPERM, WRONGTYPE, a lost connection) in one
/// sentence, built by <see cref="RedisErrors"/>. This file holds the connection, the seam's entry points and the
/// transaction helper; the writes, the reads and the key space are the partial files beside it.
/// </summary>
internal sealed partial class RedisBackend : IBitmapBackend, Sharded.IShardableBackend
{
    private readonly bool _ownsConnection;

    /// <summary>
    /// The server is bitmapist-server (as detected, or as the caller of the constructor declared), which holds only
    /// bitmaps: no key can be of another type, so writes need no type check (nor could make one: it has no TYPE).
    /// Not so for a Redis merely given the bitmapist-server profile through <see cref="Stores.StoreOptions.Profile"/>.
    /// </summary>
    private readonly bool _holdsOnlyBitmaps;
    private readonly int _database;

    /// <summary>A shard's width in bits for the sharded layout (new keys are created this long), else 0.</summary>
    private uint _presizeBits;

    /// <summary>The offset of a shard's last bit, which the write scripts touch to create a key at full size; -1 when not sharded.</summary>
    private long PresizeOffset => _presizeBits == 0 ? -1 : _presizeBits - 1L;

    public RedisBackend(IConnectionMultiplexer connection, CapabilityProfile profile, bool holdsOnlyBitmaps, Stores.StoreOptions options,
        int database, bool ownsConnection)
    {
        Connection = connection;
        Profile = profile;
        _holdsOnlyBitmaps = holdsOnlyBitmaps;
        Options = options;
        _database = database;
        _ownsConnection = ownsConnection;
        _isCluster = Stores.RedisStore.IsCluster(connection);
    }

    public IConnectionMultiplexer Connection { get; }

    /// <inheritdoc />
    public bool BatchesSpanShards => !_isCluster;

    /// <summary>Whether the connection is to a Redis Cluster: read once (a connection never turns into or out of one).</summary>
    private readonly bool _isCluster;

    /// <inheritdoc />
    public IBitmapBackend ForShard(string keyPrefix, uint shardWidth) =>
        new RedisBackend(Connection, Profile, _holdsOnlyBitmaps, Options with { Keys = new Model.KeyScheme(keyPrefix) }, _database, ownsConnection: false)
        {
            _presizeBits = shardWidth,
        };

    /// <inheritdoc />
    public CapabilityProfile Profile { get; }

    private Stores.StoreOptions Options { get; }

    private Model.KeyScheme Keys => Options.Keys;

    private IDatabase Db => Connection.GetDatabase(_database);

    private static int TtlSeconds(TimeSpan ttl) => (int)Math.Max(1, Math.Ceiling(ttl.TotalSeconds));

    /// <summary>
    /// The TTL of a query's kept scratch keys, 0 to delete them in the batch. Never on bitmapist-server: the page
    /// faults that keeping them avoids are Redis' allocator's (docs/performance.md), and its keys go to its data file.
    /// </summary>
    private int ScratchTtlSeconds => ScratchSeconds(Options, Profile);

    internal static int ScratchSeconds(Stores.StoreOptions options, CapabilityProfile profile) =>
        options.ScratchTtl <= TimeSpan.Zero || profile == CapabilityProfile.BitmapistServer ? 0 : TtlSeconds(options.ScratchTtl);

    /// <inheritdoc />
    public Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
    {
        if (program.IsEmpty) return Task.FromResult<ReadResult[]>([.. program.Reads.Select(ReadResult.OfEmpty)]);
        // On a cluster a count of one shard goes as one call of the counts script too: a MULTI/EXEC costs the client a
        // Task per queued command, and this runs once per shard (measured: 25-51% less client CPU per shard).
        var asOne = program.Reads.Length == 1 && (BatchesSpanShards || !program.CountsOnly);
        return RetryingRedirectsAsync(async () => asOne
            ? [await RunQueryAsync(program, ct).ConfigureAwait(false)]
            : await RunManyAsync(program, ct).ConfigureAwait(false), ct);
    }

    /// <summary>
    /// Runs <paramref name="attempt"/>, and on a cluster runs it again while the cluster turns it away because its slot
    /// is moving (<see cref="RedisErrors.IsClusterRedirect"/>), with a growing pause, until the client's timeout has
    /// passed: then the last error stands. Safe because nothing of a turned-away batch ran, and every batch may run
    /// twice anyway (marks and merges are ORs; a query rewrites its temporaries before it reads them). While a slot
    /// migrates Redis refuses every multi-key batch of it; when the move ends the client learns the new owner after
    /// one or two refusals (design/scale-out.md).
    /// </summary>
    private async Task<T> RetryingRedirectsAsync<T>(Func<Task<T>> attempt, CancellationToken ct)
    {
        if (BatchesSpanShards) return await attempt().ConfigureAwait(false);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var budget = TimeSpan.FromMilliseconds(Math.Max(Connection.TimeoutMilliseconds, 1000));
        for (var pause = 2; ; pause = Math.Min(pause * 2, 250))
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (Exception e) when (RedisErrors.IsClusterRedirect(e) && System.Diagnostics.Stopwatch.GetElapsedTime(started) < budget)
            {
                Redirects.Add(1);
                await Task.Delay(pause + Random.Shared.Next(pause), ct).ConfigureAwait(false);
            }
        }
    }

    private Task RetryingRedirectsAsync(Func<Task> attempt, CancellationToken ct) =>
        RetryingRedirectsAsync(async () =>
        {
            await attempt().ConfigureAwait(false);
            return true;
        }, ct);

    /// <summary>How many batches a cluster turned away and were sent again (for tests and diagnostics).</summary>
    internal static readonly System.Diagnostics.Metrics.Counter<long> Redirects =
        new System.Diagnostics.Metrics.Meter("Bitmapist.Linq").CreateCounter<long>("bitmapist.redis.cluster_redirects");

    /// <inheritdoc />
    public IEnumerable<string> Describe(BatchProgram program) =>
        Explain(program, Keys, TtlSeconds(Options.TemporaryTtl), TtlSeconds(Options.LeaseTtl), scripts: !_scriptsRefused, oneCountAsScript: !BatchesSpanShards,
            scratchTtlSeconds: ScratchTtlSeconds);

    /// <summary>
    /// What explain prints for <paramref name="program"/> on Redis: the commands of its one batch, a MULTI/EXEC for one
    /// read, the counts script call for many (the MULTI/EXEC instead without <paramref name="scripts"/>).
    /// </summary>
    internal static IEnumerable<string> Explain(BatchProgram program, Model.KeyScheme keys, int tempTtlSeconds, int leaseTtlSeconds, bool scripts,
        bool oneCountAsScript = false, int scratchTtlSeconds = 0)
    {
        if (program.Reads.Length != 1 || (oneCountAsScript && program.CountsOnly)) return RedisCountsBatch.Explain(program, keys, tempTtlSeconds, scripts);
        var batch = RedisBatch.Build(program, RedisBatch.TempPrefix(keys), RedisBatch.LeasePrefix(keys) + Planning.ExplainPrinter.LeasePlaceholder,
            tempTtlSeconds, leaseTtlSeconds, scratchTtlSeconds);
        return RedisBatch.Explain(batch);
    }

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
                cause = new InvalidOperationException(RedisErrors.AbortExplained, e);
            }
            throw BatchFailed(what, cause, index >= 0 ? describe?.Invoke(index) : null);
        }
        if (!committed)
        {
            Observe(tasks);
            // Not committed: a WATCHed key changed (conditional), or Redis refused a command while queuing (EXECABORT).
            var (cause, index) = RedisErrors.RealCause(new InvalidOperationException(RedisErrors.AbortExplained), tasks);
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
        var checks = list.Select(k => db.ExecuteAsync("EXISTS", (RedisKey)k)).ToArray();
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

    private Exception BatchFailed(string what, Exception cause, string? command, bool ranPartly = false) =>
        RedisErrors.BatchFailed(what, cause, RedisErrors.Host(Connection), command, ranPartly);

    private Exception WriteFailed(string what, Exception cause, string? command, bool nothingWritten) =>
        RedisErrors.WriteFailed(what, cause, RedisErrors.Host(Connection), command, nothingWritten);

    /// <summary>
    /// The store's keys among the arguments of <paramref name="commands"/>, event keys before temporaries: a message
    /// should name the key the user asked about.
    /// </summary>
    private IEnumerable<string> KeysOf(IEnumerable<RedisCommand> commands) =>
        commands.SelectMany(c => c.Args.OfType<string>()).Where(a => a.StartsWith(Keys.Prefix, StringComparison.Ordinal))
            .OrderBy(k => k.StartsWith(Keys.TemporaryNamespace, StringComparison.Ordinal) ? 1 : 0);

    /// <summary>A command for messages: its name and its first arguments (the keys, for bitmap commands), not its payloads.</summary>
    private static string Describe(RedisCommand c) =>
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
            throw RedisErrors.ReadFailed(e, RedisErrors.Host(db.Multiplexer), name, key);
        }
    }

    private static string NewRunId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsConnection) await Connection.DisposeAsync().ConfigureAwait(false);
    }
}
