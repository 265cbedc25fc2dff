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
/// sentence, built by <see cref="RedisErrors"/> and the helpers at the bottom of this class.
/// </summary>
internal sealed class RedisBackend : IBitmapBackend
{
    private readonly bool _ownsConnection;

    /// <summary>
    /// The server is bitmapist-server (as detected, or as the caller of the constructor declared), which holds only
    /// bitmaps: no key can be of another type, so writes need no type check (nor could make one: it has no TYPE).
    /// Not so for a Redis merely given the bitmapist-server profile through <see cref="Stores.StoreOptions.Profile"/>.
    /// </summary>
    private readonly bool _holdsOnlyBitmaps;
    private readonly int _database;

    public RedisBackend(IConnectionMultiplexer connection, CapabilityProfile profile, bool holdsOnlyBitmaps, Stores.StoreOptions options,
        int database, bool ownsConnection)
    {
        Connection = connection;
        Profile = profile;
        _holdsOnlyBitmaps = holdsOnlyBitmaps;
        Options = options;
        _database = database;
        _ownsConnection = ownsConnection;
    }

    public IConnectionMultiplexer Connection { get; }

    /// <inheritdoc />
    public CapabilityProfile Profile { get; }

    private Stores.StoreOptions Options { get; }

    private Model.KeyScheme Keys => Options.Keys;

    private IDatabase Db => Connection.GetDatabase(_database);

    private static int TtlSeconds(TimeSpan ttl) => (int)Math.Max(1, Math.Ceiling(ttl.TotalSeconds));

    /// <inheritdoc />
    public async Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
    {
        if (program.IsEmpty) return [.. program.Reads.Select(ReadResult.OfEmpty)];
        if (program.Reads.Length == 1) return [await RunQueryAsync(program, ct).ConfigureAwait(false)];
        return await RunManyAsync(program, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IEnumerable<string> Describe(BatchProgram program) =>
        Explain(program, Keys, TtlSeconds(Options.TemporaryTtl), TtlSeconds(Options.LeaseTtl), scripts: !_scriptsRefused);

    /// <summary>
    /// What explain prints for <paramref name="program"/> on Redis: the commands of its one batch, a MULTI/EXEC for one
    /// read, the counts script call for many (the MULTI/EXEC instead without <paramref name="scripts"/>).
    /// </summary>
    internal static IEnumerable<string> Explain(BatchProgram program, Model.KeyScheme keys, int tempTtlSeconds, int leaseTtlSeconds, bool scripts)
    {
        if (program.Reads.Length != 1) return RedisCountsBatch.Explain(program, keys, tempTtlSeconds, scripts);
        var batch = RedisBatch.Build(program, RedisBatch.TempPrefix(keys), RedisBatch.LeasePrefix(keys) + Planning.ExplainPrinter.LeasePlaceholder,
            tempTtlSeconds, leaseTtlSeconds);
        return RedisBatch.Explain(batch);
    }

    /// <inheritdoc />
    public async Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
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
                    throw RedisErrors.WrongType("mark batch", (string)parts[1]!, (string)parts[2]!);
                case "offset":
                    throw RedisErrors.BadOffset((string)parts[1]!, (string)parts[2]!, (string)parts[3]!);
                case "partial":
                    throw RedisErrors.MarkBatchPartlyApplied((string)parts[1]!, (string)parts[3]!, (long)parts[2], writes.Count);
            }
        }
        return true;
    }

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
                    throw RedisErrors.WrongType("mark batch", keys[i], types[i].Result.ToString().ToLowerInvariant());
            // Every offset, as the script checks them: a SETBIT Redis refuses inside EXEC would leave the others applied.
            var offsets = writes.Select(w => db.StringGetBitAsync(w.Key, w.Bit)).ToArray();
            try
            {
                await Task.WhenAll(offsets).ConfigureAwait(false);
            }
            catch (RedisServerException) when (Array.FindIndex(offsets, t => t.Exception?.InnerException is RedisServerException s &&
                s.Message.Contains("bit offset", StringComparison.OrdinalIgnoreCase)) is var bad and >= 0)
            {
                throw RedisErrors.BadOffset(writes[bad].Key, writes[bad].Bit.ToString(System.Globalization.CultureInfo.InvariantCulture),
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
                throw RedisErrors.KeysKeptChanging(MaxWatchAttempts);
            await Task.Delay(Random.Shared.Next(1, 10 * attempt), ct).ConfigureAwait(false);
        }
    }

    private const int MaxWatchAttempts = 20;

    /// <inheritdoc />
    public async Task MergeAsync(IReadOnlyList<BitmapMerge> bitmaps, CancellationToken ct)
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
                var (key, bitmap) = (bitmaps[i].Key, bitmaps[i].Bitmap);
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
                throw RedisErrors.ImportFailed(e, groupsApplied, keysApplied, bitmaps.Count, i - first);
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
                    throw RedisErrors.WrongType("bulk import group", (string)key!, (string)type!);
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
                throw RedisErrors.WrongType(what, keys[i], types[i].Result.ToString().ToLowerInvariant());
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

    /// <summary>A program of one read: the query batch of <see cref="RedisBatch"/>.</summary>
    private async Task<ReadResult> RunQueryAsync(BatchProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Only a result read in pages after the batch (ids, max) is leased and needs a unique name.
        var leaseKey = program.Reads[0].StreamsIds ? RedisBatch.LeasePrefix(Keys) + NewRunId() : "";
        var batch = RedisBatch.Build(program, RedisBatch.TempPrefix(Keys), leaseKey,
            TtlSeconds(Options.TemporaryTtl), TtlSeconds(Options.LeaseTtl));
        var db = Db; // an empty result never gets here: BitmapStore answers it without running anything
        if (batch.Read == BatchRead.Lease && !batch.NeedsTransaction)
            return new ReadResult(0, new RedisIdSource(db, batch.ResultKey!, leased: false));

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
            BatchRead.Integer => new ReadResult((long)reply!),
            BatchRead.Value => ValueRead(program.Reads[0], (byte[]?)reply),
            _ => new ReadResult(0, new RedisIdSource(db, batch.ResultKey!, batch.ResultIsLeased)),
        };
    }

    /// <summary>A program of many integer reads (a cohort table, a percent): the counts script, or one MULTI/EXEC.</summary>
    private async Task<ReadResult[]> RunManyAsync(BatchProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (!_scriptsRefused && RedisCountsScript.CanRun(program))
        {
            var script = _scripts.GetValue(program, p => new PreparedScript(RedisCountsScript.Build(p, RedisBatch.TempPrefix(Keys))));
            var counts = await RunCountsScriptAsync(script, program.Description).ConfigureAwait(false);
            if (counts is not null)
            {
                ct.ThrowIfCancellationRequested();
                return [.. counts.Select(c => new ReadResult(c))];
            }
        }
        return await RunManyTransactionAsync(program, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Set once the server refuses EVAL (an ACL without scripting, a proxy that does not pass it, a Lua without
    /// cmsgpack): from then on tables run as MULTI/EXEC, which gives the same counts.
    /// </summary>
    private volatile bool _scriptsRefused;

    /// <summary>
    /// The script call of each program, kept as long as the program is: cohort plans are cached per store, so a
    /// repeated table sends ready arguments instead of encoding thousands again.
    /// </summary>
    private readonly ConditionalWeakTable<BatchProgram, PreparedScript> _scripts = new();

    private sealed class PreparedScript(RedisCountsScript script)
    {
        public RedisKey[] Keys { get; } = [.. script.Keys.Select(k => (RedisKey)k)];
        public RedisValue[] Args { get; } = [.. script.Args.Select(a => (RedisValue)a)];
        public ImmutableArray<int> ReplyIndexes { get; } = script.ReplyIndexes;
        public bool IsEmpty { get; } = script.IsEmpty;
    }

    /// <summary>One call of the counts script; null when the server refuses scripts (nothing ran).</summary>
    private async Task<long[]?> RunCountsScriptAsync(PreparedScript script, string what)
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
            throw BatchFailed(what, e, "EVALSHA <counts script>");
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

    /// <summary>The program as one MULTI/EXEC of every step and read (bitmapist-server, or a Redis that refuses scripts).</summary>
    private async Task<ReadResult[]> RunManyTransactionAsync(BatchProgram program, CancellationToken ct)
    {
        var batch = RedisCountsBatch.Build(program, RedisBatch.TempPrefix(Keys), TtlSeconds(Options.TemporaryTtl));
        var results = program.Reads.Select(ReadResult.OfEmpty).ToArray();
        if (batch.IsEmpty) return results;
        // Always one MULTI/EXEC, even without temporaries: one round trip, and every read from one snapshot.
        var tran = Db.CreateTransaction();
        var tasks = batch.Commands.Select(c => tran.ExecuteAsync(c.Name, [.. c.Args])).ToArray();
        // As for one query: the call returns once the server ran the whole batch (which deleted its
        // temporaries); cancellation is honoured right after.
        await Commit(tran, tasks, program.Description, i => Describe(batch.Commands[i]), keys: () => KeysOf(batch.Commands)).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        for (var i = 0; i < results.Length; i++)
        {
            if (batch.ReadIndexes[i] < 0) continue;
            var reply = await tasks[batch.ReadIndexes[i]].ConfigureAwait(false);
            results[i] = batch.ReadsValue(i) ? ValueRead(program.Reads[i], (byte[]?)reply) : new ReadResult((long)reply);
        }
        return results;
    }

    /// <summary>A read answered with the whole value (GET, where the server has no BITPOS or GETRANGE), decoded here.</summary>
    private static ReadResult ValueRead(ProgramRead read, byte[]? value)
    {
        var bitmap = PagedBitmap.FromRedisBytes(value ?? []);
        return read.Kind == Query.ReadKind.Min
            ? new ReadResult(bitmap.Min() is { } min ? min : -1)
            : new ReadResult(0, new BitmapIdSource(bitmap));
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

    /// <inheritdoc />
    public async IAsyncEnumerable<string> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken ct)
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
            ?? throw RedisErrors.NoPrimary("scan");
        var db = _database < 0 ? 0 : _database;
        // By hand rather than await foreach: a failure while paging (the connection lost mid-SCAN) becomes this
        // library's exception, and C# allows no yield inside a try with a catch.
        var keys = server.KeysAsync(db, pattern, pageSize: 1000).WithCancellation(ct).ConfigureAwait(false).GetAsyncEnumerator();
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await keys.MoveNextAsync();
                }
                catch (Exception e) when (RedisErrors.IsClientFailure(e))
                {
                    throw RedisErrors.ListFailed(e, RedisErrors.Host(Connection), pattern);
                }
                if (!more) yield break;
                yield return keys.Current.ToString();
            }
        }
        finally
        {
            await keys.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public async Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct)
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
                throw RedisErrors.DeleteFailed(e, RedisErrors.Host(Connection), DeleteCommand, chunk[0], done, keys.Count);
            }
            done += chunk.Length;
        }
        return n;
    }

    /// <inheritdoc />
    public async Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct)
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
