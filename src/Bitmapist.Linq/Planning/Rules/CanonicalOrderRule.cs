using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[b, a] => and[a, b]  (also or, xor, and the subtracted sets of a diff)
/// Side condition: the operator is commutative. One order for equal sets makes equal sub-plans print the
/// same, so duplicate removal and common sub-plan sharing find them.
/// </summary>
internal sealed class CanonicalOrderRule : IRewriteRule
{
    public string Name => "canonical-order";
    public string Pattern => "and[b, a] => and[a, b]; diff(h, b, a) => diff(h, a, b)";

    public SetExpr? TryRewrite(SetExpr node)
    {
        switch (node)
        {
            case { Kind: SetKind.And or SetKind.Or or SetKind.Xor } when !IsSorted(node.Children):
                return node.WithChildren([.. node.Children.Order()]);
            case DiffNode d when !IsSorted(d.Subtract):
                return SetExpr.Diff(d.Head, d.Subtract.Order());
            default:
                return null;
        }
    }

    private static bool IsSorted(IReadOnlyList<SetExpr> items)
    {
        for (var i = 1; i < items.Count; i++)
            if (items[i - 1].CompareTo(items[i]) > 0) return false;
        return true;
    }
}
