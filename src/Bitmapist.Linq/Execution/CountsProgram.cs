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
    CapabilityProfile Profile);
