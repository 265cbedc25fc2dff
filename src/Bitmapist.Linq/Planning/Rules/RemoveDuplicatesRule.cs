using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[a, a, b] => and[a, b];  or[a, a, b] => or[a, b]   (idempotence)
/// xor[a, a, b] => xor[b]   (pairs cancel; an odd count keeps one)
/// diff(h, a, a) => diff(h, a);  diff(h, .., h, ..) => {}
/// Side condition: operands are equal when they print the same (structural equality).
/// </summary>
internal sealed class RemoveDuplicatesRule : IRewriteRule
{
    public string Name => "remove-duplicates";
    public string Pattern => "and[a, a] => a; or[a, a] => a; xor[a, a, b] => b; diff(h, a, a) => diff(h, a); diff(h, h) => {}";

    public SetExpr? TryRewrite(SetExpr node)
    {
        switch (node.Kind)
        {
            case SetKind.And or SetKind.Or:
                if (AllDistinct(node.Children)) return null;
                return node.WithChildren([.. node.Children.Distinct()]);
            case SetKind.Xor:
                var odd = node.Children.GroupBy(c => c).Where(g => g.Count() % 2 == 1).Select(g => g.Key).ToArray();
                return odd.Length < node.Children.Length ? node.WithChildren([.. odd]) : null;
            case SetKind.Diff:
                var d = (DiffNode)node;
                if (d.Subtract.Contains(d.Head)) return SetExpr.Empty;
                var subtract = d.Subtract.Distinct().ToArray();
                return subtract.Length < d.Subtract.Length ? SetExpr.Diff(d.Head, subtract) : null;
            default:
                return null;
        }
    }

    /// <summary>The common case, checked without allocating: a handful of operands, all different.</summary>
    private static bool AllDistinct(IReadOnlyList<SetExpr> items)
    {
        if (items.Count > 16) return items.Distinct().Count() == items.Count;
        for (var i = 1; i < items.Count; i++)
            for (var j = 0; j < i; j++)
                if (items[i].Equals(items[j])) return false;
        return true;
    }
}
