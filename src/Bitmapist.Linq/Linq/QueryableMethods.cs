using System.Linq.Expressions;
using System.Reflection;

namespace Bitmapist.Linq.Linq;

/// <summary>
/// The <see cref="Queryable"/> methods a <see cref="UserSet"/> composes with, closed over <c>long</c> once:
/// looking them up by name on every <c>Where</c> cost more than the rest of building a query.
/// </summary>
/// <remarks>
/// Each is taken from a method group rather than found by reflection (<c>typeof(Queryable).GetMethods()</c> and
/// <c>MakeGenericMethod</c>): the compiler names the exact instantiation, so a trimmed or Native AOT build keeps
/// it and needs no code generated at run time (the reflective lookup drew the IL2026, IL2060 and IL3050 warnings).
/// </remarks>
internal static class QueryableMethods
{
    private static readonly Dictionary<string, MethodInfo> Methods = new()
    {
        [nameof(Queryable.Where)] = new Func<IQueryable<long>, Expression<Func<long, bool>>, IQueryable<long>>(Queryable.Where).Method,
        [nameof(Queryable.Select)] = new Func<IQueryable<long>, Expression<Func<long, long>>, IQueryable<long>>(Queryable.Select).Method,
        [nameof(Queryable.Intersect)] = new Func<IQueryable<long>, IEnumerable<long>, IQueryable<long>>(Queryable.Intersect).Method,
        [nameof(Queryable.Union)] = new Func<IQueryable<long>, IEnumerable<long>, IQueryable<long>>(Queryable.Union).Method,
        [nameof(Queryable.Except)] = new Func<IQueryable<long>, IEnumerable<long>, IQueryable<long>>(Queryable.Except).Method,
    };

    public static MethodInfo Get(string name) => Methods[name];
}
