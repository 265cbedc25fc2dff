using System.Collections;
using System.Linq.Expressions;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Linq;

/// <summary>
/// The LINQ provider of one store: creates <see cref="UserSet"/> queries, translates them (through the
/// shape-keyed <see cref="TranslationCache"/>) and executes the terminal operators that reach it through
/// <see cref="IQueryable"/> (Count, LongCount, Any, Contains, First, FirstOrDefault, Min, Max).
/// </summary>
internal sealed class BitmapQueryProvider(BitmapStore store) : IQueryProvider
{
    /// <summary>This store's translation cache.</summary>
    public TranslationCache Cache { get; } = new(store.Options.TranslationCacheCapacity);

    public BitmapStore Store { get; } = store;

    public SetExpr Translate(Expression query)
    {
        var shape = ShapeKey.Walk(query);
        if (Cache.TryGet(shape.Key, out var cached))
        {
            shape.Release();
            return cached.Instantiate(shape.Nodes, this);
        }
        var key = shape.ToString();
        shape.Release();
        var (filled, template) = QueryTranslator.Translate(this, query, shape.Nodes);
        Cache.Add(key, template);
        return filled;
    }

    /// <summary>The set a captured piece stands for, read now.</summary>
    internal SetExpr HoleValue(Expression e, HoleKind kind, IReadOnlyDictionary<ParameterExpression, object?>? bound = null)
    {
        var value = ValueEvaluator.Evaluate(e, bound);
        return kind switch
        {
            HoleKind.Set => value switch
            {
                UserSet s => SetOf(s, e),
                null => throw QueryTranslator.Unsupported(e, "it is null.", "Pass a set built with Events or a store's factories."),
                IQueryable q => throw QueryTranslator.Unsupported(e, $"it is a query of another LINQ provider ({q.Provider.GetType().Name}).",
                    "Only sets of this library can be combined; read the other data first and pass its ids with Events.Ids(...)."),
                _ => throw QueryTranslator.Unsupported(e, $"its value is a {value.GetType().Name}, not a set of users.", "Use a UserSet here."),
            },
            HoleKind.Id => SetExpr.Id(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)),
            HoleKind.Ids => SetExpr.Ids(((IEnumerable)value!).Cast<object>().Select(o => Convert.ToInt64(o, System.Globalization.CultureInfo.InvariantCulture))),
            _ => value is true ? SetExpr.Universe : SetExpr.Empty,
        };
    }

    /// <summary>The query-model expression of <paramref name="set"/>, which must belong to this store.</summary>
    internal SetExpr SetOf(UserSet set, Expression where)
    {
        if (!ReferenceEquals(set.Store, Store))
            throw QueryTranslator.Unsupported(where, $"it belongs to another store ('{set.Store.Options.Name}'), and a query runs on one store.",
                "Build every set of the query from the same store (store.Events.Month(...)), or read each store separately.");
        return set.ToSetExpr();
    }

    public IQueryable CreateQuery(Expression expression) => CreateQuery<long>(expression);

    public IQueryable<TElement> CreateQuery<TElement>(Expression expression)
    {
        if (typeof(TElement) != typeof(long))
            throw QueryTranslator.Unsupported(expression, "a query over users yields user ids (long), not other values.",
                "Keep the query a set of users and map ids after reading them.");
        return (IQueryable<TElement>)(object)new UserSet(Store, expression);
    }

    public object? Execute(Expression expression) => Execute<object?>(expression);

    public TResult Execute<TResult>(Expression expression)
    {
        if (expression is not MethodCallExpression { Method.DeclaringType: var type } call || type != typeof(Queryable))
            throw QueryTranslator.Unsupported(expression, "it is not a terminal operator of a set of users.", "Use Count, LongCount, Any, Contains, First, FirstOrDefault, Min or Max.");
        if (call.Arguments.Count > 1 && call.Method.Name != nameof(Queryable.Contains))
            throw QueryTranslator.Unsupported(call, $"{call.Method.Name} with a predicate would test ids in the client.",
                $"Filter with Where(u => set.Contains(u)) first, then call {call.Method.Name}().");
        var set = new UserSet(Store, call.Arguments[0]);
        object? result = call.Method.Name switch
        {
            nameof(Queryable.Count) => set.Count(),
            nameof(Queryable.LongCount) => set.LongCount(),
            nameof(Queryable.Any) => set.Any(),
            nameof(Queryable.Contains) => set.Contains(Convert.ToInt64(ValueEvaluator.Evaluate(call.Arguments[1]), System.Globalization.CultureInfo.InvariantCulture)),
            nameof(Queryable.First) => set.First(),
            nameof(Queryable.FirstOrDefault) => set.FirstOrDefault(),
            nameof(Queryable.Min) => set.Min(),
            nameof(Queryable.Max) => set.Max(),
            _ => throw QueryTranslator.Unsupported(call, $"'{call.Method.Name}' has no bitmap translation.",
                "Use Count, LongCount, Any, Contains, First, FirstOrDefault, Min, Max, Skip/Take on a UserSet, or enumerate."),
        };
        return (TResult)result!;
    }

}
