using System.Collections.Immutable;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// <c>events</c> with counts (the REPL's <c>events</c>, <c>bitmapist events --counts</c>): each event's users this month
/// and the users of its unique flag, all counted in one batch. A table result, so every output format prints it.
/// </summary>
/// <param name="Month">The month counted (the store's current one).</param>
/// <param name="Names">The events, sorted.</param>
/// <param name="ThisMonth">Users of each event this month.</param>
/// <param name="Unique">Users of each event's unique flag (<c>unique(event)</c>; 0 for an event marked only by date).</param>
internal sealed record EventCounts(Period Month, IReadOnlyList<string> Names, IReadOnlyList<long> ThisMonth, IReadOnlyList<long> Unique) : TableResult
{
    public override string Name => "events";

    public override ImmutableArray<string> Columns => ["event", "users_this_month", "unique_flag"];

    public override IReadOnlyList<ImmutableArray<object?>> Rows =>
        [.. Names.Select((n, i) => ImmutableArray.Create<object?>(n, ThisMonth[i], Unique[i]))];

    public override IReadOnlyList<KeyValuePair<string, object?>> Facts => [new("month", Month.ToString())];

    /// <summary>Counts <paramref name="events"/>' names on <paramref name="store"/>: one batch (one round trip on Redis) for them all.</summary>
    public static async Task<EventCounts> CountAsync(BitmapStore store, EventsResult events, CancellationToken ct)
    {
        var month = Period.Of(PeriodUnit.Month, store.Now);
        var sets = events.Names.SelectMany(n => new[] { SetExpr.Event(n, month), SetExpr.Unique(n) }).ToList();
        var counts = sets.Count == 0 ? [] : await store.CountAllAsync(sets, null, ct).ConfigureAwait(false);
        return new EventCounts(month, events.Names,
            [.. Enumerable.Range(0, events.Names.Count).Select(i => counts[2 * i])],
            [.. Enumerable.Range(0, events.Names.Count).Select(i => counts[2 * i + 1])]) { Warnings = events.Warnings };
    }
}
