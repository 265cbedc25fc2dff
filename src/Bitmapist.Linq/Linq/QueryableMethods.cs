using System.Linq.Expressions;
using System.Reflection;

namespace Bitmapist.Linq.Linq;

/// <summary>
/// The <see cref="Queryable"/> methods a <see cref="UserSet"/> composes with, closed over <c>long</c> once:
/// looking them up by name on every <c>Where</c> cost more than the rest of building a query.
/// </summary>
internal static class QueryableMethods
{
    private static readonly Dictionary<string, MethodInfo> Methods = new()
    {
        [nameof(Queryable.Where)] = Closed(nameof(Queryable.Where), typeof(Expression<Func<long, bool>>)),
        [nameof(Queryable.Select)] = Closed(nameof(Queryable.Select), typeof(Expression<Func<long, long>>)),
        [nameof(Queryable.Intersect)] = Closed(nameof(Queryable.Intersect), typeof(IEnumerable<long>)),
        [nameof(Queryable.Union)] = Closed(nameof(Queryable.Union), typeof(IEnumerable<long>)),
        [nameof(Queryable.Except)] = Closed(nameof(Queryable.Except), typeof(IEnumerable<long>)),
    };

    public static MethodInfo Get(string name) => Methods[name];

    private static MethodInfo Closed(string name, Type argument) =>
        typeof(Queryable).GetMethods()
            .Where(m => m.Name == name && m.GetParameters().Length == 2)
            .Select(m => m.GetGenericArguments().Length == 1 ? m.MakeGenericMethod(typeof(long)) : m.MakeGenericMethod(typeof(long), typeof(long)))
            .First(m => m.GetParameters()[1].ParameterType == argument);
}
