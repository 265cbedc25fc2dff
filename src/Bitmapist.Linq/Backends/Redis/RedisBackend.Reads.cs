using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Bitmapist.Linq.Bitmaps;
using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>Reads: a program of one read as one MULTI/EXEC, a program of many as one counts-script call or one MULTI/EXEC.</summary>
internal sealed partial class RedisBackend
{
    /// <summary>A program of one read: the query batch of <see cref="RedisBatch"/>.</summary>
    private async Task<ReadResult> RunQueryAsync(BatchProgram program, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Only a result read in pages after the batch (ids, max) is leased and needs a unique name.
        var leaseKey = program.Reads[0].StreamsIds ? RedisBatch.LeasePrefix(Keys) + NewRunId() : "";
        var batch = RedisBatch.Build(program, RedisBatch.TempPrefix(Keys), leaseKey,
            TtlSeconds(Options.TemporaryTtl), TtlSeconds(Options.LeaseTtl), ScratchTtlSeconds);
        var db = Db; // an empty result never gets here: BitmapStore answers it without running anything
        if (batch.Read == BatchRead.Lease && !batch.NeedsTransaction)
            return new ReadResult(0, new RedisIdSource(db, batch.ResultKey!, leased: false));

        RedisResult? reply;
        if (!batch.NeedsTransaction)
        {
            var read = batch.Commands[batch.ReadIndex];
            reply = await Guard(db, () => db.ExecuteAsync(read.Name, read.WireArgs()), read.Name, batch.ResultKey!).ConfigureAwait(false);
        }
        else
        {
            var tran = db.CreateTransaction();
            var tasks = batch.Commands.Select(c => tran.ExecuteAsync(c.Name, c.WireArgs())).ToArray();
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
        var tasks = batch.Commands.Select(c => tran.ExecuteAsync(c.Name, c.WireArgs())).ToArray();
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
}
