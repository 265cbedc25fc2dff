using System.Collections;
using System.Collections.Immutable;
using System.Linq.Expressions;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Linq;

/// <summary>
/// Stage 1 for LINQ: turns a query's expression tree into a query-model template. Query operators
/// (<c>Where</c>, <c>Intersect</c>, <c>Union</c>, <c>Except</c>, identity <c>Select</c>, the set operators)
/// become set algebra; a predicate over the user parameter becomes a set (<c>s.Contains(u)</c> is s,
/// <c>u == id</c> is {id}, <c>!</c>, <c>&amp;&amp;</c>, <c>||</c>, <c>^</c> are not/and/or/xor). A piece that does not depend on the
/// user parameter is evaluated: when it holds only literals (<c>Events.Week("song:played")</c>) its value is
/// written into the template; when it reads captured variables or a clock it becomes a parameter slot,
/// read again at every execution. Anything else is refused with an <see cref="UnsupportedQueryException"/>.
/// </summary>
internal sealed class QueryTranslator
{
    private readonly BitmapQueryProvider _provider;
    private readonly Dictionary<Expression, int> _positions = new(ReferenceEqualityComparer.Instance);
    private readonly List<Hole> _holes = [];
    private readonly List<SetExpr> _values = [];

    // Parameters of a compiled query: values given per call, so they are captured values, not users.
    private readonly IReadOnlyDictionary<ParameterExpression, object?>? _bound;

    private QueryTranslator(BitmapQueryProvider provider, IReadOnlyList<Expression> nodes, IReadOnlyDictionary<ParameterExpression, object?>? bound)
    {
        _provider = provider;
        _bound = bound;
        for (var i = 0; i < nodes.Count; i++) _positions.TryAdd(nodes[i], i);
    }

    /// <summary>Translates <paramref name="query"/>: the filled expression, and the cacheable template.</summary>
    /// <param name="provider">The store's provider.</param>
    /// <param name="query">The expression tree.</param>
    /// <param name="nodes">Its nodes in <see cref="ShapeKey"/> order: cache entries find captured values by these positions.</param>
    /// <param name="bound">Values of a compiled query's parameters.</param>
    public static (SetExpr Filled, CachedTranslation Template) Translate(BitmapQueryProvider provider, Expression query,
        IReadOnlyList<Expression> nodes, IReadOnlyDictionary<ParameterExpression, object?>? bound = null)
    {
        var t = new QueryTranslator(provider, nodes, bound);
        var template = t.Set(query);
        var holes = t._holes.OrderBy(h => h.Position).ToImmutableArray();
        return (CachedTranslation.Fill(template, [.. t._values]), new CachedTranslation(template, holes));
    }

    private SetExpr Set(Expression e)
    {
        switch (e)
        {
            case ConstantExpression { Value: UserSet s }:
                return _provider.SetOf(s, e);
            case UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.Quote } u
                when u.Type.IsAssignableFrom(u.Operand.Type) || IsSet(u.Type) && IsSet(u.Operand.Type):
                return Set(u.Operand);
            case UnaryExpression { NodeType: ExpressionType.OnesComplement or ExpressionType.Not } u:
                return SetExpr.Not(Set(u.Operand));
            case BinaryExpression { NodeType: ExpressionType.And } b when IsSet(b.Type): return Set(b.Left) & Set(b.Right);
            case BinaryExpression { NodeType: ExpressionType.Or } b when IsSet(b.Type): return Set(b.Left) | Set(b.Right);
            case BinaryExpression { NodeType: ExpressionType.ExclusiveOr } b when IsSet(b.Type): return Set(b.Left) ^ Set(b.Right);
            case BinaryExpression { NodeType: ExpressionType.Subtract } b when IsSet(b.Type): return Set(b.Left) - Set(b.Right);
            case MethodCallExpression m when IsQueryOperator(m):
                return Operator(m);
        }
        if (!UsesParameter(e)) return Captured(e, HoleKind.Set);
        throw Unsupported(e, "it is not a set of users this library can compute with bitmaps.",
            "Build sets with Events.Month(...)/store.Week(...) and combine them with Where(u => set.Contains(u)), Intersect, Union, Except or & | - ^.");
    }

    private SetExpr Operator(MethodCallExpression m)
    {
        var source = m.Object ?? m.Arguments[0];
        var args = m.Object is null ? m.Arguments.Skip(1).ToArray() : [.. m.Arguments];
        switch (m.Method.Name)
        {
            case "Where":
                var predicate = Lambda(args[0]);
                if (predicate.Parameters.Count != 1)
                    throw Unsupported(m, "the indexed Where overload has no meaning for a set of users.", "Use Where(u => ...) with one parameter.");
                return Set(source) & Predicate(predicate.Body, predicate.Parameters[0]);
            case "Intersect": return Set(source) & Set(args[0]);
            case "Union": return Set(source) | Set(args[0]);
            case "Except": return SetExpr.Diff(Set(source), Set(args[0]));
            case "Select" when Lambda(args[0]) is { Body: ParameterExpression p } l && p == l.Parameters[0]:
                return Set(source);
            case "Select":
                throw Unsupported(m, "a projection turns users into other values, which are not a bitmap.",
                    "Query the set of users and map the ids in your code after reading them (ToListAsync()).");
            case "op_BitwiseAnd": return Set(args[0]) & Set(args[1]);
            case "op_BitwiseOr": return Set(args[0]) | Set(args[1]);
            case "op_ExclusiveOr": return Set(args[0]) ^ Set(args[1]);
            case "op_Subtraction": return Set(args[0]) - Set(args[1]);
            case "op_OnesComplement": return SetExpr.Not(Set(args[0]));
            default:
                if (!UsesParameter(m)) return Captured(m, HoleKind.Set);
                throw Unsupported(m, $"'{m.Method.Name}' has no bitmap translation.",
                    "Supported: Where, Intersect, Union, Except, Select(u => u), the operators & | ^ - ~, and set.Contains(u) / u == id inside Where.");
        }
    }

    private SetExpr Predicate(Expression body, ParameterExpression user)
    {
        switch (body)
        {
            case UnaryExpression { NodeType: ExpressionType.Not } not:
                return SetExpr.Not(Predicate(not.Operand, user));
            case BinaryExpression { NodeType: ExpressionType.AndAlso or ExpressionType.And } b:
                return Predicate(b.Left, user) & Predicate(b.Right, user);
            case BinaryExpression { NodeType: ExpressionType.OrElse or ExpressionType.Or } b:
                return Predicate(b.Left, user) | Predicate(b.Right, user);
            case BinaryExpression { NodeType: ExpressionType.ExclusiveOr } b:
                return Predicate(b.Left, user) ^ Predicate(b.Right, user);
            case BinaryExpression { NodeType: ExpressionType.Equal or ExpressionType.NotEqual } b when IsUser(b.Left, user) || IsUser(b.Right, user):
                var other = IsUser(b.Left, user) ? b.Right : b.Left;
                if (UsesParameter(other))
                    throw Unsupported(b, "comparing a user with an expression of the user has no bitmap meaning.", "Compare the user with an id: u == 42.");
                var ids = Captured(other, HoleKind.Id);
                return b.NodeType == ExpressionType.Equal ? ids : SetExpr.Not(ids);
            case MethodCallExpression { Method.Name: "Contains" } m when ExternalIdsTarget(m, user) is not null:
                // names.Contains(u.ToString()): external ids are not the bits' numbers; the id map turns them into users.
                throw Unsupported(m, "the user here is an internal id (a bit number); an external id is only a user once the store's id map looks it up.",
                    "Name users by external id with a literal set of the store, looked up when the query runs: Where(u => store.Ids(names).Contains(u)) or Events.Ids(names).Contains(u).");
            case MethodCallExpression { Method.Name: "Contains" } m when ContainsTarget(m, user) is { } target:
                if (IsSet(target.Type) || typeof(IQueryable<long>).IsAssignableFrom(target.Type)) return Set(target);
                if (!UsesParameter(target) && typeof(IEnumerable).IsAssignableFrom(target.Type)) return Captured(target, HoleKind.Ids);
                break;
            case ConstantExpression { Value: bool flag }:
                return flag ? SetExpr.Universe : SetExpr.Empty;
            case var e when e.Type == typeof(bool) && !UsesParameter(e):
                return Captured(e, HoleKind.Bool);
        }
        throw Unsupported(body, "only membership tests can run on bitmaps: the ids themselves are not arithmetic values here.",
            "Test membership in sets (u => Events.Week(\"song:played\").Contains(u)), or equality with ids (u == 42), combined with !, && and ||.");
    }

    /// <summary>The collection of <c>x.Contains(u)</c> / <c>Enumerable.Contains(x, u)</c> when the argument is the user.</summary>
    private static Expression? ContainsTarget(MethodCallExpression m, ParameterExpression user) =>
        m.Object is not null && m.Arguments.Count == 1 && IsUser(m.Arguments[0], user) ? m.Object
        : m.Object is null && m.Arguments.Count is 2 or 3 && IsUser(m.Arguments[1], user) ? WithoutSpanConversion(m.Arguments[0])
        : null;

    /// <summary>The collection of strings in <c>names.Contains(u.ToString())</c>: external ids tested against the user's text.</summary>
    private Expression? ExternalIdsTarget(MethodCallExpression m, ParameterExpression user)
    {
        var (target, item) = m.Object is not null && m.Arguments.Count == 1 ? (m.Object, m.Arguments[0])
            : m.Object is null && m.Arguments.Count is 2 or 3 ? (WithoutSpanConversion(m.Arguments[0]), m.Arguments[1])
            : (null, null);
        return target is not null && item!.Type == typeof(string) && UsesParameter(item) && typeof(IEnumerable<string>).IsAssignableFrom(target.Type) ? target : null;
    }

    /// <summary>
    /// C# 14 binds <c>array.Contains(u)</c> to <c>MemoryExtensions.Contains(ReadOnlySpan, value)</c> through an
    /// implicit array-to-span conversion; a span cannot be boxed, so read the array itself.
    /// </summary>
    private static Expression WithoutSpanConversion(Expression e) =>
        e is MethodCallExpression { Method.Name: "op_Implicit", Arguments.Count: 1 } c && c.Type.IsByRefLike ? c.Arguments[0] : e;

    /// <summary>A piece that does not depend on the user: a literal written into the template, or a slot read at every execution.</summary>
    private SetExpr Captured(Expression e, HoleKind kind)
    {
        var value = _provider.HoleValue(e, kind, _bound);
        if (IsLiteral(e)) return value;
        var slot = _values.Count;
        _values.Add(value);
        _holes.Add(new Hole(_positions[e], kind, slot));
        return SetExpr.Parameter(CachedTranslation.SlotName(slot));
    }

    /// <summary>True when evaluating <paramref name="e"/> always gives the same value: literals and calls on literals, no captured variable or member read.</summary>
    private static bool IsLiteral(Expression e) => PreOrder.Nodes(e).All(n => n switch
    {
        ConstantExpression c => ShapeKey.IsLiteralValue(c.Value) || c.Value is UserSet, // both keyed by value in ShapeKey
        MemberExpression => false,
        ParameterExpression => false,
        _ => true,
    });

    private static LambdaExpression Lambda(Expression e) => e switch
    {
        UnaryExpression { NodeType: ExpressionType.Quote } q => (LambdaExpression)q.Operand,
        LambdaExpression l => l,
        _ => throw Unsupported(e, "a delegate cannot be translated, only a lambda expression.", "Pass the lambda directly: Where(u => set.Contains(u))."),
    };

    private static bool IsQueryOperator(MethodCallExpression m) =>
        m.Method.DeclaringType == typeof(Queryable) ||
        m.Method.DeclaringType == typeof(UserSet) && (m.Method.Name.StartsWith("op_", StringComparison.Ordinal) || ComposingMethods.Contains(m.Method.Name));

    private static readonly HashSet<string> ComposingMethods = ["Where", "Select", "Intersect", "Union", "Except"];

    private static bool IsSet(Type t) => t == typeof(UserSet) || typeof(IQueryable<long>).IsAssignableFrom(t);

    private static bool IsUser(Expression e, ParameterExpression user) => e switch
    {
        ParameterExpression p => p == user,
        UnaryExpression { NodeType: ExpressionType.Convert } u => IsUser(u.Operand, user),
        _ => false,
    };

    private bool UsesParameter(Expression e) =>
        PreOrder.Nodes(e).Any(n => n is ParameterExpression p && (_bound is null || !_bound.ContainsKey(p)));

    internal static UnsupportedQueryException Unsupported(Expression piece, string why, string fix) => new(piece.ToString(), why, fix);
}
