namespace Bitmapist.Linq.Query;

/// <summary>What a query asks of its set.</summary>
public enum ReadKind
{
    /// <summary>The number of members (BITCOUNT).</summary>
    Count,
    /// <summary>Whether one id is a member (GETBIT).</summary>
    Contains,
    /// <summary>Whether the set has any member (count &gt; 0, never key existence).</summary>
    Any,
    /// <summary>The smallest member.</summary>
    Min,
    /// <summary>The largest member.</summary>
    Max,
    /// <summary>The members in ascending order, streamed in pages.</summary>
    Ids,
}

/// <summary>A statement of the query model: a set and what to read from it.</summary>
/// <param name="Set">The set expression.</param>
/// <param name="Read">What to read.</param>
/// <param name="Id">The id for <see cref="ReadKind.Contains"/>; for <see cref="ReadKind.Ids"/>, the first id to return.</param>
public sealed record SetQuery(SetExpr Set, ReadKind Read, uint Id = 0)
{
    /// <summary>The statement in the text query language.</summary>
    public override string ToString() => Read switch
    {
        ReadKind.Contains => $"{Id} in {Set}",
        ReadKind.Ids when Id > 0 => $"ids {Set} after {Id - 1}",
        _ => $"{Read.ToString().ToLowerInvariant()} {Set}",
    };
}
