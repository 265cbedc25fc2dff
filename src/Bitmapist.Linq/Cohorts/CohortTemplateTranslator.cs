using System.Linq.Expressions;
using Bitmapist.Linq.Linq;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Cohorts;

/// <summary>
/// Reads a template lambda (<c>p =&gt; store.At("signup", p) &amp; store.Unique("web")</c>) as data, like a
/// LINQ provider: <c>At(name, p)</c> with the lambda's own period becomes a bare event name (a template);
/// pieces that do not mention the period are evaluated once as fixed sets; <c>&amp; | ^ - ~</c> and
/// Intersect/Union/Except combine them. Anything else is refused before anything runs.
/// </summary>
internal static class CohortTemplateTranslator
{
    public static SetExpr Translate(BitmapStore store, Expression<Func<Period, UserSet>> template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var period = template.Parameters[0];
        return Walk(template.Body);

        SetExpr Walk(Expression e)
        {
            if (!Mentions(e, period)) return Fixed(e);
            switch (e)
            {
                case MethodCallExpression { Method.Name: "At", Arguments: [var name, var p] } call
                    when p == period && (call.Method.DeclaringType == typeof(BitmapStore) || call.Method.DeclaringType == typeof(Events)):
                    if (call.Object is not null && !ReferenceEquals(ValueEvaluator.Evaluate(call.Object), store)) throw OtherStore(call);
                    if (call.Object is null && !ReferenceEquals(Events.DefaultStore, store)) throw OtherStore(call);
                    return new TemplateNode(ValueEvaluator.Evaluate(name) as string
                        ?? throw new UnsupportedQueryException(name.ToString(), "the event name is null.", "Pass an event name."));
                case BinaryExpression { NodeType: ExpressionType.And } b: return Walk(b.Left) & Walk(b.Right);
                case BinaryExpression { NodeType: ExpressionType.Or } b: return Walk(b.Left) | Walk(b.Right);
                case BinaryExpression { NodeType: ExpressionType.ExclusiveOr } b: return Walk(b.Left) ^ Walk(b.Right);
                case BinaryExpression { NodeType: ExpressionType.Subtract } b: return Walk(b.Left) - Walk(b.Right);
                case UnaryExpression { NodeType: ExpressionType.OnesComplement or ExpressionType.Not } u: return ~Walk(u.Operand);
                case MethodCallExpression { Method.Name: nameof(UserSet.Intersect), Object: { } o, Arguments: [var x] }: return Walk(o) & Walk(x);
                case MethodCallExpression { Method.Name: nameof(UserSet.Union), Object: { } o, Arguments: [var x] }: return Walk(o) | Walk(x);
                case MethodCallExpression { Method.Name: nameof(UserSet.Except), Object: { } o, Arguments: [var x] }: return Walk(o) - Walk(x);
                default:
                    throw new UnsupportedQueryException(e.ToString(),
                        $"a cohort template may use its period '{period.Name}' only as the period of At(eventName, {period.Name}), combined with & | ^ - ~.",
                        $"Write {period.Name} => store.At(\"signup\", {period.Name}) & store.Unique(\"web\"); for a period relative to the row, use the text statement's fixed sets or a separate cohort.");
            }
        }

        SetExpr Fixed(Expression e)
        {
            var value = ValueEvaluator.Evaluate(e);
            if (value is not UserSet set)
                throw new UnsupportedQueryException(e.ToString(), "a cohort template must produce a set of users.", "Return a UserSet such as store.At(\"signup\", p).");
            if (!ReferenceEquals(set.Store, store)) throw OtherStore(e);
            return set.ToSetExpr();
        }
    }

    private static UnsupportedQueryException OtherStore(Expression e) =>
        new(e.ToString(), "it reads another store than the cohort's; one table runs as one batch on one store.", "Build every set of the table on the same store.");

    private static bool Mentions(Expression e, ParameterExpression p)
    {
        var finder = new Finder(p);
        finder.Visit(e);
        return finder.Found;
    }

    private sealed class Finder(ParameterExpression p) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            if (node == p) Found = true;
            return node;
        }
    }
}
