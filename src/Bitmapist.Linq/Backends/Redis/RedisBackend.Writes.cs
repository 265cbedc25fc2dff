using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Bitmapist.Linq.Bitmaps;
using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>Writes: a mark batch (one checking script, or TYPE and WATCH then MULTI/EXEC) and a bulk import (merge groups).</summary>
internal sealed partial class RedisBackend
{
    /// <inheritdoc />
    public Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct) =>
        RetryingRedirectsAsync(() => WriteBitsOnceAsync(writes, ct), ct);

    private async Task WriteBitsOnceAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
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
    /// ARGV: each write's bit and value, then the offset of a shard's last bit, or -1. With that offset (the sharded
    /// layout) every missing key a bit is set in is first made as long as the shard, by a BITFIELD that changes no bit: a key
    /// grown by SETBIT keeps up to 2x slack (design/scale-out.md), one created at full size none.
    /// </summary>
    internal const string MarkScript = """
        local presize = tonumber(ARGV[2 * #KEYS + 1])
        local missing = {}
        for i = 1, #KEYS do
          local t = redis.call('TYPE', KEYS[i]).ok
          if t ~= 'none' and t ~= 'string' then return {'type', KEYS[i], t} end
          missing[i] = t == 'none'
          local r = redis.pcall('GETBIT', KEYS[i], ARGV[2 * i - 1])
          if type(r) == 'table' and r.err then return {'offset', KEYS[i], ARGV[2 * i - 1], r.err} end
        end
        if presize >= 0 then
          for i = 1, #KEYS do
            if missing[i] and ARGV[2 * i] == '1' then
              local r = redis.pcall('BITFIELD', KEYS[i], 'INCRBY', 'u1', presize, 0)
              if type(r) == 'table' and r.err then return redis.error_reply(r.err) end
            end
          end
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
        RedisValue[] args = [.. writes.SelectMany(w => new RedisValue[] { w.Bit, w.Value ? 1 : 0 }), PresizeOffset];
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
            var presized = _presizeBits == 0 ? [] : writes.Where(w => w.Value).Select(w => w.Key).Distinct(StringComparer.Ordinal)
                .Select(k => tran.ExecuteAsync("BITFIELD", (RedisKey)k, "INCRBY", "u1", PresizeOffset, 0)).ToArray();
            var tasks = writes.Select(w => tran.StringSetBitAsync(w.Key, w.Bit, w.Value)).ToArray();
            Observe(presized);
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
                if (group.Count > 0) await RetryingRedirectsAsync(() => MergeGroupAsync(group, ttl), ct).ConfigureAwait(false);
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
    /// ARGV: the n bitmaps, the temporaries' TTL, then a shard's last bit offset or -1 (each destination first made
    /// as long as the shard, as the mark script does). A script answers with the error of the command that failed
    /// (OOM, NOPERM), which MULTI/EXEC reports only as EXECABORT; and on OOM Redis refuses its first write.
    /// </summary>
    internal const string MergeScript = """
        local n = #KEYS / 2
        local presize = tonumber(ARGV[n + 2])
        for i = 1, n do
          local t = redis.call('TYPE', KEYS[i]).ok
          if t ~= 'none' and t ~= 'string' then return {KEYS[i], t} end
        end
        for i = 1, n do
          if presize >= 0 then redis.call('BITFIELD', KEYS[i], 'INCRBY', 'u1', presize, 0) end
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
            RedisValue[] args = [.. group.Select(g => (RedisValue)g.Payload), ttl, PresizeOffset];
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
                foreach (var id in bitmap.Ids()) Add(tran.ExecuteAsync("SETBIT", (RedisKey)key, (long)id, 1), $"SETBIT {key}");
                continue;
            }
            // Spelled out rather than through the typed API, which may choose other forms (UNLINK for a delete).
            if (_presizeBits > 0) Add(tran.ExecuteAsync("BITFIELD", (RedisKey)key, "INCRBY", "u1", PresizeOffset, 0), $"BITFIELD {key}");
            Add(tran.ExecuteAsync("SET", (RedisKey)tmp, payload), $"SET {tmp}");
            Add(tran.ExecuteAsync("EXPIRE", (RedisKey)tmp, ttl), $"EXPIRE {tmp}");
            Add(tran.ExecuteAsync("BITOP", "OR", (RedisKey)key, (RedisKey)key, (RedisKey)tmp), $"BITOP OR {key}");
            Add(tran.ExecuteAsync(DeleteCommand, (RedisKey)tmp), $"{DeleteCommand} {tmp}");
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
}
