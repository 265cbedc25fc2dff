using System.Runtime.CompilerServices;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq;

/// <summary>
/// A set of users on one store: a query-model expression plus the store it runs on. Combine sets with
/// <c>&amp;</c>, <c>|</c>, <c>^</c>, <c>-</c> and <c>~</c> (the complement needs a configured universe);
/// every read plans the whole expression and runs it as one batch. Nothing is evaluated until a read.
/// </summary>
public sealed class UserSet
{
    internal UserSet(BitmapStore store, SetExpr expr)
    {
        Store = store;
        Expression = expr;
    }

    /// <summary>The store this set belongs to.</summary>
    public BitmapStore Store { get; }

    /// <summary>The set as a query-model expression.</summary>
    public SetExpr Expression { get; }

    /// <summary>Number of users (BITCOUNT; 0 for a missing key).</summary>
    public Task<long> CountAsync(CancellationToken ct = default) => IntegerAsync(ReadKind.Count, 0, ct);

    /// <summary>Whether <paramref name="userId"/> is a member (GETBIT).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside [0, 2^32).</exception>
    public async Task<bool> ContainsAsync(long userId, CancellationToken ct = default) =>
        await IntegerAsync(ReadKind.Contains, UserIds.Validate(userId, nameof(userId)), ct).ConfigureAwait(false) == 1;

    /// <summary>Whether the set has any member: bitmapist's <c>has_events_marked</c>, as count &gt; 0 (never key existence).</summary>
    public async Task<bool> AnyAsync(CancellationToken ct = default) =>
        await IntegerAsync(ReadKind.Any, 0, ct).ConfigureAwait(false) > 0;

    /// <summary>The smallest member, or null when the set is empty.</summary>
    public async Task<long?> MinAsync(CancellationToken ct = default)
    {
        var result = await Store.ExecuteAsync(new SetQuery(Expression, ReadKind.Min), null, ct).ConfigureAwait(false);
        if (result.Ids is null) return result.Integer >= 0 ? result.Integer : null;
        await using var ids = result.Ids;
        await foreach (var id in ids.IdsAsync(0, ct).ConfigureAwait(false)) return id;
        return null;
    }

    /// <summary>The largest member, or null when the set is empty.</summary>
    public async Task<long?> MaxAsync(CancellationToken ct = default)
    {
        var result = await Store.ExecuteAsync(new SetQuery(Expression, ReadKind.Max), null, ct).ConfigureAwait(false);
        if (result.Ids is null) return null;
        await using var ids = result.Ids;
        return await ids.MaxAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The members in ascending order, streamed in pages (GETRANGE on Redis; the whole value is never
    /// fetched at once). A composite result is kept in a leased temporary key while the enumeration runs
    /// and deleted when it ends, is abandoned or fails.
    /// </summary>
    /// <param name="from">The smallest id to return.</param>
    /// <param name="ct">Cancels the enumeration.</param>
    public async IAsyncEnumerable<long> IdsAsync(long from = 0, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var start = UserIds.Validate(from, nameof(from));
        var result = await Store.ExecuteAsync(new SetQuery(Expression, ReadKind.Ids, start), null, ct).ConfigureAwait(false);
        await using var ids = result.Ids!;
        await foreach (var id in ids.IdsAsync(start, ct).ConfigureAwait(false)) yield return id;
    }

    /// <summary>The members in ascending order, as a list.</summary>
    public async Task<List<long>> ToListAsync(CancellationToken ct = default)
    {
        var list = new List<long>();
        await foreach (var id in IdsAsync(0, ct).ConfigureAwait(false)) list.Add(id);
        return list;
    }

    /// <summary>Synchronous <see cref="CountAsync"/>.</summary>
    public long Count() => CountAsync().GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="ContainsAsync"/>.</summary>
    public bool Contains(long userId) => ContainsAsync(userId).GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="AnyAsync"/>.</summary>
    public bool Any() => AnyAsync().GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="ToListAsync"/>.</summary>
    public List<long> ToList() => ToListAsync().GetAwaiter().GetResult();

    /// <summary>The explain document of counting this set: logical plan, optimized plan, commands.</summary>
    public string Explain(ReadKind read = ReadKind.Count) => Store.Explain(new SetQuery(Expression, read));

    /// <summary>The same event expression moved by <paramref name="n"/> periods (previous: -1).</summary>
    /// <exception cref="InvalidOperationException">The set is not a single event in one period.</exception>
    public UserSet Delta(int n) => Expression is EventNode e
        ? new UserSet(Store, SetExpr.Event(e.EventName, e.Period.Delta(n)))
        : throw new InvalidOperationException($"Only a single event in one period can move in time; '{Expression}' is not one.");

    /// <summary>The previous period of the same event.</summary>
    public UserSet Previous() => Delta(-1);

    /// <summary>The next period of the same event.</summary>
    public UserSet Next() => Delta(1);

    private async Task<long> IntegerAsync(ReadKind read, uint id, CancellationToken ct) =>
        (await Store.ExecuteAsync(new SetQuery(Expression, read, id), null, ct).ConfigureAwait(false)).Integer;

    private static UserSet Combine(UserSet a, UserSet b, Func<SetExpr, SetExpr, SetExpr> op)
    {
        if (!ReferenceEquals(a.Store, b.Store))
            throw new InvalidOperationException(
                $"'{a.Expression}' and '{b.Expression}' belong to different stores ('{a.Store.Options.Name}' and '{b.Store.Options.Name}'). " +
                "A query runs on one store: build both sets from the same store.");
        return new UserSet(a.Store, op(a.Expression, b.Expression));
    }

    /// <summary>Users in both sets.</summary>
    public static UserSet operator &(UserSet a, UserSet b) => Combine(a, b, (x, y) => x & y);

    /// <summary>Users in either set.</summary>
    public static UserSet operator |(UserSet a, UserSet b) => Combine(a, b, (x, y) => x | y);

    /// <summary>Users in exactly one of the two sets.</summary>
    public static UserSet operator ^(UserSet a, UserSet b) => Combine(a, b, (x, y) => x ^ y);

    /// <summary>Users in <paramref name="a"/> and not in <paramref name="b"/>.</summary>
    public static UserSet operator -(UserSet a, UserSet b) => Combine(a, b, (x, y) => SetExpr.Diff(x, y));

    /// <summary>Users of the universe not in <paramref name="a"/> (needs a configured universe unless combined with a positive set).</summary>
    public static UserSet operator ~(UserSet a) => new(a.Store, SetExpr.Not(a.Expression));

    /// <summary>The set in the text query language.</summary>
    public override string ToString() => Expression.Text;
}
