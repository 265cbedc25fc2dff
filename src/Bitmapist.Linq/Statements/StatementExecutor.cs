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
        RequireIdMapFor(statement, parameters);
        var result = await RunAsync(statement, parameters, ct).ConfigureAwait(false);
        return await WithWarningsAsync(statement, result, parameters, ct).ConfigureAwait(false);
    }

    /// <summary><paramref name="result"/> with the warnings of the events <paramref name="statement"/> read, checked now.</summary>
    private async Task<StatementResult> WithWarningsAsync(TextStatement statement, StatementResult result,
        IReadOnlyDictionary<string, SetExpr>? parameters, CancellationToken ct)
    {
        var warnings = await CheckEventsAsync(statement, parameters, ct).ConfigureAwait(false);
        return warnings.Count == 0 ? result : result with { Warnings = warnings };
    }

    /// <summary>
    /// Runs <paramref name="statements"/> in order, as <see cref="ExecuteAsync"/> runs each, yielding each result as
    /// soon as it is known. Consecutive statements that only count (<c>count</c>, a bare set, <c>percent</c>) run as
    /// one batch: one program, one round trip on Redis, every count from the same data. That is safe because the
    /// answers are the same either way: if the batch cannot be planned or fails, its statements run one by one
    /// instead, so each result before the failing statement is still yielded and the error is that statement's own.
    /// </summary>
    /// <exception cref="BitmapistQueryException">A statement cannot be planned (after the results before it).</exception>
    /// <exception cref="BitmapistStoreException">The store failed (after the results before the failing statement).</exception>
    public async IAsyncEnumerable<StatementResult> ExecuteAllAsync(IReadOnlyList<TextStatement> statements,
        IReadOnlyDictionary<string, SetExpr>? parameters = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        var values = Context(parameters).Parameters;
        for (var i = 0; i < statements.Count;)
        {
            var end = i;
            while (end < statements.Count && statements[end].Counts is not null) end++;
            if (end - i < 2)
            {
                yield return await ExecuteAsync(statements[i], values, ct).ConfigureAwait(false);
                i++;
                continue;
            }
            var group = statements.Skip(i).Take(end - i).ToList();
            var batched = await TryCountTogetherAsync(group, values, ct).ConfigureAwait(false);
            for (var k = 0; k < group.Count; k++)
            {
                if (batched is null)
                {
                    yield return await ExecuteAsync(group[k], values, ct).ConfigureAwait(false);
                    continue;
                }
                yield return await WithWarningsAsync(group[k], batched[k], values, ct).ConfigureAwait(false);
            }
            i = end;
        }
    }

    /// <summary>The results of count-only statements from one batch of all their counts; null when it cannot be planned or run.</summary>
    private async Task<StatementResult[]?> TryCountTogetherAsync(List<TextStatement> group, IReadOnlyDictionary<string, SetExpr>? parameters, CancellationToken ct)
    {
        // A statement that cannot run is run alone, so its error comes after the results before it.
        if (group.Any(s => NeedsMissingIdMap(s, parameters))) return null;
        var sets = group.Select(s => s.Counts!).ToList();
        long[] counts;
        try
        {
            counts = await Store.CountAllAsync([.. sets.SelectMany(c => c)], parameters, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BitmapistQueryException or BitmapistStoreException)
        {
            return null; // one by one instead: the error then belongs to its statement, after the results before it
        }
        var results = new StatementResult[group.Count];
        for (int k = 0, at = 0; k < group.Count; at += sets[k].Count, k++)
            results[k] = group[k].FromCounts(counts[at..(at + sets[k].Count)]);
        return results;
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
        RequireIdMapFor(statement, parameters);
        return statement.Explain(Context(parameters));
    }

    /// <summary>
    /// Refuses, as a query error with the fix, a statement that names external ids (<c>{'alice'}</c>,
    /// <c>'alice' in SET</c>) on a store with no id map: every host (CLI, REPL, console, named queries) then says
    /// how to configure one, instead of failing inside the store.
    /// </summary>
    /// <exception cref="BitmapistQueryException">It names external ids and the store has no id map.</exception>
    private void RequireIdMapFor(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters)
    {
        if (!NeedsMissingIdMap(statement, parameters)) return;
        throw new BitmapistQueryException(
            $"'{Shorten(statement.Text)}' names users by external id (a quoted id like 'alice'), which the store looks up in its id map, and this store has none.",
            "Configure the store's id map: StoreOptions.IdMap (new StoreOptions { IdMap = \"users\" }), \"IdMap\": \"users\" in the Bitmapist configuration section, or --id-map users on the command line; or name users by their internal ids, like {42}.");
    }

    private bool NeedsMissingIdMap(TextStatement statement, IReadOnlyDictionary<string, SetExpr>? parameters) =>
        Store.DefaultIdMap is null && statement.NamesExternalIds(parameters);

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";

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
        RequireIdMapFor(statement, parameters);
        return statement.RunAsync(Context(parameters), ct);
    }
}
