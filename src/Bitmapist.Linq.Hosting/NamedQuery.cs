using System.Collections.Immutable;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

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
        (Kind, Set, Whole) = statement switch
        {
            PercentStatement p => (NamedQueryKind.Percent, p.Part, p.Whole),
            QueryStatement { Query.Read: ReadKind.Ids } q => (NamedQueryKind.Ids, q.Query.Set, (SetExpr?)null),
            QueryStatement { Query.Read: ReadKind.Contains } q => (NamedQueryKind.Contains, q.Query.Set, null),
            QueryStatement q => (NamedQueryKind.Count, q.Query.Set, null),
            _ => throw new InvalidOperationException($"Unexpected statement {statement.Text}."),
        };
        var names = new SortedSet<string>(StringComparer.Ordinal);
        CollectParameters(Set, names);
        if (Whole is not null) CollectParameters(Whole, names);
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

    /// <summary>The query's set; for <see cref="NamedQueryKind.Percent"/>, the part.</summary>
    public SetExpr Set { get; }

    /// <summary>For <see cref="NamedQueryKind.Percent"/>, the whole; otherwise null.</summary>
    public SetExpr? Whole { get; }

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
        if (statement is not (QueryStatement or PercentStatement))
            throw new BitmapistConfigurationException(setting,
                $"The query {setting} is '{statement.Text}' (line {statement.Line}): a named query is a count, ids, in or percent statement or a set.");
        return new NamedQuery(name, setting, text, statement);
    }

    private static void CollectParameters(SetExpr set, SortedSet<string> names)
    {
        if (set is ParameterNode p) names.Add(p.Name);
        foreach (var child in set.Children) CollectParameters(child, names);
    }
}

/// <summary>The result of running a named query as written (<see cref="NamedQueries.RunAsync"/>); one of the values is set, by <see cref="Kind"/>.</summary>
/// <param name="Name">The query's name.</param>
/// <param name="Kind">What the query read.</param>
/// <param name="Count">For <see cref="NamedQueryKind.Count"/>: the number of users.</param>
/// <param name="Ids">For <see cref="NamedQueryKind.Ids"/>: the ids, ascending, at most the statement's limit.</param>
/// <param name="Contains">For <see cref="NamedQueryKind.Contains"/>: whether the id is a member.</param>
/// <param name="Percent">For <see cref="NamedQueryKind.Percent"/>: the percentage, or null when the whole is empty (undefined).</param>
public sealed record NamedQueryResult(string Name, NamedQueryKind Kind, long? Count = null, IReadOnlyList<long>? Ids = null,
    bool? Contains = null, double? Percent = null)
{
    /// <summary>
    /// Events the query read that have no key in any period of the store (most likely misspelt, so the value above
    /// counts them as empty), with the nearest stored names; empty when every event exists.
    /// </summary>
    public IReadOnlyList<EventWarning> Warnings { get; init; } = [];

    /// <summary>The value in words: <c>1234</c>, <c>[1, 2, 3]</c>, <c>true</c>, <c>12.5%</c>, or <c>.</c> for the percentage of an empty whole.</summary>
    public override string ToString() => Kind switch
    {
        NamedQueryKind.Count => Count!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
        NamedQueryKind.Ids => "[" + string.Join(", ", Ids!) + "]",
        NamedQueryKind.Contains => Contains!.Value ? "true" : "false",
        _ => Percent is { } p ? p.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "%" : ".",
    };
}
