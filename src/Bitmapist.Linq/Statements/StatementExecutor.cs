using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Statements;

/// <summary>
/// Runs statements of the text query language (<see cref="TextQuery.Parse"/>) on a store: the one place their
/// meaning lives, shared by the CLI's commands, its REPL and the hosting package's named queries. A new statement
/// is its result record (<see cref="StatementResult"/>), a case here, and a rendering case in each host's outputs.
/// Thread-safe when the store is.
/// </summary>
/// <param name="store">The store the statements run on.</param>
public sealed class StatementExecutor(BitmapStore store)
{
    /// <summary>The store the statements run on.</summary>
    public BitmapStore Store { get; } = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>
    /// Runs <paramref name="statement"/>, then checks the events it read (<see cref="CheckEventsAsync"/>, after the
    /// statement and not in its batch, so its commands stay exactly what explain shows): the result's
    /// <see cref="StatementResult.Warnings"/> names each that has no key at all. The ids of an
    /// <see cref="IdsResult"/> are read as they are enumerated.
    /// </summary>
    /// <param name="statement">The statement.</param>
    /// <param name="parameters">Values of its <c>@name</c> parameters, if it has any.</param>
    /// <param name="ct">Cancels the statement.</param>
    /// <exception cref="BitmapistQueryException">The statement cannot be planned (a parameter has no value, a complement with no universe, ...).</exception>
    /// <exception cref="BitmapistStoreException">The store failed.</exception>
    public async Task<StatementResult> ExecuteAsync(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var values = parameters is { Count: > 0 } ? parameters : null;
        var result = await RunAsync(statement, values, ct).ConfigureAwait(false);
        var warnings = await CheckEventsAsync(statement, values, ct).ConfigureAwait(false);
        return warnings.Count == 0 ? result : result with { Warnings = warnings };
    }

    /// <summary>
    /// The events <paramref name="statement"/> reads that have no key in any period of the store
    /// (<see cref="BitmapStore.CheckEventsAsync(SetExpr, IReadOnlyDictionary{string, SetExpr}?, CancellationToken)"/>);
    /// empty for the statements that read no event (explain, events, let).
    /// </summary>
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default) => statement switch
    {
        QueryStatement q => Store.CheckEventsAsync(q.Query.Set, parameters, ct),
        PercentStatement p => Store.CheckEventsAsync(SetExpr.Or(p.Numerator, p.Whole), parameters, ct),
        CohortStatement c => Store.CheckEventsAsync(c.Query, parameters, ct),
        _ => Task.FromResult<IReadOnlyList<EventWarning>>([]),
    };

    /// <summary>
    /// The explain document of what running <paramref name="statement"/> sends: one document for a count, ids or
    /// membership, one batch for a percent's two counts, the table's batch for a cohort. Plans without running,
    /// so it also checks a statement can be planned.
    /// </summary>
    /// <exception cref="BitmapistQueryException">The statement cannot be planned, or has no plan (events, let, explain).</exception>
    public string Explain(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters = null) => statement switch
    {
        QueryStatement q => Store.Explain(q.Query, parameters),
        PercentStatement p => Store.ExplainCounts(PercentCounts(p), parameters),
        CohortStatement c => Store.Explain(c.Query, parameters),
        _ => throw new BitmapistQueryException($"'{statement.Text}' has no plan to explain.",
            "Explain a count, ids, in, percent or cohort statement, or a set."),
    };

    /// <summary>A percent's counts in the order of its one batch: the whole, then the part within it.</summary>
    private static SetExpr[] PercentCounts(PercentStatement p) => [p.Whole, p.Numerator];

    /// <summary>
    /// Runs <paramref name="statement"/> without checking its events afterwards (<see cref="StatementResult.Warnings"/>
    /// stays empty): only the statement's own batch, for callers that want the value alone. A <c>percent</c> counts its
    /// whole and its part in one batch (one round trip on Redis).
    /// </summary>
    /// <param name="statement">The statement.</param>
    /// <param name="parameters">Values of its <c>@name</c> parameters, if it has any.</param>
    /// <param name="ct">Cancels the statement.</param>
    /// <exception cref="BitmapistQueryException">The statement cannot be planned, or this executor has no case for its type.</exception>
    /// <exception cref="BitmapistStoreException">The store failed.</exception>
    public async Task<StatementResult> RunAsync(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        var values = parameters is { Count: > 0 } ? parameters : null;
        UserSet Set(SetExpr e) => Store.Set(values is null ? e : e.WithParameters(values));
        switch (statement)
        {
            case QueryStatement { Query.Read: ReadKind.Ids } q:
                return new IdsResult(q.Paging, Set(q.Query.Set).PageIdsAsync(q.Paging, ct));
            case QueryStatement { Query.Read: ReadKind.Contains } q:
                return new ContainsResult(q.Query.Id, await Set(q.Query.Set).ContainsAsync(q.Query.Id, ct).ConfigureAwait(false));
            case QueryStatement { Query.Read: ReadKind.Count } q:
                return new CountResult(await Set(q.Query.Set).CountAsync(ct).ConfigureAwait(false));
            case PercentStatement p:
                // Both counts in one batch: one round trip on Redis, and the part and the whole see the same data.
                var counts = await Store.CountAllAsync(PercentCounts(p), values, ct).ConfigureAwait(false);
                var (whole, part) = (counts[0], counts[1]);
                return new PercentResult(whole == 0 ? null : 100.0 * part / whole, part, whole);
            case CohortStatement c:
                return new CohortResult(await Store.CohortAsync(c.Query, values, ct).ConfigureAwait(false));
            case ExplainStatement e:
                return new ExplainResult(Explain(e.Statement, values));
            case EventsStatement e:
                return new EventsResult(await Store.ListEventsAsync(e.Prefix, ct).ConfigureAwait(false));
            case LetStatement:
                return NoResult.Instance;
            default:
                throw new BitmapistQueryException($"'{statement.Text}' cannot run: the statement executor has no case for {statement.GetType().Name}.",
                    "Add its case to StatementExecutor (docs/EXTENDING.md).");
        }
    }
}
