namespace Bitmapist.Linq.Query;

/// <summary>The node types of the query model.</summary>
public enum SetKind
{
    /// <summary>An event in one period (<c>month(active, 2026-11)</c>).</summary>
    Event,
    /// <summary>An event over a range of periods, any-of or all-of (<c>day(active, -6..0)</c>).</summary>
    EventRange,
    /// <summary>A dateless unique flag (<c>unique(premium)</c>).</summary>
    Unique,
    /// <summary>A literal set of ids (<c>{1, 5, 42}</c>).</summary>
    Ids,
    /// <summary>The configured universe (<c>users</c>).</summary>
    Universe,
    /// <summary>The empty set.</summary>
    Empty,
    /// <summary>A stored key named directly (what binding turns events into).</summary>
    Key,
    /// <summary>A set-valued parameter bound at execution (<c>@name</c>).</summary>
    Parameter,
    /// <summary>A cohort template: an event in the period of the cohort table's row (or row + column) (<c>signup</c> in <c>cohort signup then active by week</c>).</summary>
    Template,
    /// <summary>Intersection.</summary>
    And,
    /// <summary>Union.</summary>
    Or,
    /// <summary>Ids in an odd number of operands (Redis BITOP XOR).</summary>
    Xor,
    /// <summary>The head minus every subtracted set.</summary>
    Diff,
    /// <summary>Complement relative to the universe.</summary>
    Not,

    /// <summary>A literal set of external ids, looked up in the store's id map when the query runs.</summary>
    ExternalIds,
}
