using System.Collections.Immutable;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Statements;

/// <summary>
/// <c>describe EVENT</c>: which periods of an event have keys (per unit: how many, the first and the last) and how
/// many users it has this month (<see cref="BitmapStore.DescribeEventAsync"/>). The whole statement is this file,
/// its grammar rule and its walker branch: the demonstration of docs/EXTENDING.md.
/// </summary>
/// <param name="Event">The event name.</param>
public sealed record DescribeStatement(string Event) : TextStatement
{
    /// <inheritdoc />
    public override string Text => "describe " + Query.TextSyntax.Name(Event);

    /// <inheritdoc />
    protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
        new DescribeResult(await context.Store.DescribeEventAsync(Event, ct).ConfigureAwait(false));

    /// <summary>A misspelt event gets the same warning, with suggestions, as a query of it would.</summary>
    protected internal override Task<IReadOnlyList<EventWarning>> CheckEventsAsync(StatementContext context, CancellationToken ct) =>
        context.Store.CheckEventsAsync(Query.SetExpr.Event(Event, Query.PeriodRef.Relative(Model.PeriodUnit.Month)), null, ct);
}

/// <summary>
/// What <c>describe EVENT</c> found: one row per unit with keys (<c>unit</c>, <c>keys</c>, <c>first</c>, <c>last</c>),
/// and the facts <c>event</c>, <c>month</c> and <c>users_this_month</c>.
/// </summary>
/// <param name="Description">The description.</param>
public sealed record DescribeResult(EventDescription Description) : TableResult
{
    /// <inheritdoc />
    public override string Name => "describe";

    /// <inheritdoc />
    public override ImmutableArray<string> Columns => ["unit", "keys", "first", "last"];

    /// <inheritdoc />
    public override IReadOnlyList<ImmutableArray<object?>> Rows =>
    [
        .. Description.Units.Select(u => ImmutableArray.Create<object?>(
            u.Unit.ToString().ToLowerInvariant(), u.Keys, u.First.ToString(), u.Last.ToString())),
    ];

    /// <inheritdoc />
    public override IReadOnlyList<KeyValuePair<string, object?>> Facts =>
    [
        new("event", Description.Event),
        new("month", Description.ThisMonth.ToString()),
        new("users_this_month", Description.CountThisMonth),
    ];
}
