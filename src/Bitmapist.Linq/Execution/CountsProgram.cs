using System.Collections.Immutable;

namespace Bitmapist.Linq.Execution;

/// <summary>
/// One count read of a <see cref="CountsProgram"/>: the number of members of <see cref="Source"/>, taken
/// after the first <see cref="Position"/> steps have run (null source: the empty set, whose count is 0
/// without running anything).
/// </summary>
public sealed record CountRead(int Position, Operand? Source);

/// <summary>
/// The physical plan of many counts at once (every cell of a cohort table): steps that write temporaries,
/// and count reads placed between them, each right after the step that produced its set, so a temporary
/// is free for reuse as soon as its last reader has run. Equal sub-expressions of different counts are
/// computed once. It runs as one batch: one call of the counts script on Redis (one MULTI/EXEC where Lua is not
/// available), one pass under the read lock embedded.
/// </summary>
public sealed record CountsProgram(
    ImmutableArray<ProgramStep> Steps,
    ImmutableArray<CountRead> Reads,
    int TempCount,
    CapabilityProfile Profile)
{
    /// <summary>
    /// The reads and steps in the order they run: the reads placed before step i (<see cref="CountRead.Position"/>
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

/// <summary>One entry of <see cref="CountsProgram.InOrder"/>: a read or a step, by index.</summary>
/// <param name="Read">The read's index in <see cref="CountsProgram.Reads"/>, or -1 for a step.</param>
/// <param name="Step">The step's index in <see cref="CountsProgram.Steps"/>, or -1 for a read.</param>
public readonly record struct ProgramItem(int Read, int Step)
{
    /// <summary>True for a read, false for a step.</summary>
    public bool IsRead => Read >= 0;
}
