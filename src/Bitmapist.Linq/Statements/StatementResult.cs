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

/// <summary><c>ID in SET</c>: whether the user is a member.</summary>
/// <param name="Id">The user id asked about.</param>
/// <param name="Contains">True when the set holds it.</param>
public sealed record ContainsResult(long Id, bool Contains) : StatementResult;

/// <summary>
/// <c>ids SET [limit N] [after ID]</c>: one page of the set's ids, ascending, read lazily as <see cref="Ids"/>
/// is enumerated (a long list is streamed, never held). Each enumeration reads the page again.
/// </summary>
/// <param name="Paging">The page the statement asked for.</param>
/// <param name="Ids">The ids of the page.</param>
public sealed record IdsResult(Paging Paging, IAsyncEnumerable<long> Ids) : StatementResult;

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
