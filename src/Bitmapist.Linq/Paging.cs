using Bitmapist.Linq.Model;

namespace Bitmapist.Linq;

/// <summary>
/// Which ids of a set to read, ascending: the ids after <see cref="After"/> (all of them when null), of those the
/// first <see cref="Skip"/> skipped, then at most <see cref="Limit"/>. One model for every front end: the text
/// statement <c>ids s limit 10 after 41</c> is <c>new Paging(Limit: 10, After: 41)</c>, and LINQ reads the same
/// page with <see cref="UserSet.PageIdsAsync(Paging, CancellationToken)"/> or <see cref="UserSet.PageAsync"/>.
/// </summary>
/// <remarks>
/// <see cref="After"/> is keyset paging: the next page starts after the last id of this one
/// (<see cref="Next"/>), costs the same however deep it is (on Redis the reading starts at that id's word),
/// and stays right while ids are marked. <see cref="Skip"/> is offset paging, as LINQ's <c>Skip</c>: it reads
/// the skipped ids and moves when ids before them are marked. The text language has <c>limit</c> and
/// <c>after</c> but no <c>skip</c>: skip is for code only. <c>default(Paging)</c> is every id.
/// </remarks>
public readonly record struct Paging
{
    /// <summary>A page: at most <paramref name="limit"/> ids after <paramref name="after"/>, skipping <paramref name="skip"/> first.</summary>
    /// <param name="limit">At most this many ids (0 or more), or null for all that follow.</param>
    /// <param name="after">Only ids greater than this one (a user id, 0 to 4294967295), or null to start at the smallest.</param>
    /// <param name="skip">Ids to skip first (0 or more), after <paramref name="after"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A negative limit or skip, or <paramref name="after"/> is not a user id.</exception>
    public Paging(int? limit = null, long? after = null, int skip = 0)
    {
        if (limit < 0) throw new ArgumentOutOfRangeException(nameof(limit), limit, "A page's limit cannot be negative: give 0 or more, or null for every id.");
        if (skip < 0) throw new ArgumentOutOfRangeException(nameof(skip), skip, "A page cannot skip a negative number of ids: give 0 or more.");
        if (after is { } a) UserIds.Validate(a, nameof(after));
        Limit = limit;
        After = after;
        Skip = skip;
    }

    /// <summary>Every id: no limit, from the smallest, nothing skipped.</summary>
    public static Paging All => default;

    /// <summary>The <paramref name="limit"/> smallest ids.</summary>
    public static Paging First(int limit) => new(limit);

    /// <summary>At most this many ids, or null for all that follow.</summary>
    public int? Limit { get; }

    /// <summary>Only ids greater than this one; null to start at the smallest.</summary>
    public long? After { get; }

    /// <summary>Ids skipped first (offset paging; the text language has no <c>skip</c>).</summary>
    public int Skip { get; }

    /// <summary>The smallest id the page may hold: <see cref="After"/> + 1, or 0.</summary>
    public long From => After is { } a ? a + 1 : 0;

    /// <summary>True when the page cannot hold an id: a limit of 0, or after the largest user id.</summary>
    public bool IsEmpty => Limit == 0 || After == UserIds.Max;

    /// <summary>The page after one whose last id is <paramref name="lastId"/>: the same limit, after that id, nothing skipped.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lastId"/> is not a user id.</exception>
    public Paging Next(long lastId) => new(Limit, lastId);

    /// <summary>The paging as the text language writes it after <c>ids SET</c> (<c>limit 10 after 41</c>), then <c>skip N</c> for code-only skipping.</summary>
    public override string ToString() => string.Join(' ', new[]
    {
        Limit is { } l ? $"limit {l}" : null,
        After is { } a ? $"after {a}" : null,
        Skip > 0 ? $"skip {Skip}" : null,
    }.Where(p => p is not null));
}
