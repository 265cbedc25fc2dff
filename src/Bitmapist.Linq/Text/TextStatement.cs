using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Text;

/// <summary>
/// One statement of a text query, as <see cref="TextQuery.Parse"/> returns it, and what it means: each statement
/// runs, checks the events it reads and explains itself on a store, so <see cref="StatementExecutor"/> has no case
/// per statement and a new statement is its grammar rule, its walker branch and its own record (docs/EXTENDING.md).
/// </summary>
public abstract record TextStatement
{
    /// <summary>The line the statement starts on, from 1.</summary>
    public int Line { get; init; }

    /// <summary>The statement in the text query language.</summary>
    public abstract string Text { get; }

    /// <summary>Runs the statement on <paramref name="context"/>'s store (<see cref="StatementExecutor.RunAsync"/>).</summary>
    protected internal abstract Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct);

    /// <summary>The events the statement reads that have no key in any period; none for a statement that reads no event.</summary>
    protected internal virtual Task<IReadOnlyList<EventWarning>> CheckEventsAsync(StatementContext context, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<EventWarning>>([]);

    /// <summary>
    /// The sets this statement counts, when all it reads is counts: then it may run in one batch with the count
    /// statements around it (<see cref="StatementExecutor.ExecuteAllAsync"/>) and its result is
    /// <see cref="FromCounts"/>. Null (the default) for a statement that reads anything else.
    /// </summary>
    protected internal virtual IReadOnlyList<SetExpr>? Counts => null;

    /// <summary>The result, from the counts of <see cref="Counts"/> in their order.</summary>
    /// <exception cref="NotSupportedException">The statement is not counts only (<see cref="Counts"/> is null).</exception>
    protected internal virtual StatementResult FromCounts(IReadOnlyList<long> counts) =>
        throw new NotSupportedException($"'{Text}' is not a statement of counts only.");

    /// <summary>
    /// The sets the statement reads, as written (parameters unbound); empty for a statement that reads none. The
    /// executor looks in them for literal external ids, which need the store's id map.
    /// </summary>
    protected internal virtual IReadOnlyList<SetExpr> Sets => [];

    /// <summary>Whether running the statement looks external ids up in the store's id map (<c>{'alice'}</c>, <c>'alice' in SET</c>).</summary>
    internal virtual bool NamesExternalIds(IReadOnlyDictionary<string, SetExpr>? parameters) =>
        Sets.Any(s => s.Contains(SetKind.ExternalIds)) || (parameters?.Values.Any(v => v.Contains(SetKind.ExternalIds)) ?? false);

    /// <summary>The explain document of what running the statement sends; a statement without a plan refuses.</summary>
    /// <exception cref="BitmapistQueryException">The statement has no plan (events, let, explain).</exception>
    protected internal virtual string Explain(StatementContext context) =>
        throw new BitmapistQueryException($"'{Text}' has no plan to explain.", "Explain a count, ids, in, percent, cohort, trend or funnel statement, or a set.");

    /// <inheritdoc />
    public sealed override string ToString() => Text;
}

/// <summary><c>count s</c>, <c>ids s [limit N] [after ID]</c>, <c>ID in s</c> (or <c>'alice' in s</c>), or a bare set (a count).</summary>
/// <param name="Query">The set and what to read; for ids, <see cref="SetQuery.Id"/> is the first id to return.</param>
/// <param name="Limit">For ids: at most this many ids, or null for all.</param>
/// <param name="IsBare">True for a bare set, which means count.</param>
public sealed record QueryStatement(SetQuery Query, int? Limit = null, bool IsBare = false) : TextStatement
{
    /// <summary>
    /// For ids: the page the statement reads (<c>limit N</c> and <c>after ID</c>; the text has no skip), the same
    /// model as <see cref="UserSet.PageIdsAsync(Paging, CancellationToken)"/>; <see cref="Paging.All"/> for other reads.
    /// </summary>
    public Paging Paging => Query.Read == ReadKind.Ids ? new Paging(Limit, Query.Id > 0 ? Query.Id - 1 : null) : Paging.All;

    /// <summary>
    /// For <c>'alice' in SET</c>: the external id asked about, looked up in the store's id map
    /// (<see cref="StoreOptions.IdMap"/>) when the statement runs (<see cref="SetQuery.Id"/> is then unused); null for
    /// a membership by internal id and for the other reads.
    /// </summary>
    public string? ExternalId { get; init; }

    /// <summary>The statement <c>'alice' in SET</c>: whether the user with that external id is in <paramref name="set"/>.</summary>
    /// <exception cref="ArgumentException">The external id cannot be mapped (empty, over 1,024 bytes of UTF-8, not valid Unicode).</exception>
    public static QueryStatement Contains(SetExpr set, string externalId)
    {
        ArgumentNullException.ThrowIfNull(set);
        IdMapping.IdMap.ValidateExternalId(externalId, nameof(externalId));
        return new QueryStatement(new SetQuery(set, ReadKind.Contains)) { ExternalId = externalId };
    }

    /// <summary>The statement <c>ids SET [limit N] [after ID]</c> that reads <paramref name="paging"/> of <paramref name="set"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="paging"/> skips ids: the text language has no skip (read such a page with <see cref="UserSet.PageIdsAsync(Paging, CancellationToken)"/>).</exception>
    public static QueryStatement Ids(SetExpr set, Paging paging)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (paging.Skip > 0)
            throw new ArgumentException($"An ids statement cannot skip ids ({paging}): the text language pages with limit and after only. Read the page with UserSet.PageIdsAsync(Paging) instead.", nameof(paging));
        // No id follows the largest: that page is empty, as the parser reads 'after 4294967295'.
        if (paging.After == Model.UserIds.Max) return new QueryStatement(new SetQuery(SetExpr.Empty, ReadKind.Ids), paging.Limit);
        return new QueryStatement(new SetQuery(set, ReadKind.Ids, checked((uint)paging.From)), paging.Limit);
    }

    /// <inheritdoc />
    public override string Text => IsBare ? Query.Set.Text
        : Query.Read == ReadKind.Ids
            ? "ids " + Query.Set.Text + (Limit is { } n ? $" limit {n}" : "") + (Query.Id > 0 ? $" after {Query.Id - 1}" : "")
            : ExternalId is { } x ? $"{TextSyntax.Quote(x)} in {Query.Set}"
            : Query.ToString();

    /// <inheritdoc />
    protected internal override IReadOnlyList<SetExpr>? Counts => Query.Read == ReadKind.Count ? [Query.Set] : null;

    /// <inheritdoc />
    protected internal override IReadOnlyList<SetExpr> Sets => [Query.Set];

    /// <inheritdoc />
    internal override bool NamesExternalIds(IReadOnlyDictionary<string, SetExpr>? parameters) =>
        ExternalId is not null || base.NamesExternalIds(parameters);

    /// <inheritdoc />
    protected internal override StatementResult FromCounts(IReadOnlyList<long> counts) => new CountResult(counts[0]);

    /// <inheritdoc />
    protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct)
    {
        var set = context.Set(Query.Set);
        if (ExternalId is { } externalId) return await ContainsExternalAsync(context, set, externalId, ct).ConfigureAwait(false);
        return Query.Read switch
        {
            ReadKind.Ids => new IdsResult(Paging, set.PageIdsAsync(Paging, ct)) { IdMap = context.Store.DefaultIdMap },
            ReadKind.Contains => new ContainsResult(Query.Id, await set.ContainsAsync(Query.Id, ct).ConfigureAwait(false)),
            ReadKind.Count => new CountResult(await set.CountAsync(ct).ConfigureAwait(false)),
            _ => throw new BitmapistQueryException($"'{Text}' cannot run: a statement reads a count, a membership or ids, not {Query.Read}.",
                "Use count, ids or ID in SET."),
        };
    }

    /// <summary>
    /// <c>'alice' in SET</c>: the external id's internal id from the store's id map, then the membership of that id
    /// (one lookup, then one read); an external id with no internal id is in no set, so nothing more is read.
    /// </summary>
    private async Task<StatementResult> ContainsExternalAsync(StatementContext context, UserSet set, string externalId, CancellationToken ct)
    {
        var map = context.Store.RequireIdMap($"The statement {Text}");
        var id = await map.FindAsync(externalId, ct).ConfigureAwait(false);
        var contains = id is { } internalId && await set.ContainsAsync(internalId, ct).ConfigureAwait(false);
        return new ContainsResult(id is { } found ? found : -1L, contains) { ExternalId = externalId };
    }

    /// <inheritdoc />
    protected internal override Task<IReadOnlyList<EventWarning>> CheckEventsAsync(StatementContext context, CancellationToken ct) =>
        context.Store.CheckEventsAsync(Query.Set, context.Parameters, ct);

    /// <inheritdoc />
    protected internal override string Explain(StatementContext context)
    {
        if (ExternalId is not { } externalId) return context.Store.Explain(Query, context.Parameters);
        // The lookup comes first and decides what is read: the membership of the internal id it finds, or nothing.
        var map = context.Store.RequireIdMap($"The statement {Text}");
        var id = map.FindAsync(externalId).GetAwaiter().GetResult();
        return id is { } internalId
            ? $"lookup:    {TextSyntax.Quote(externalId)} is internal id {internalId} in the id map '{map.Name}'\n" +
              context.Store.Explain(Query with { Id = internalId }, context.Parameters)
            : $"lookup:    {TextSyntax.Quote(externalId)} has no internal id in the id map '{map.Name}': it is in no set, and nothing is read\n";
    }
}

/// <summary><c>percent part of whole</c>: 100 * |part and whole| / |whole|.</summary>
public sealed record PercentStatement(SetExpr Part, SetExpr Whole) : TextStatement
{
    /// <summary>The intersection whose count is the numerator.</summary>
    public SetExpr Numerator => SetExpr.And(Part, Whole);

    /// <inheritdoc />
    public override string Text => $"percent {Part.Text} of {Whole.Text}";

    /// <inheritdoc />
    protected internal override IReadOnlyList<SetExpr> Sets => [Part, Whole];

    /// <summary>The counts of the one batch: the whole, then the part within it.</summary>
    protected internal override IReadOnlyList<SetExpr> Counts => [Whole, Numerator];

    /// <inheritdoc />
    protected internal override StatementResult FromCounts(IReadOnlyList<long> counts)
    {
        var (whole, part) = (counts[0], counts[1]);
        return new PercentResult(whole == 0 ? null : 100.0 * part / whole, part, whole);
    }

    /// <inheritdoc />
    protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        // Both counts in one batch: one round trip on Redis, and the part and the whole see the same data.
        FromCounts(await context.Store.CountAllAsync(Counts, context.Parameters, ct).ConfigureAwait(false));

    /// <inheritdoc />
    protected internal override Task<IReadOnlyList<EventWarning>> CheckEventsAsync(StatementContext context, CancellationToken ct) =>
        context.Store.CheckEventsAsync(SetExpr.Or(Numerator, Whole), context.Parameters, ct);

    /// <inheritdoc />
    protected internal override string Explain(StatementContext context) => context.Store.ExplainCounts(Counts, context.Parameters);
}

/// <summary><c>explain statement</c>: the plans of <see cref="Statement"/> instead of its result.</summary>
public sealed record ExplainStatement(TextStatement Statement) : TextStatement
{
    /// <inheritdoc />
    public override string Text => "explain " + Statement.Text;

    /// <inheritdoc />
    internal override bool NamesExternalIds(IReadOnlyDictionary<string, SetExpr>? parameters) => Statement.NamesExternalIds(parameters);

    /// <inheritdoc />
    protected internal override Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        Task.FromResult<StatementResult>(new ExplainResult(Statement.Explain(context)));
}

/// <summary><c>events [prefix]</c>: the event names in the store.</summary>
public sealed record EventsStatement(string Prefix) : TextStatement
{
    /// <inheritdoc />
    public override string Text => Prefix.Length == 0 ? "events" : "events " + TextSyntax.Name(Prefix);

    /// <inheritdoc />
    protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        new EventsResult(await context.Store.ListEventsAsync(Prefix, ct).ConfigureAwait(false));
}

/// <summary><c>let name = set</c>: a name later statements can use in place of the set.</summary>
public sealed record LetStatement(string Name, SetExpr Set) : TextStatement
{
    /// <inheritdoc />
    public override string Text => $"let {Name} = {Set.Text}";

    /// <summary>Nothing runs: the parser already put the set in place of the name in later statements.</summary>
    protected internal override Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        Task.FromResult<StatementResult>(NoResult.Instance);
}

/// <summary><c>cohort [first] SET then SET by UNIT [options]</c>: a cohort (retention) table.</summary>
public sealed record CohortStatement(Cohorts.CohortQuery Query) : TextStatement
{
    /// <inheritdoc />
    public override string Text => Query.Text;

    /// <inheritdoc />
    protected internal override IReadOnlyList<SetExpr> Sets => [Query.Cohort, Query.Return];

    /// <inheritdoc />
    protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        new CohortResult(await context.Store.CohortAsync(Query, context.Parameters, ct).ConfigureAwait(false));

    /// <inheritdoc />
    protected internal override Task<IReadOnlyList<EventWarning>> CheckEventsAsync(StatementContext context, CancellationToken ct) =>
        context.Store.CheckEventsAsync(Query, context.Parameters, ct);

    /// <inheritdoc />
    protected internal override string Explain(StatementContext context) => context.Store.Explain(Query, context.Parameters);
}

/// <summary><c>trend SET by UNIT [options] [of SET by UNIT [window W]]</c>: one count (or share) per period.</summary>
public sealed record TrendStatement(Trends.TrendQuery Query) : TextStatement
{
    /// <inheritdoc />
    public override string Text => Query.Text;

    /// <inheritdoc />
    protected internal override IReadOnlyList<SetExpr> Sets => Query.Of is { } of ? [Query.Template, of.Template] : [Query.Template];

    /// <inheritdoc />
    protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        new TrendResult(await context.Store.TrendAsync(Query, context.Parameters, ct).ConfigureAwait(false));

    /// <inheritdoc />
    protected internal override Task<IReadOnlyList<EventWarning>> CheckEventsAsync(StatementContext context, CancellationToken ct) =>
        context.Store.CheckEventsAsync(Query, context.Parameters, ct);

    /// <inheritdoc />
    protected internal override string Explain(StatementContext context) => context.Store.Explain(Query, context.Parameters);
}

/// <summary><c>funnel SET then SET [then SET ...] by UNIT [options]</c>: one funnel per period.</summary>
public sealed record FunnelStatement(Trends.FunnelQuery Query) : TextStatement
{
    /// <inheritdoc />
    public override string Text => Query.Text;

    /// <inheritdoc />
    protected internal override IReadOnlyList<SetExpr> Sets => Query.Steps;

    /// <inheritdoc />
    protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        new FunnelResult(await context.Store.FunnelAsync(Query, context.Parameters, ct).ConfigureAwait(false));

    /// <inheritdoc />
    protected internal override Task<IReadOnlyList<EventWarning>> CheckEventsAsync(StatementContext context, CancellationToken ct) =>
        context.Store.CheckEventsAsync(Query, context.Parameters, ct);

    /// <inheritdoc />
    protected internal override string Explain(StatementContext context) => context.Store.Explain(Query, context.Parameters);
}
