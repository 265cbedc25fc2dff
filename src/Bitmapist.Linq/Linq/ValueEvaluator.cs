using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace Bitmapist.Linq.Linq;

/// <summary>
/// Evaluates the parts of a query that do not depend on the lambda's user parameter: captured variables,
/// literals, <c>Events.Month(...)</c> calls, <c>DateTime.UtcNow</c>. The common shapes (constants, closure
/// fields, properties, method and constructor calls) are read by reflection, which costs far less than
/// compiling a delegate; anything else is interpreted. Values are read at every execution and never kept.
/// </summary>
internal static class ValueEvaluator
{
    public static object? Evaluate(Expression e, IReadOnlyDictionary<ParameterExpression, object?>? bound = null)
    {
        try
        {
            return e switch
            {
                ConstantExpression c => c.Value,
                ParameterExpression p when bound is not null && bound.TryGetValue(p, out var v) => v,
                MemberExpression { Member: FieldInfo f } m => f.GetValue(m.Expression is null ? null : Evaluate(m.Expression, bound)),
                MemberExpression { Member: PropertyInfo p } m => p.GetValue(m.Expression is null ? null : Evaluate(m.Expression, bound)),
                MethodCallExpression call => call.Method.Invoke(call.Object is null ? null : Evaluate(call.Object, bound), Arguments(call.Arguments, bound)),
                NewExpression { Constructor: { } ctor } n => ctor.Invoke(Arguments(n.Arguments, bound)),
                UnaryExpression { NodeType: ExpressionType.Convert or ExpressionType.ConvertChecked } u when u.Method is null =>
                    ConvertValue(Evaluate(u.Operand, bound), u.Type),
                UnaryExpression { NodeType: ExpressionType.Quote } q => q.Operand,
                _ => Interpret(e, bound),
            };
        }
        catch (TargetInvocationException t) when (t.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(t.InnerException).Throw();
            throw;
        }
    }

    private static object?[] Arguments(IReadOnlyList<Expression> args, IReadOnlyDictionary<ParameterExpression, object?>? bound)
    {
        if (args.Count == 0) return [];
        var values = new object?[args.Count];
        for (var i = 0; i < values.Length; i++) values[i] = Evaluate(args[i], bound);
        return values;
    }

    private static object? ConvertValue(object? value, Type type)
    {
        if (value is null) return null;
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsInstanceOfType(value)) return value;
        if (target.IsEnum) return Enum.ToObject(target, value);
        return value is IConvertible ? Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture) : value;
    }

    private static object? Interpret(Expression e, IReadOnlyDictionary<ParameterExpression, object?>? bound)
    {
        // Rare shapes (arithmetic on captured values, array literals...): interpret rather than compile. Bound
        // parameters become constants, so the lambda has no parameters and its type, Func<object>, is known when
        // the library is compiled: a Native AOT build has it (Expression.Lambda without a type argument has to make
        // a delegate type at run time, which Native AOT cannot) and runs it in the interpreter.
        var body = bound is null or { Count: 0 } ? e : new BoundParameters(bound).Visit(e);
        return Expression.Lambda<Func<object?>>(Expression.Convert(body, typeof(object))).Compile(preferInterpretation: true)();
    }

    /// <summary>Replaces each bound parameter by its value, typed as the parameter.</summary>
    private sealed class BoundParameters(IReadOnlyDictionary<ParameterExpression, object?> bound) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) =>
            bound.TryGetValue(node, out var value) ? Expression.Constant(value, node.Type) : node;
    }
}
