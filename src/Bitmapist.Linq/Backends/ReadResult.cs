using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends;

/// <summary>
/// The answer to one <see cref="ProgramRead"/>: <see cref="Integer"/> for a count (<see cref="ReadKind.Count"/>;
/// <see cref="ReadKind.Any"/> is answered with a number that is positive exactly when the set has a member - the
/// count, or a part of it where a back end stops at the first member, as the embedded engine does - and the caller
/// compares it with 0), membership (<see cref="ReadKind.Contains"/>: 1 or 0) and the smallest member
/// (<see cref="ReadKind.Min"/>: -1 when empty); <see cref="Ids"/> for <see cref="ReadKind.Ids"/> and
/// <see cref="ReadKind.Max"/>, which stream the members (the caller disposes it).
/// </summary>
/// <param name="Integer">The integer answer.</param>
/// <param name="Ids">The members, for a read that streams them.</param>
public readonly record struct ReadResult(long Integer, IdSource? Ids = null)
{
    /// <summary>The answer of <paramref name="read"/> on the empty set (a read whose source is null).</summary>
    public static ReadResult OfEmpty(ProgramRead read) => read.Kind switch
    {
        ReadKind.Min => new ReadResult(-1),
        ReadKind.Ids or ReadKind.Max => new ReadResult(0, IdSource.Empty),
        _ => new ReadResult(0),
    };
}
