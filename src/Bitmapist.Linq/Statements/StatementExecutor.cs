using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Statements;

/// <summary>
/// Runs statements of the text query language (<see cref="TextQuery.Parse"/>) on a store, for the CLI's commands,
/// its REPL and the hosting package's named queries alike: runs each (every statement knows its own meaning:
/// <see cref="TextStatement"/>), then checks the events it read. Thread-safe when the store is.
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
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return statement.CheckEventsAsync(Context(parameters), ct);
    }

    /// <summary>
    /// The explain document of what running <paramref name="statement"/> sends: one document for a count, ids or
    /// membership, one batch for a percent's two counts, the table's batch for a cohort. Plans without running,
    /// so it also checks a statement can be planned.
    /// </summary>
    /// <exception cref="BitmapistQueryException">The statement cannot be planned, or has no plan (events, let, explain).</exception>
    public string Explain(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return statement.Explain(Context(parameters));
    }

    private StatementContext Context(IReadOnlyDictionary<string, SetExpr>? parameters) =>
        new(Store, parameters is { Count: > 0 } ? parameters : null);

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
    public Task<StatementResult> RunAsync(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return statement.RunAsync(Context(parameters), ct);
    }
}
