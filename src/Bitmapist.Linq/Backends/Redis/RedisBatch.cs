using System.Collections.Immutable;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>How the final read of a batch is interpreted.</summary>
internal enum BatchRead
{
    /// <summary>Nothing to run: the result is the empty set.</summary>
    Nothing,
    /// <summary>An integer reply (BITCOUNT, GETBIT, BITPOS).</summary>
    Integer,
    /// <summary>The whole value (GET), decoded in the client.</summary>
    Value,
    /// <summary>No read: the result key outlives the batch and is paged afterwards.</summary>
    Lease,
}

/// <summary>
/// The commands of one query for Redis, in order: every step's BITOP (or SET for a literal) followed at
/// once by EXPIRE on the temporary it wrote (a safety net if the process dies between here and EXEC; BITOP
/// drops a TTL so the EXPIRE must come after), then the read, then one DEL of every temporary. The whole
/// list runs inside one MULTI/EXEC when it writes anything, so it is one round trip and no half of it is
/// ever applied. A failing command inside EXEC does not stop the later ones, so the DEL always runs.
/// With scratch keys kept (<see cref="Stores.StoreOptions.ScratchTtl"/>) there is no DEL: each temporary gets one
/// EXPIRE of the short scratch TTL after its last write, and the next batch overwrites it, so Redis reuses the
/// string's memory instead of faulting in fresh pages (docs/performance.md, "Issue 14: the two Redis ratios").
/// </summary>
internal sealed record RedisBatch(
    ImmutableArray<RedisCommand> Commands,
    int ReadIndex,
    BatchRead Read,
    string? ResultKey,
    bool ResultIsLeased,
    ImmutableArray<string> Temporaries)
{
    /// <summary>The names of a store's temporaries: <c>{prefix}bitop_tmp:q:N</c>, the same in every batch.</summary>
    public static string TempPrefix(Model.KeyScheme keys) => keys.TemporaryNamespace + "q:";

    /// <summary>The names of leased results: <c>{prefix}bitop_tmp:lease:{random id}</c>.</summary>
    public static string LeasePrefix(Model.KeyScheme keys) => keys.TemporaryNamespace + "lease:";

    /// <summary>True when the batch writes temporaries and so must run as MULTI/EXEC.</summary>
    public bool NeedsTransaction => !Temporaries.IsEmpty;

    /// <param name="program">The program.</param>
    /// <param name="tempPrefix">Names of the temporaries. They may be the same for every batch: a batch runs as one
    /// atomic MULTI/EXEC that deletes its temporaries before any other client's command can run, and reusing
    /// names lets Redis reuse the memory (fresh names cost a new allocation per key; docs/performance.md).</param>
    /// <param name="leaseKey">The unique name of a result that outlives the batch (paged ids), if any.</param>
    /// <param name="tempTtlSeconds">TTL of each temporary, a safety net.</param>
    /// <param name="leaseTtlSeconds">TTL of a leased result.</param>
    /// <param name="scratchTtlSeconds">When above 0, temporaries are not deleted: they stay as scratch keys for this many
    /// seconds (one EXPIRE after each one's last write, which may come after its TTL would drop: BITOP clears it).</param>
    public static RedisBatch Build(BatchProgram program, string tempPrefix, string leaseKey, int tempTtlSeconds, int leaseTtlSeconds,
        int scratchTtlSeconds = 0)
    {
        if (program.Reads is not [var only])
            throw new ArgumentException("Internal error: a query batch has exactly one read.", nameof(program));
        if (only.Source is not { } result)
            return new RedisBatch([], -1, BatchRead.Nothing, null, false, []);

        var commands = ImmutableArray.CreateBuilder<RedisCommand>();
        var profile = program.Profile;
        var lease = only.StreamsIds && profile.HasGetRange;
        var leased = lease && result.IsTemp;
        string TempName(int t) => leased && t == result.Temp ? leaseKey : tempPrefix + t;
        string Name(Operand o) => o.StoredKey ?? TempName(o.Temp);
        var resultKey = Name(result);
        var keep = scratchTtlSeconds > 0;
        // Kept scratch keys need their TTL only after their last write: the batch is atomic, so no one sees a key
        // between two of its writes, and a batch that never reaches EXEC writes nothing.
        var lastWrite = new Dictionary<int, int>();
        for (var i = 0; i < program.Steps.Length; i++) lastWrite[program.Steps[i].Target] = i;
        for (var i = 0; i < program.Steps.Length; i++)
        {
            var step = program.Steps[i];
            var target = TempName(step.Target);
            commands.Add(StepCommand(step, target, Name));
            // A leased result lives on after the batch: it gets the lease TTL instead of the short one.
            if (leased && target == resultKey) commands.Add(new RedisCommand("EXPIRE", [target, leaseTtlSeconds]));
            else if (!keep) commands.Add(new RedisCommand("EXPIRE", [target, tempTtlSeconds]));
            else if (lastWrite[step.Target] == i) commands.Add(new RedisCommand("EXPIRE", [target, scratchTtlSeconds]));
        }

        var (read, readCommand) = only.Kind switch
        {
            ReadKind.Count or ReadKind.Any => (BatchRead.Integer, new RedisCommand("BITCOUNT", [resultKey])),
            ReadKind.Contains => (BatchRead.Integer, new RedisCommand("GETBIT", [resultKey, (long)only.Id])),
            ReadKind.Min when profile.HasBitPos => (BatchRead.Integer, new RedisCommand("BITPOS", [resultKey, 1])),
            _ when lease => (BatchRead.Lease, null),
            _ => (BatchRead.Value, new RedisCommand("GET", [resultKey])),
        };

        var readIndex = -1;
        if (readCommand is not null)
        {
            readIndex = commands.Count;
            commands.Add(readCommand);
        }

        var temporaries = Enumerable.Range(0, program.TempCount).Select(TempName).ToImmutableArray();
        string[] toDelete = keep ? [] : temporaries.Where(t => !(leased && t == resultKey)).ToArray();
        if (toDelete.Length > 0) commands.Add(new RedisCommand("DEL", [.. toDelete]));
        return new RedisBatch(commands.ToImmutable(), readIndex, read, resultKey, leased, temporaries);
    }

    /// <summary>The command that runs <paramref name="step"/> into <paramref name="target"/>: BITOP, or SET for a literal.</summary>
    internal static RedisCommand StepCommand(ProgramStep step, string target, Func<Operand, string> name) => step switch
    {
        BitOpStep b => new RedisCommand("BITOP", [b.Op.ToString().ToUpperInvariant(), target, .. b.Sources.Select(name)]),
        LiteralStep l => new RedisCommand("SET", [target, PagedBitmap.Of(l.Ids).ToRedisBytes()]),
        _ => throw new InvalidOperationException(step.GetType().Name),
    };

    /// <summary>The batch as printed lines, with MULTI/EXEC around it when it runs as a transaction.</summary>
    public IEnumerable<string> Lines()
    {
        if (Read == BatchRead.Nothing)
        {
            yield return "(nothing to run: the result is the empty set)";
            yield break;
        }
        if (NeedsTransaction) yield return "MULTI";
        foreach (var c in Commands) yield return c.ToString();
        if (NeedsTransaction) yield return "EXEC";
        if (Read == BatchRead.Lease)
            yield return ResultIsLeased
                ? $"then page {ResultKey} with GETRANGE; DEL it when the lease is disposed"
                : $"then page {ResultKey} with GETRANGE";
    }

    /// <summary>What explain prints for <paramref name="batch"/>: a heading, then its lines.</summary>
    public static IEnumerable<string> Explain(RedisBatch batch) => batch.Lines().Select(l => "  " + l).Prepend("commands:");
}
