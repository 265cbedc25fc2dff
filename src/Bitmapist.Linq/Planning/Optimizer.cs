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
        new LiftComplementRule(),
        new FoldEmptyRule(),
        new AbsorbUniverseRule(),
        new RemoveDuplicatesRule(),
        new ComplementPairsRule(),
        new NotToDifferenceRule(),
        new FoldLiteralsRule(),
        new CanonicalOrderRule(),
    ];

    /// <summary>The last phase: complements that survived the main rules.</summary>
    public static IRewriteRule Complement { get; } = new ComplementToDifferenceRule();

    private static readonly IReadOnlyList<IRewriteRule> RulesAndComplement = [.. Rules, Complement];

    /// <summary>Optimizes <paramref name="bound"/>; <paramref name="universe"/> is the bound configured universe, if any; <paramref name="asWritten"/> is quoted in errors.</summary>
    /// <param name="bound">The bound expression.</param>
    /// <param name="universe">The bound configured universe, if any.</param>
    /// <param name="trace">Called with every rewrite (rule name, before, after), for explain's trace.</param>
    /// <param name="asWritten">The expression as the user wrote it, quoted in errors.</param>
    /// <param name="memo">Shared by the many sets of one cohort table, whose cells repeat the rows' and return
    /// periods' sets: sub-expressions already rewritten to a fixed point are not visited again.</param>
    /// <exception cref="BitmapistQueryException">The query needs a universe and none is configured.</exception>
    public static SetExpr Optimize(SetExpr bound, SetExpr? universe, Action<string, SetExpr, SetExpr>? trace = null, SetExpr? asWritten = null, FixedPoints? memo = null)
    {
        var main = Rewrite(bound, Rules, trace, memo?.Main);
        // The last phase only has work where a complement survived: without one, the main rules' fixed point is
        // already the fixed point with the complement rule (most cells of a cohort table).
        var complemented = Contains(main, SetKind.Not) ? Rewrite(main, RulesAndComplement, trace, memo?.WithComplement) : main;
        if (!Contains(complemented, SetKind.Universe)) return complemented;
        if (universe is null)
            throw new BitmapistQueryException(
                $"The query {asWritten ?? bound} needs the universe of all users (a complement with nothing to subtract it from), and no universe is configured.",
                "Subtract from a positive set instead (write 'a - b', not '~b' alone), or configure a universe, e.g. a unique flag the application marks for every user.");
        return Rewrite(Substitute(complemented, universe), Rules, trace, memo?.Main);
    }

    /// <summary>
    /// Expressions known to be fixed points of the main rules, and of the main rules with the complement rule.
    /// Every rule looks only at a node and what is below it, so a sub-expression of a fixed point is one too.
    /// </summary>
    internal sealed class FixedPoints
    {
        public HashSet<SetExpr> Main { get; } = [];
        public HashSet<SetExpr> WithComplement { get; } = [];
    }

    /// <summary>Applies <paramref name="rules"/> bottom-up until no rule changes anything.</summary>
    public static SetExpr Rewrite(SetExpr expr, IReadOnlyList<IRewriteRule> rules, Action<string, SetExpr, SetExpr>? trace = null) => Rewrite(expr, rules, trace, null);

    private static SetExpr Rewrite(SetExpr expr, IReadOnlyList<IRewriteRule> rules, Action<string, SetExpr, SetExpr>? trace, HashSet<SetExpr>? known)
    {
        for (var round = 0; round < 1000; round++)
        {
            var next = RewriteOnce(expr, rules, trace, known);
            if (next.Equals(expr))
            {
                if (known is not null) Remember(next, known);
                return next;
            }
            expr = next;
        }
        throw new InvalidOperationException($"The optimizer did not reach a fixed point on {expr}: a rule loops.");
    }

    private static void Remember(SetExpr fixedPoint, HashSet<SetExpr> known)
    {
        if (!known.Add(fixedPoint)) return; // its sub-expressions are known already
        foreach (var child in fixedPoint.Children) Remember(child, known);
    }

    private static SetExpr RewriteOnce(SetExpr expr, IReadOnlyList<IRewriteRule> rules, Action<string, SetExpr, SetExpr>? trace, HashSet<SetExpr>? known)
    {
        if (known is not null && known.Contains(expr)) return expr;
        if (!expr.Children.IsEmpty)
        {
            var children = expr.Children.Select(c => RewriteOnce(c, rules, trace, known)).ToArray();
            if (!children.SequenceEqual(expr.Children)) expr = expr.WithChildren([.. children]);
        }
        foreach (var rule in rules)
        {
            if (rule.TryRewrite(expr) is { } rewritten && !rewritten.Equals(expr))
            {
                trace?.Invoke(rule.Name, expr, rewritten);
                return rewritten;
            }
        }
        return expr;
    }

    private static bool Contains(SetExpr expr, SetKind kind) => expr.Contains(kind);

    private static SetExpr Substitute(SetExpr expr, SetExpr universe) =>
        expr.Kind == SetKind.Universe ? universe
        : expr.Children.IsEmpty ? expr
        : expr.WithChildren([.. expr.Children.Select(c => Substitute(c, universe))]);
}
