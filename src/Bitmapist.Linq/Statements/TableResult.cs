using System.Collections.Immutable;

namespace Bitmapist.Linq.Statements;

/// <summary>
/// A result that is a small table with a few facts about it: every output renders it without a case of its own
/// (an aligned table or the REPL's rich table with the facts above it; CSV with the facts as leading columns; JSON
/// <c>{"NAME":{"fact":value,...,"rows":[{"column":value,...},...]}}</c>). A new statement whose answer is a table
/// derives its result from this, and no renderer changes.
/// </summary>
public abstract record TableResult : StatementResult
{
    /// <summary>The result's name: the JSON property, and the heading of the REPL's table (<c>describe</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The column names, lower case (<c>unit</c>, <c>keys</c>...).</summary>
    public abstract ImmutableArray<string> Columns { get; }

    /// <summary>The rows: one value per column (a string, a number, a boolean, or null for none).</summary>
    public abstract IReadOnlyList<ImmutableArray<object?>> Rows { get; }

    /// <summary>Facts about the whole table (name, value), shown with it: <c>("event", "active")</c>.</summary>
    public virtual IReadOnlyList<KeyValuePair<string, object?>> Facts => [];
}
