using System.Collections.Immutable;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends;

/// <summary>A BITOP operator as the physical plan uses it (never NOT).</summary>
public enum BitOpKind
{
    /// <summary>Intersection.</summary>
    And,
    /// <summary>Union.</summary>
    Or,
    /// <summary>Odd parity.</summary>
    Xor,
    /// <summary>First source minus the union of the rest (Redis 8.2).</summary>
    Diff,
    /// <summary>First source and the union of the rest (Redis 8.2).</summary>
    AndOr,
}

/// <summary>A source or result of a step: a stored key, or a temporary numbered within the program.</summary>
public readonly record struct Operand
{
    private Operand(string? key, int temp)
    {
        StoredKey = key;
        Temp = temp;
    }

    /// <summary>The stored key, or null for a temporary.</summary>
    public string? StoredKey { get; }

    /// <summary>The temporary's number (meaningful when <see cref="IsTemp"/>).</summary>
    public int Temp { get; }

    /// <summary>True for a temporary.</summary>
    public bool IsTemp => StoredKey is null;

    /// <summary>A stored key.</summary>
    public static Operand Stored(string key) => new(key, -1);

    /// <summary>Temporary number <paramref name="n"/>.</summary>
    public static Operand Temporary(int n) => new(null, n);

    /// <summary>The key this operand names, given the temporaries' key prefix.</summary>
    public string KeyName(string tempPrefix) => StoredKey ?? tempPrefix + Temp;

    /// <inheritdoc />
    public override string ToString() => StoredKey ?? $"tmp{Temp}";
}

/// <summary>One step of a program: it writes one temporary, <see cref="Target"/>.</summary>
public abstract record ProgramStep
{
    private protected ProgramStep(int target) => Target = target;

    /// <summary>The temporary this step writes.</summary>
    public int Target { get; init; }
}

/// <summary>BITOP <see cref="Op"/> of <see cref="Sources"/> into the target.</summary>
public sealed record BitOpStep : ProgramStep
{
    internal BitOpStep(int target, BitOpKind op, ImmutableArray<Operand> sources) : base(target)
    {
        Op = op;
        Sources = sources;
    }

    /// <summary>The operator.</summary>
    public BitOpKind Op { get; init; }

    /// <summary>The sources, in order (the first is the head of a DIFF or ANDOR).</summary>
    public ImmutableArray<Operand> Sources { get; init; }
}

/// <summary>SET the target to a literal set of ids.</summary>
public sealed record LiteralStep : ProgramStep
{
    internal LiteralStep(int target, ImmutableArray<uint> ids) : base(target) => Ids = ids;

    /// <summary>The members, ascending and distinct.</summary>
    public ImmutableArray<uint> Ids { get; }
}

/// <summary>
/// One read of a <see cref="BatchProgram"/>: <see cref="Kind"/> of the set in <see cref="Source"/>, taken after
/// the first <see cref="Position"/> steps have run. A null source is the empty set: nothing needs to run for it.
/// </summary>
/// <param name="Position">How many steps have run when the read is taken.</param>
/// <param name="Source">The set read, or null for the empty set.</param>
/// <param name="Kind">What is read: a count, membership of <paramref name="Id"/>, the smallest member, or the
/// members (<see cref="ReadKind.Max"/> and <see cref="ReadKind.Ids"/>, answered with an <see cref="IdSource"/>).</param>
/// <param name="Id">For <see cref="ReadKind.Contains"/>, the id; for <see cref="ReadKind.Ids"/>, the first id wanted.</param>
public sealed record ProgramRead(int Position, Operand? Source, ReadKind Kind = ReadKind.Count, uint Id = 0)
{
    /// <summary>True when the read streams members (<see cref="ReadKind.Ids"/>, <see cref="ReadKind.Max"/>): its set must outlive the batch.</summary>
    public bool StreamsIds => Kind is ReadKind.Ids or ReadKind.Max;
}

/// <summary>
/// The physical plan of one batch, what a back end runs: steps that write temporaries, and typed reads placed
/// between them, each right after the step that completed its set, so a temporary is free for reuse as soon as
/// its last reader has run. A single query is a program with one read after its last step; a cohort table or a
/// percent, one with many counts, whose equal sub-expressions are computed once. It runs as one batch: one
/// MULTI/EXEC or one script call on Redis, one pass under the read lock embedded.
/// </summary>
public sealed record BatchProgram
{
    internal BatchProgram(ImmutableArray<ProgramStep> steps, ImmutableArray<ProgramRead> reads, int tempCount, CapabilityProfile profile)
    {
        Steps = steps;
        Reads = reads;
        TempCount = tempCount;
        Profile = profile;
    }

    /// <summary>The steps, in order.</summary>
    public ImmutableArray<ProgramStep> Steps { get; }

    /// <summary>The reads, in the order they are taken (by <see cref="ProgramRead.Position"/>).</summary>
    public ImmutableArray<ProgramRead> Reads { get; }

    /// <summary>How many temporaries the steps write (numbered from 0).</summary>
    public int TempCount { get; }

    /// <summary>The capabilities the program was emitted for (which operators and fan-in it uses).</summary>
    public CapabilityProfile Profile { get; }

    /// <summary>What the batch is, as error messages name it: "query" (one read), "cohort batch", "batch of counts".</summary>
    public string Description { get; init; } = "query";

    /// <summary>True when every read is a count (or an any): the shape a cohort table and a percent have.</summary>
    public bool CountsOnly => Reads.All(r => r.Kind is ReadKind.Count or ReadKind.Any);

    /// <summary>True when no read has a set: the answer is known without running anything.</summary>
    public bool IsEmpty => Reads.All(r => r.Source is null);

    /// <summary>
    /// The reads and steps in the order they run: the reads placed before step i (<see cref="ProgramRead.Position"/>
    /// i), then step i; the reads after the last step at the end. Every back end and explain walk the program so.
    /// </summary>
    /// <exception cref="InvalidOperationException">The reads are not in step order (an emitter bug).</exception>
    public IEnumerable<ProgramItem> InOrder()
    {
        var read = 0;
        for (var i = 0; i <= Steps.Length; i++)
        {
            for (; read < Reads.Length && Reads[read].Position == i; read++) yield return new ProgramItem(read, -1);
            if (i < Steps.Length) yield return new ProgramItem(-1, i);
        }
        if (read != Reads.Length) throw new InvalidOperationException("Internal error: the program's reads are not in step order.");
    }
}

/// <summary>One entry of <see cref="BatchProgram.InOrder"/>: a read or a step, by index.</summary>
/// <param name="Read">The read's index in <see cref="BatchProgram.Reads"/>, or -1 for a step.</param>
/// <param name="Step">The step's index in <see cref="BatchProgram.Steps"/>, or -1 for a read.</param>
public readonly record struct ProgramItem(int Read, int Step)
{
    /// <summary>True for a read, false for a step.</summary>
    public bool IsRead => Read >= 0;
}
