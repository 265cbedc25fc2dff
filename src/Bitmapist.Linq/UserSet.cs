using System.Collections;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Bitmapist.Linq.Linq;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq;

/// <summary>
/// A set of users (ids, ascending) on one store, and a LINQ queryable over it. Build sets with the store's
/// factories (<c>store.Month("active")</c>) or <see cref="Events"/>, combine them with
/// <c>Where(u =&gt; other.Contains(u))</c>, <c>Intersect/Union/Except</c> or the operators
/// <c>&amp; | ^ -</c> and <c>~</c> (the complement needs a configured universe). Nothing runs until a read;
/// then the whole query is translated, planned and run as one batch.
/// </summary>
/// <remarks>
/// The element type is the user id as <see cref="long"/>, validated to [0, 2^32). Predicates must be
/// expressions that become bitmap operations: a <c>Func&lt;long, bool&gt;</c> predicate does not compile
/// against a <see cref="UserSet"/> (see the obsolete overloads), so nothing is filtered in the client unnoticed.
/// </remarks>
public sealed partial class UserSet : IOrderedQueryable<long>
{
    private readonly SetExpr? _root;      // a set built directly: no translation needed
    private readonly int _skip;
    private readonly int? _take;

    internal UserSet(BitmapStore store, SetExpr expr)
    {
        Store = store;
        _root = expr;
        Expression = Expression.Constant(this);
    }

    internal UserSet(BitmapStore store, Expression expression, int skip = 0, int? take = null)
    {
        Store = store;
        Expression = expression;
        _skip = skip;
        _take = take;
    }

    /// <summary>The store this set belongs to.</summary>
    public BitmapStore Store { get; }

    /// <summary>The LINQ expression of this set.</summary>
    public Expression Expression { get; }

    Type IQueryable.ElementType => typeof(long);

    IQueryProvider IQueryable.Provider => Store.QueryProvider;

    /// <summary>The set as a query-model expression (translating the LINQ expression when there is one).</summary>
    /// <exception cref="UnsupportedQueryException">Part of the LINQ expression cannot become a bitmap operation.</exception>
    public SetExpr ToSetExpr() => _root ?? Store.QueryProvider.Translate(Expression);

    private bool Paged => _skip > 0 || _take is not null;

    // ------------------------------------------------------------------ composition

    /// <summary>Users of this set for whom <paramref name="predicate"/> holds; the predicate must be made of <c>set.Contains(u)</c>, <c>u == id</c>, <c>!</c>, <c>&amp;&amp;</c>, <c>||</c>.</summary>
    public UserSet Where(Expression<Func<long, bool>> predicate) =>
        Compose(nameof(Queryable.Where), Expression.Quote(predicate));

    /// <summary>
    /// Not supported: a compiled delegate (a <c>Func&lt;long, bool&gt;</c> variable) cannot become a bitmap
    /// operation, and would otherwise bind to <c>Enumerable.Where</c> and read every id. A lambda written in
    /// place never binds here (it has no delegate type to infer), so it reaches the expression overload.
    /// </summary>
    [Obsolete("A Func<long, bool> would filter every id in the client. Write the predicate as a lambda expression over sets: u => other.Contains(u).", error: true)]
    public UserSet Where<TDelegate>(TDelegate predicate) where TDelegate : Delegate => throw new NotSupportedException();

    /// <summary>The identity projection (<c>select u</c>); any other projection is not a set of users.</summary>
    public UserSet Select(Expression<Func<long, long>> selector) =>
        Compose(nameof(Queryable.Select), Expression.Quote(selector));

    /// <summary>Users in both sets.</summary>
    public UserSet Intersect(UserSet other) => Combine(nameof(Queryable.Intersect), other);

    /// <summary>Users in either set.</summary>
    public UserSet Union(UserSet other) => Combine(nameof(Queryable.Union), other);

    /// <summary>Users in this set and not in <paramref name="other"/>.</summary>
    public UserSet Except(UserSet other) => Combine(nameof(Queryable.Except), other);

    /// <summary>Skips the <paramref name="count"/> smallest ids (applies to enumeration and to the reads after it).</summary>
    public UserSet Skip(int count) => new(Store, Expression, _skip + Math.Max(0, count), _take is { } t ? Math.Max(0, t - count) : null);

    /// <summary>Keeps only the <paramref name="count"/> smallest ids.</summary>
    public UserSet Take(int count) => new(Store, Expression, _skip, Math.Max(0, Math.Min(count, _take ?? int.MaxValue)));

    /// <summary>The same event expression moved by <paramref name="n"/> periods (previous: -1).</summary>
    /// <exception cref="InvalidOperationException">The set is not a single event in one period.</exception>
    public UserSet Delta(int n) => ToSetExpr() is EventNode e
        ? new UserSet(Store, SetExpr.Event(e.EventName, e.Period.Delta(n)))
        : throw new InvalidOperationException($"Only a single event in one period can move in time; '{ToSetExpr()}' is not one.");

    /// <summary>The previous period of the same event.</summary>
    public UserSet Previous() => Delta(-1);

    /// <summary>The next period of the same event.</summary>
    public UserSet Next() => Delta(1);

    // ------------------------------------------------------------------ reads

    /// <summary>Number of users (BITCOUNT; 0 for a missing key).</summary>
    public async Task<long> CountAsync(CancellationToken ct = default)
    {
        if (!Paged) return await IntegerAsync(ReadKind.Count, 0, ct).ConfigureAwait(false);
        var total = await new UserSet(Store, Expression).CountAsync(ct).ConfigureAwait(false);
        return Math.Max(0, Math.Min(total - _skip, _take ?? long.MaxValue));
    }

    /// <summary>Whether <paramref name="userId"/> is a member (GETBIT).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside [0, 2^32).</exception>
    public async Task<bool> ContainsAsync(long userId, CancellationToken ct = default)
    {
        var id = UserIds.Validate(userId, nameof(userId));
        if (Paged) return await IdsAsync(0, ct).AnyAsync(i => i == userId, ct).ConfigureAwait(false);
        return await IntegerAsync(ReadKind.Contains, id, ct).ConfigureAwait(false) == 1;
    }

    /// <summary>Whether the set has any member: bitmapist's <c>has_events_marked</c>, as count &gt; 0 (never key existence).</summary>
    public async Task<bool> AnyAsync(CancellationToken ct = default) =>
        Paged ? await CountAsync(ct).ConfigureAwait(false) > 0 : await IntegerAsync(ReadKind.Any, 0, ct).ConfigureAwait(false) > 0;

    /// <summary>The smallest member, or null when the set is empty.</summary>
    public async Task<long?> MinAsync(CancellationToken ct = default)
    {
        if (Paged) return await FirstOrNullAsync(ct).ConfigureAwait(false);
        var result = await Store.ExecuteAsync(new SetQuery(ToSetExpr(), ReadKind.Min), null, ct).ConfigureAwait(false);
        if (result.Ids is null) return result.Integer >= 0 ? result.Integer : null;
        await using var ids = result.Ids;
        await foreach (var page in ids.PagesAsync(0, ct).ConfigureAwait(false)) return page[0];
        return null;
    }

    /// <summary>The largest member, or null when the set is empty.</summary>
    public async Task<long?> MaxAsync(CancellationToken ct = default)
    {
        if (Paged)
        {
            long? last = null;
            await foreach (var id in IdsAsync(0, ct).ConfigureAwait(false)) last = id;
            return last;
        }
        var result = await Store.ExecuteAsync(new SetQuery(ToSetExpr(), ReadKind.Max), null, ct).ConfigureAwait(false);
        if (result.Ids is null) return null;
        await using var ids = result.Ids;
        return await ids.MaxAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The smallest member.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public async Task<long> FirstAsync(CancellationToken ct = default) =>
        await FirstOrNullAsync(ct).ConfigureAwait(false) ?? throw new InvalidOperationException($"The set {this} is empty.");

    /// <summary>The smallest member, or 0 when the set is empty (LINQ's default; prefer <see cref="MinAsync"/>, which returns null).</summary>
    public async Task<long> FirstOrDefaultAsync(CancellationToken ct = default) => await FirstOrNullAsync(ct).ConfigureAwait(false) ?? 0;

    private async Task<long?> FirstOrNullAsync(CancellationToken ct)
    {
        await foreach (var id in IdsAsync(0, ct).ConfigureAwait(false)) return id;
        return null;
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
        if (_take == 0) yield break;
        var result = await Store.ExecuteAsync(new SetQuery(ToSetExpr(), ReadKind.Ids, start), null, ct).ConfigureAwait(false);
        await using var ids = result.Ids!;
        int skipped = 0, taken = 0;
        await foreach (var page in ids.PagesAsync(start, ct).ConfigureAwait(false))
        {
            foreach (var id in page)
            {
                if (skipped < _skip) { skipped++; continue; }
                yield return id;
                if (++taken == _take) yield break;
            }
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The members in ascending order, as an async stream (LINQ's name for <see cref="IdsAsync"/>).</summary>
    public IAsyncEnumerable<long> AsAsyncEnumerable(CancellationToken ct = default) => IdsAsync(0, ct);

    /// <summary>The members in ascending order, as a list.</summary>
    public async Task<List<long>> ToListAsync(CancellationToken ct = default)
    {
        var list = new List<long>();
        if (Paged)
        {
            await foreach (var id in IdsAsync(0, ct).ConfigureAwait(false)) list.Add(id);
            return list;
        }
        // Whole pages at a time: no async step per id.
        var result = await Store.ExecuteAsync(new SetQuery(ToSetExpr(), ReadKind.Ids), null, ct).ConfigureAwait(false);
        await using var ids = result.Ids!;
        await foreach (var page in ids.PagesAsync(0, ct).ConfigureAwait(false))
        {
            list.EnsureCapacity(list.Count + page.Length);
            foreach (var id in page) list.Add(id);
        }
        return list;
    }

    /// <summary>The members in ascending order, as an array.</summary>
    public async Task<long[]> ToArrayAsync(CancellationToken ct = default) => [.. await ToListAsync(ct).ConfigureAwait(false)];

    /// <summary>Synchronous <see cref="CountAsync"/>.</summary>
    public int Count() => checked((int)LongCount());

    /// <summary>Synchronous <see cref="CountAsync"/>.</summary>
    public long LongCount() => CountAsync().GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="ContainsAsync(long, CancellationToken)"/>.</summary>
    public bool Contains(long userId) => ContainsAsync(userId).GetAwaiter().GetResult();

    /// <summary>
    /// Whether the user with external id <paramref name="externalId"/> is in the set: its internal id is looked up in
    /// the store's id map (<see cref="StoreOptions.IdMap"/>), and one with none is in no set (false, no query).
    /// </summary>
    /// <exception cref="InvalidOperationException">The store has no id map.</exception>
    public async Task<bool> ContainsAsync(string externalId, CancellationToken ct = default)
    {
        IdMapping.IdMap.ValidateExternalId(externalId, nameof(externalId));
        var id = await Store.RequireIdMap("A membership test by external id").FindAsync(externalId, ct).ConfigureAwait(false);
        return id is { } internalId && await ContainsAsync(internalId, ct).ConfigureAwait(false);
    }

    /// <summary>Synchronous <see cref="AnyAsync"/>.</summary>
    public bool Any() => AnyAsync().GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="FirstAsync"/>.</summary>
    public long First() => FirstAsync().GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="FirstOrDefaultAsync"/>.</summary>
    public long FirstOrDefault() => FirstOrDefaultAsync().GetAwaiter().GetResult();

    /// <summary>The smallest member.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public long Min() => MinAsync().GetAwaiter().GetResult() ?? throw new InvalidOperationException($"The set {this} is empty.");

    /// <summary>The largest member.</summary>
    /// <exception cref="InvalidOperationException">The set is empty.</exception>
    public long Max() => MaxAsync().GetAwaiter().GetResult() ?? throw new InvalidOperationException($"The set {this} is empty.");

    /// <summary>Synchronous <see cref="ToListAsync"/>.</summary>
    public List<long> ToList() => ToListAsync().GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="ToArrayAsync"/>.</summary>
    public long[] ToArray() => ToArrayAsync().GetAwaiter().GetResult();

    /// <summary>Not supported: counting with a delegate would read every id into the client.</summary>
    [Obsolete("A Func<long, bool> would test every id in the client. Filter with Where(u => other.Contains(u)) first, then Count().", error: true)]
    public int Count<TDelegate>(TDelegate predicate) where TDelegate : Delegate => throw new NotSupportedException();

    /// <summary>Not supported: testing with a delegate would read every id into the client.</summary>
    [Obsolete("A Func<long, bool> would test every id in the client. Filter with Where(u => other.Contains(u)) first, then Any().", error: true)]
    public bool Any<TDelegate>(TDelegate predicate) where TDelegate : Delegate => throw new NotSupportedException();

    /// <summary>The members in ascending order (streams pages; blocks on I/O).</summary>
    public IEnumerator<long> GetEnumerator() => IdsAsync().ToBlockingEnumerable().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // ------------------------------------------------------------------ diagnostics

    /// <summary>The explain document of reading this set: logical plan, rewrites, optimized plan, commands.</summary>
    public string ToPlanString(ReadKind read = ReadKind.Count) => Store.Explain(new SetQuery(ToSetExpr(), read));

    /// <summary>Same as <see cref="ToPlanString"/>.</summary>
    public string Explain(ReadKind read = ReadKind.Count) => ToPlanString(read);

    /// <summary>
    /// Warns about every event this set reads that has no key in any period of the store (most likely a misspelt
    /// name, which reads as empty): see <see cref="BitmapStore.CheckEventsAsync(SetExpr, IReadOnlyDictionary{string, SetExpr}?, CancellationToken)"/>.
    /// </summary>
    /// <returns>One warning per missing event, with the nearest stored names; empty when every event exists.</returns>
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(CancellationToken ct = default) => Store.CheckEventsAsync(ToSetExpr(), null, ct);

    /// <summary>The set in the text query language.</summary>
    public override string ToString() => _root?.Text ?? Expression.ToString();

    private async Task<long> IntegerAsync(ReadKind read, uint id, CancellationToken ct) =>
        (await Store.ExecuteAsync(new SetQuery(ToSetExpr(), read, id), null, ct).ConfigureAwait(false)).Integer;

    // ------------------------------------------------------------------ operators

    private UserSet Compose(string method, Expression argument)
    {
        if (Paged) throw new InvalidOperationException("Skip and Take must come last in a query: they page the ids of the final set.");
        return new UserSet(Store, Expression.Call(QueryableMethods.Get(method), Expression, argument));
    }

    private UserSet Combine(string method, UserSet other)
    {
        SameStore(this, other);
        if (_root is not null && other._root is not null && !Paged && !other.Paged)
        {
            return method switch
            {
                nameof(Queryable.Intersect) => new UserSet(Store, _root & other._root),
                nameof(Queryable.Union) => new UserSet(Store, _root | other._root),
                _ => new UserSet(Store, _root - other._root),
            };
        }
        if (Paged || other.Paged) throw new InvalidOperationException("Skip and Take must come last in a query: they page the ids of the final set.");
        return new UserSet(Store, Expression.Call(QueryableMethods.Get(method), Expression, other.Expression));
    }

    private static void SameStore(UserSet a, UserSet b)
    {
        if (!ReferenceEquals(a.Store, b.Store))
            throw new InvalidOperationException(
                $"'{a}' and '{b}' belong to different stores ('{a.Store.Options.Name}' and '{b.Store.Options.Name}'). " +
                "A query runs on one store: build both sets from the same store.");
    }

    /// <summary>Users in both sets.</summary>
    public static UserSet operator &(UserSet a, UserSet b) => a.Intersect(b);

    /// <summary>Users in either set.</summary>
    public static UserSet operator |(UserSet a, UserSet b) => a.Union(b);

    /// <summary>Users in exactly one of the two sets.</summary>
    public static UserSet operator ^(UserSet a, UserSet b)
    {
        SameStore(a, b);
        return a._root is not null && b._root is not null
            ? new UserSet(a.Store, a._root ^ b._root)
            : new UserSet(a.Store, Expression.ExclusiveOr(AsUserSet(a.Expression), AsUserSet(b.Expression), XorOperator));
    }

    /// <summary>Users in <paramref name="a"/> and not in <paramref name="b"/>.</summary>
    public static UserSet operator -(UserSet a, UserSet b) => a.Except(b);

    /// <summary>Users of the universe not in <paramref name="a"/> (needs a configured universe unless combined with a positive set).</summary>
    public static UserSet operator ~(UserSet a) =>
        a._root is not null ? new(a.Store, SetExpr.Not(a._root)) : new(a.Store, Expression.OnesComplement(AsUserSet(a.Expression), ComplementOperator));

    // A composed query's expression is typed IQueryable<long>; the operators are defined on UserSet.
    private static Expression AsUserSet(Expression e) => e.Type == typeof(UserSet) ? e : Expression.Convert(e, typeof(UserSet));

    private static readonly System.Reflection.MethodInfo XorOperator = typeof(UserSet).GetMethod("op_ExclusiveOr")!;
    private static readonly System.Reflection.MethodInfo ComplementOperator = typeof(UserSet).GetMethod("op_OnesComplement")!;
}
