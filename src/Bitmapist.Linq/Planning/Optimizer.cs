using Bitmapist.Linq.Planning.Rules;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// Stage 4: rewrites a bound expression with an ordered list of small rules (one file each under
/// <c>Rules/</c>, each with its <c>pattern =&gt; result</c>), bottom-up, to a fixed point. Then, in a last
/// phase, whatever complement no rule could absorb becomes a difference from the universe, and the
/// universe is replaced by the configured set, or the query is refused with a clear error.
/// </summary>
internal static class Optimizer
{
    /// <summary>The rules of the main phase, in the order they are tried at each node.</summary>
    public static IReadOnlyList<IRewriteRule> Rules { get; } =
    [
        new FlattenRule(),
        new ComplementLiftRule(),
        new EmptySetRule(),
        new UniverseRule(),
        new DuplicateRule(),
        new ContradictionRule(),
        new DifferenceRule(),
        new LiteralFoldRule(),
        new CanonicalOrderRule(),
    ];

    /// <summary>The last phase: complements that survived the main rules.</summary>
    public static IRewriteRule Complement { get; } = new ComplementRule();

    /// <summary>Optimizes <paramref name="bound"/>; <paramref name="universe"/> is the bound configured universe, if any; <paramref name="asWritten"/> is quoted in errors.</summary>
    /// <exception cref="BitmapistQueryException">The query needs a universe and none is configured.</exception>
    public static SetExpr Optimize(SetExpr bound, SetExpr? universe, Action<string>? trace = null, SetExpr? asWritten = null)
    {
        var main = Rewrite(bound, Rules, trace);
        var complemented = Rewrite(main, [.. Rules, Complement], trace);
        if (!Contains(complemented, SetKind.Universe)) return complemented;
        if (universe is null)
            throw new BitmapistQueryException(
                $"The query {asWritten ?? bound} needs the universe of all users (a complement with nothing to subtract it from), and no universe is configured.",
                "Subtract from a positive set instead (write 'a - b', not '~b' alone), or configure a universe, e.g. a unique flag the application marks for every user.");
        return Rewrite(Substitute(complemented, universe), Rules, trace);
    }

    /// <summary>Applies <paramref name="rules"/> bottom-up until no rule changes anything.</summary>
    public static SetExpr Rewrite(SetExpr expr, IReadOnlyList<IRewriteRule> rules, Action<string>? trace = null)
    {
        for (var round = 0; round < 1000; round++)
        {
            var next = RewriteOnce(expr, rules, trace);
            if (next.Equals(expr)) return next;
            expr = next;
        }
        throw new InvalidOperationException($"The optimizer did not reach a fixed point on {expr}: a rule loops.");
    }

    private static SetExpr RewriteOnce(SetExpr expr, IReadOnlyList<IRewriteRule> rules, Action<string>? trace)
    {
        if (!expr.Children.IsEmpty)
        {
            var children = expr.Children.Select(c => RewriteOnce(c, rules, trace)).ToArray();
            if (!children.SequenceEqual(expr.Children)) expr = expr.WithChildren([.. children]);
        }
        foreach (var rule in rules)
        {
            if (rule.TryRewrite(expr) is { } rewritten && !rewritten.Equals(expr))
            {
                trace?.Invoke($"{rule.Name}: {expr} => {rewritten}");
                return rewritten;
            }
        }
        return expr;
    }

    private static bool Contains(SetExpr expr, SetKind kind) => expr.Kind == kind || expr.Children.Any(c => Contains(c, kind));

    private static SetExpr Substitute(SetExpr expr, SetExpr universe) =>
        expr.Kind == SetKind.Universe ? universe
        : expr.Children.IsEmpty ? expr
        : expr.WithChildren([.. expr.Children.Select(c => Substitute(c, universe))]);
}
