using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Text;

/// <summary>One statement of a text query, as <see cref="TextQuery.Parse"/> returns it.</summary>
public abstract record TextStatement
{
    /// <summary>The line the statement starts on, from 1.</summary>
    public int Line { get; init; }

    /// <summary>The statement in the text query language.</summary>
    public abstract string Text { get; }

    /// <inheritdoc />
    public sealed override string ToString() => Text;
}

/// <summary><c>count s</c>, <c>ids s [limit N] [after ID]</c>, <c>ID in s</c>, or a bare set (a count).</summary>
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
            : Query.ToString();
}

/// <summary><c>percent part of whole</c>: 100 * |part and whole| / |whole|.</summary>
public sealed record PercentStatement(SetExpr Part, SetExpr Whole) : TextStatement
{
    /// <summary>The intersection whose count is the numerator.</summary>
    public SetExpr Numerator => SetExpr.And(Part, Whole);

    /// <inheritdoc />
    public override string Text => $"percent {Part.Text} of {Whole.Text}";
}

/// <summary><c>explain statement</c>: the plans of <see cref="Statement"/> instead of its result.</summary>
public sealed record ExplainStatement(TextStatement Statement) : TextStatement
{
    /// <inheritdoc />
    public override string Text => "explain " + Statement.Text;
}

/// <summary><c>events [prefix]</c>: the event names in the store.</summary>
public sealed record EventsStatement(string Prefix) : TextStatement
{
    /// <inheritdoc />
    public override string Text => Prefix.Length == 0 ? "events" : "events " + TextSyntax.Name(Prefix);
}

/// <summary><c>let name = set</c>: a name later statements can use in place of the set.</summary>
public sealed record LetStatement(string Name, SetExpr Set) : TextStatement
{
    /// <inheritdoc />
    public override string Text => $"let {Name} = {Set.Text}";
}

/// <summary><c>cohort [first] SET then SET by UNIT [options]</c>: a cohort (retention) table.</summary>
public sealed record CohortStatement(Cohorts.CohortQuery Query) : TextStatement
{
    /// <inheritdoc />
    public override string Text => Query.Text;
}
