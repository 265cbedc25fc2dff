using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[a, and[b, c]] => and[a, b, c]   (also or, xor: all three are associative)
/// diff(diff(h, a), b) => diff(h, a, b)
/// Side condition: none. Other rules may build nested nodes through WithChildren; this puts them back flat.
/// </summary>
internal sealed class FlattenRule : IRewriteRule
{
    public string Name => "flatten";
    public string Pattern => "and[a, and[b, c]] => and[a, b, c]; diff(diff(h, a), b) => diff(h, a, b)";

    public SetExpr? TryRewrite(SetExpr node) => node.Kind switch
    {
        SetKind.And or SetKind.Or or SetKind.Xor when node.Children.Any(c => c.Kind == node.Kind) =>
            node.WithChildren([.. node.Children.SelectMany(c => c.Kind == node.Kind ? c.Children : [c])]),
        SetKind.Diff when ((DiffNode)node).Head is DiffNode inner =>
            SetExpr.Diff(inner.Head, [.. inner.Subtract, .. ((DiffNode)node).Subtract]),
        _ => null,
    };
}
