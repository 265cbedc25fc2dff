using System.Linq.Expressions;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq;

/// <summary>
/// Queries prepared once for hot paths: the translation is done on the first call and every later call only
/// reads its argument (and any captured values) into the prepared template - no shape key, no cache lookup.
/// </summary>
/// <example><code>
/// var activeIn = CompiledQuery.Create(store, (int month) =&gt; store.Month("active", 2026, month).Where(u =&gt; store.Unique("premium").Contains(u)));
/// long n = await activeIn(11).CountAsync();
/// </code></example>
public static class CompiledQuery
{
    /// <summary>Prepares <paramref name="query"/> for <paramref name="store"/>.</summary>
    public static Func<TArg, UserSet> Create<TArg>(BitmapStore store, Expression<Func<TArg, UserSet>> query)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(query);
        var provider = store.QueryProvider;
        var parameter = query.Parameters[0];
        var nodes = Linq.ShapeKey.Of(query.Body).Nodes;
        Linq.CachedTranslation? prepared = null;
        return arg =>
        {
            var bound = new Dictionary<ParameterExpression, object?>(1) { [parameter] = arg };
            if (prepared is not null) return store.Set(prepared.Instantiate(nodes, provider, bound));
            var (filled, template) = Linq.QueryTranslator.Translate(provider, query.Body, nodes, bound);
            prepared = template;
            return store.Set(filled);
        };
    }

    /// <summary>Prepares <paramref name="query"/> for <see cref="Events.DefaultStore"/>.</summary>
    public static Func<TArg, UserSet> Create<TArg>(Expression<Func<TArg, UserSet>> query) => Create(Events.DefaultStore, query);
}
