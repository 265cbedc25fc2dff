using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Statements;

/// <summary>
/// What one statement of the text query language produced (<see cref="StatementExecutor.ExecuteAsync"/>): one
/// record per statement, each rendered by every output of the hosts (the CLI's table, JSON, CSV and REPL).
/// </summary>
public abstract record StatementResult
{
    /// <summary>
    /// Events the statement read that have no key in any period of the store (most likely misspelt, so they read
    /// as empty), with the nearest stored names; empty when every event exists or the statement reads none.
    /// </summary>
    public IReadOnlyList<EventWarning> Warnings { get; init; } = [];
}

/// <summary><c>count SET</c> or a bare set: the number of users.</summary>
/// <param name="Count">The number of users in the set.</param>
public sealed record CountResult(long Count) : StatementResult;

/// <summary><c>ID in SET</c> or <c>'alice' in SET</c>: whether the user is a member.</summary>
/// <param name="Id">The user id asked about; for an external id (<see cref="ExternalId"/>), its internal id, or -1 when it has none (then <paramref name="Contains"/> is false).</param>
/// <param name="Contains">True when the set holds it.</param>
public sealed record ContainsResult(long Id, bool Contains) : StatementResult
{
    /// <summary>The external id asked about (<c>'alice' in SET</c>), or null for a membership by internal id.</summary>
    public string? ExternalId { get; init; }

    /// <summary>The user as the statement named it: the external id, or the internal id's decimal text.</summary>
    public string User => ExternalId ?? Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// <c>ids SET [limit N] [after ID]</c>: one page of the set's ids, ascending, read lazily as <see cref="Ids"/>
/// is enumerated (a long list is streamed, never held). Each enumeration reads the page again.
/// </summary>
/// <remarks>
/// When the store has an id map (<see cref="IdMap"/> is not null), outputs show <see cref="MappedIds"/>: each id with
/// its external id, still in order of internal id (the order bitmaps hold, which is not alphabetical: ids are handed
/// out as users are first marked, and on the sharded layout spread over lanes). An id with no external id (marked
/// by number, or erased) is still shown, with a null <see cref="MappedId.ExternalId"/>.
/// </remarks>
/// <param name="Paging">The page the statement asked for.</param>
/// <param name="Ids">The internal ids of the page.</param>
public sealed record IdsResult(Paging Paging, IAsyncEnumerable<long> Ids) : StatementResult
{
    /// <summary>How many ids one lookup of their external ids covers (<see cref="MappedIds"/>): one id map call per this many ids.</summary>
    public const int MapPageSize = 4096;

    /// <summary>The store's id map, which outputs map the ids back with; null when the store has none (outputs show internal ids).</summary>
    public IdMapping.IdMap? IdMap { get; init; }

    /// <summary>
    /// The ids of the page with their external ids, ascending by internal id, read lazily as <see cref="Ids"/> is:
    /// one <see cref="IdMapping.IdMap.FindExternalAsync"/> call per <see cref="MapPageSize"/> ids (per page of them),
    /// never one per id. Without an id map, every <see cref="MappedId.ExternalId"/> is null and nothing is looked up.
    /// </summary>
    public IAsyncEnumerable<MappedId> MappedIds => IdMap is { } map
        ? MapAsync(Ids, (page, ct) => map.FindExternalAsync(page, ct), MapPageSize)
        : Unmapped(Ids);

    private static async IAsyncEnumerable<MappedId> Unmapped(IAsyncEnumerable<long> ids,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var id in ids.WithCancellation(ct).ConfigureAwait(false)) yield return new MappedId(id, null);
    }

    /// <summary>
    /// <paramref name="ids"/> with their external ids: read <paramref name="pageSize"/> ids (or to the end), look the
    /// page up with one call of <paramref name="lookUp"/>, yield it, and so on; a page is held, never the whole list.
    /// </summary>
    internal static async IAsyncEnumerable<MappedId> MapAsync(IAsyncEnumerable<long> ids,
        Func<IReadOnlyList<uint>, CancellationToken, Task<string?[]>> lookUp, int pageSize,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var page = new List<uint>(Math.Min(pageSize, 1024));
        await foreach (var id in ids.WithCancellation(ct).ConfigureAwait(false))
        {
            page.Add((uint)id);
            if (page.Count < pageSize) continue;
            foreach (var mapped in await MapPageAsync(page, lookUp, ct).ConfigureAwait(false)) yield return mapped;
            page.Clear();
        }
        if (page.Count > 0)
            foreach (var mapped in await MapPageAsync(page, lookUp, ct).ConfigureAwait(false)) yield return mapped;
    }

    private static async Task<MappedId[]> MapPageAsync(List<uint> page, Func<IReadOnlyList<uint>, CancellationToken, Task<string?[]>> lookUp, CancellationToken ct)
    {
        var external = await lookUp(page.ToArray(), ct).ConfigureAwait(false);
        var mapped = new MappedId[page.Count];
        for (var i = 0; i < mapped.Length; i++) mapped[i] = new MappedId(page[i], external[i]);
        return mapped;
    }
}

/// <summary>An internal id of an <c>ids</c> result with its external id from the store's id map.</summary>
/// <param name="Id">The internal id (the bit).</param>
/// <param name="ExternalId">Its external id, or null when it has none (marked by number, or erased).</param>
public readonly record struct MappedId(long Id, string? ExternalId)
{
    /// <summary>
    /// How the one-column outputs (table, REPL, console) show it: the external id (a control character in it escaped,
    /// <c>\n</c>, so one id stays one line), or <c>#</c> and the internal id when it has none (<c>#123</c>), so such a
    /// user is still listed and is not taken for an external id written as a number. JSON and CSV give both exactly.
    /// </summary>
    public string Display => ExternalId is { } x ? Printable.Escape(x) : "#" + Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc cref="Display"/>
    public override string ToString() => Display;
}

/// <summary>
/// <c>percent PART of WHOLE</c>: <see cref="Percent"/> = 100 * <see cref="Part"/> / <see cref="Whole"/>, or null
/// when the whole is empty: a share of nobody is undefined, not 0% (the rule of an empty cohort cell).
/// </summary>
/// <param name="Percent">The percentage, or null for an empty whole.</param>
/// <param name="Part">The users in both the part and the whole.</param>
/// <param name="Whole">The users in the whole.</param>
public sealed record PercentResult(double? Percent, long Part, long Whole) : StatementResult;

/// <summary><c>events [PREFIX]</c>: the event names with at least one key, sorted.</summary>
/// <param name="Names">The names.</param>
public sealed record EventsResult(IReadOnlyList<string> Names) : StatementResult;

/// <summary><c>explain STATEMENT</c>: the plan document of the statement instead of its result.</summary>
/// <param name="Plan">The explain document (lines, ending with a line break).</param>
public sealed record ExplainResult(string Plan) : StatementResult;

/// <summary><c>cohort ...</c>: a computed cohort (retention) table.</summary>
/// <param name="Table">The table.</param>
public sealed record CohortResult(CohortTable Table) : StatementResult;

/// <summary><c>trend ...</c>: one count per period (a share of a whole with <c>of</c>).</summary>
/// <param name="Table">The series.</param>
public sealed record TrendResult(Trends.TrendTable Table) : StatementResult;

/// <summary><c>funnel ...</c>: one funnel per period.</summary>
/// <param name="Table">The funnels.</param>
public sealed record FunnelResult(Trends.FunnelTable Table) : StatementResult;

/// <summary><c>let NAME = SET</c>: nothing to show (the parser put the set in place of the name in later statements).</summary>
public sealed record NoResult : StatementResult
{
    /// <summary>The one instance.</summary>
    public static NoResult Instance { get; } = new();
}
