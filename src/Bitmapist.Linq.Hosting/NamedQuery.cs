using System.Collections.Immutable;
using System.Globalization;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Trends;

namespace Bitmapist.Linq.Hosting;

/// <summary>What a named query reads, from its statement.</summary>
public enum NamedQueryKind
{
    /// <summary><c>count set</c> or a bare set: the number of users.</summary>
    Count,
    /// <summary><c>ids set [limit n] [after id]</c>: the users' ids.</summary>
    Ids,
    /// <summary><c>id in set</c>: whether the user is a member.</summary>
    Contains,
    /// <summary><c>percent part of whole</c>: the share of the whole in the part, in percent.</summary>
    Percent,
    /// <summary><c>cohort SET then SET by UNIT ...</c>: a cohort (retention) table.</summary>
    Cohort,
    /// <summary><c>trend SET by UNIT ... [of SET by UNIT]</c>: one count (or share of a whole) per period.</summary>
    Trend,
    /// <summary><c>funnel SET then SET [then SET ...] by UNIT ...</c>: one funnel per period.</summary>
    Funnel,
}

/// <summary>A named query from configuration, parsed and checked at start-up.</summary>
public sealed class NamedQuery
{
    private NamedQuery(string name, string setting, string text, TextStatement statement)
    {
        Name = name;
        Setting = setting;
        Source = text;
        Statement = statement;
        (Kind, Sets, Whole) = statement switch
        {
            PercentStatement p => (NamedQueryKind.Percent, ImmutableArray.Create(p.Part, p.Whole), p.Whole),
            QueryStatement { Query.Read: ReadKind.Ids } q => (NamedQueryKind.Ids, ImmutableArray.Create(q.Query.Set), (SetExpr?)null),
            QueryStatement { Query.Read: ReadKind.Contains } q => (NamedQueryKind.Contains, ImmutableArray.Create(q.Query.Set), null),
            QueryStatement q => (NamedQueryKind.Count, ImmutableArray.Create(q.Query.Set), null),
            CohortStatement c => (NamedQueryKind.Cohort, ImmutableArray.Create(c.Query.Cohort, c.Query.Return), null),
            TrendStatement { Query.Of: { } of } t => (NamedQueryKind.Trend, ImmutableArray.Create(t.Query.Template, of.Template), of.Template),
            TrendStatement t => (NamedQueryKind.Trend, ImmutableArray.Create(t.Query.Template), null),
            FunnelStatement f => (NamedQueryKind.Funnel, f.Query.Steps, null),
            _ => throw new InvalidOperationException($"Unexpected statement {statement.Text}."),
        };
        Set = Sets[0];
        // Every set counts: a parameter used only in a ratio's whole or a funnel's last step still needs a value.
        var names = new SortedSet<string>(Sets.SelectMany(s => s.ParameterNames()), StringComparer.Ordinal);
        Parameters = [.. names];
    }

    /// <summary>The query's name (its key under <c>Queries</c>).</summary>
    public string Name { get; }

    /// <summary>The configuration path of the query, e.g. <c>Bitmapist:Queries:retention</c>.</summary>
    public string Setting { get; }

    /// <summary>The query text as configured.</summary>
    public string Source { get; }

    /// <summary>The parsed statement (any <c>let</c> names already substituted).</summary>
    public TextStatement Statement { get; }

    /// <summary>What the query reads.</summary>
    public NamedQueryKind Kind { get; }

    /// <summary>
    /// The query's set; for <see cref="NamedQueryKind.Percent"/>, the part. For a table (cohort, trend, funnel) the
    /// first template: the cohort's set, the trend's counted set, the funnel's first step, whose bare event names
    /// take each row's period when it runs.
    /// </summary>
    public SetExpr Set { get; }

    /// <summary>For <see cref="NamedQueryKind.Percent"/>, the whole; for a trend with <c>of</c>, the whole's template; otherwise null.</summary>
    public SetExpr? Whole { get; }

    /// <summary>
    /// Every set the statement reads, as written: the set; a percent's part and whole; a cohort's set and return set;
    /// a trend's template and its whole's; every step of a funnel. <see cref="Parameters"/> come from all of them.
    /// </summary>
    public ImmutableArray<SetExpr> Sets { get; }

    /// <summary>True for the queries whose result is a table (cohort, trend, funnel), which run with <see cref="NamedQueries.CohortAsync"/>, <see cref="NamedQueries.TrendAsync"/>, <see cref="NamedQueries.FunnelAsync"/> or <see cref="NamedQueries.RunAsync"/>.</summary>
    public bool IsTable => Kind is NamedQueryKind.Cohort or NamedQueryKind.Trend or NamedQueryKind.Funnel;

    /// <summary>The names of the query's <c>@name</c> parameters, sorted, without the <c>@</c>.</summary>
    public ImmutableArray<string> Parameters { get; }

    /// <summary>The statement in canonical text.</summary>
    public override string ToString() => Statement.Text;

    /// <summary>Parses <paramref name="text"/>: one statement or set, optionally after <c>let</c> statements.</summary>
    /// <exception cref="BitmapistConfigurationException">The text does not parse or is not one query.</exception>
    internal static NamedQuery Parse(string name, string setting, string text)
    {
        IReadOnlyList<TextStatement> statements;
        try
        {
            statements = TextQuery.Parse(text);
        }
        catch (QuerySyntaxException e)
        {
            throw BitmapistConfigurationException.DoesNotParse("query", setting, e);
        }
        var main = statements.Where(s => s is not LetStatement).ToList();
        if (main.Count == 0)
            throw new BitmapistConfigurationException(setting, statements.Count == 0
                ? $"The query {setting} is empty: write one statement or a set, like count month(active)."
                : $"The query {setting} only defines names with let: end it with the statement or set that uses them, like count {((LetStatement)statements[^1]).Name}.");
        if (main.Count > 1)
            throw new BitmapistConfigurationException(setting,
                $"The query {setting} holds {main.Count} statements (lines {string.Join(", ", main.Select(s => s.Line))}): " +
                "a named query is one statement or a set, optionally after let statements; give each its own name.");
        var statement = main[0];
        if (statement is not (QueryStatement or PercentStatement or CohortStatement or TrendStatement or FunnelStatement))
            throw new BitmapistConfigurationException(setting,
                $"The query {setting} is '{statement.Text}' (line {statement.Line}): a named query is a count, ids, in, percent, cohort, trend or funnel statement or a set.");
        return new NamedQuery(name, setting, text, statement);
    }

}

/// <summary>The result of running a named query as written (<see cref="NamedQueries.RunAsync"/>); one of the values is set, by <see cref="Kind"/>.</summary>
/// <param name="Name">The query's name.</param>
/// <param name="Kind">What the query read.</param>
/// <param name="Count">For <see cref="NamedQueryKind.Count"/>: the number of users.</param>
/// <param name="Ids">For <see cref="NamedQueryKind.Ids"/>: the ids, ascending, at most the statement's limit.</param>
/// <param name="Contains">For <see cref="NamedQueryKind.Contains"/>: whether the id is a member.</param>
/// <param name="Percent">For <see cref="NamedQueryKind.Percent"/>: the percentage, or null when the whole is empty (undefined).</param>
/// <param name="Cohort">For <see cref="NamedQueryKind.Cohort"/>: the cohort table.</param>
/// <param name="Trend">For <see cref="NamedQueryKind.Trend"/>: the series, one row per period.</param>
/// <param name="Funnel">For <see cref="NamedQueryKind.Funnel"/>: the funnels, one row per period.</param>
public sealed record NamedQueryResult(string Name, NamedQueryKind Kind, long? Count = null, IReadOnlyList<long>? Ids = null,
    bool? Contains = null, double? Percent = null, CohortTable? Cohort = null, TrendTable? Trend = null, FunnelTable? Funnel = null)
{
    /// <summary>
    /// Events the query read that have no key in any period of the store (most likely misspelt, so the value above
    /// counts them as empty), with the nearest stored names; empty when every event exists.
    /// </summary>
    public IReadOnlyList<EventWarning> Warnings { get; init; } = [];

    /// <summary>
    /// For <see cref="NamedQueryKind.Ids"/> on a store with an id map (the <c>IdMap</c> setting): <see cref="Ids"/> with
    /// their external ids, in the same order (by internal id, not alphabetical); an id with no external id (marked by
    /// number) has a null <see cref="MappedId.ExternalId"/>. Null without an id map.
    /// </summary>
    public IReadOnlyList<MappedId>? MappedIds { get; init; }

    /// <summary>
    /// The value in words: <c>1234</c>, <c>[1, 2, 3]</c> (<c>[alice, bob, #7]</c> with an id map: <c>#</c> and the
    /// internal id for one with no external id), <c>true</c>, <c>12.5%</c>, or <c>.</c> for the percentage of
    /// an empty whole. A table in one line: a trend's values oldest first (<c>2026-11-26..2026-11-28: 12 15 14</c>,
    /// shares as <c>12.5%</c>), a funnel's steps summed over its rows (<c>2026-11-22..2026-11-28: signup 100 &gt; paid 9</c>),
    /// a cohort table's average row.
    /// </summary>
    public override string ToString() => Kind switch
    {
        NamedQueryKind.Count => Count!.Value.ToString(CultureInfo.InvariantCulture),
        NamedQueryKind.Ids => "[" + (MappedIds is { } mapped ? string.Join(", ", mapped.Select(m => m.Display)) : string.Join(", ", Ids!)) + "]",
        NamedQueryKind.Contains => Contains!.Value ? "true" : "false",
        NamedQueryKind.Trend => Span(Trend!.Rows.Select(r => r.Period)) + string.Join(" ", Trend.Rows.Select(r =>
            Trend.IsRatio ? Share(r.Percent) : r.Count.ToString(CultureInfo.InvariantCulture))),
        NamedQueryKind.Funnel => Span(Funnel!.Rows.Select(r => r.Period)) + string.Join(" > ", Funnel.Steps.Zip(Funnel.Totals,
            (step, total) => step + " " + total.ToString(CultureInfo.InvariantCulture))),
        NamedQueryKind.Cohort => Span(Cohort!.Rows.Select(r => r.Period)) + "average " + string.Join(" ", Cohort.Average.Select(a =>
            Cohort.Values == CohortValues.Percent ? Share(a) : a is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) : ".")),
        _ => Share(Percent),
    };

    private static string Share(double? percent) => percent is { } p ? p.ToString("0.##", CultureInfo.InvariantCulture) + "%" : ".";

    /// <summary>The rows' first and last periods, <c>2026-11-26..2026-11-28: </c>.</summary>
    private static string Span(IEnumerable<Model.Period> periods)
    {
        var list = periods.ToList();
        return list.Count == 0 ? "" : list.Count == 1 ? $"{list[0]}: " : $"{list[0]}..{list[^1]}: ";
    }
}
