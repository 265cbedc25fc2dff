using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[a, ~a, ..] => {};  or[a, ~a, ..] => users;  xor[a, ~a, b..] => xor[users, b..]
/// Side condition: ~a is the complement within the universe, so a and ~a partition it.
/// </summary>
internal sealed class ComplementPairsRule : IRewriteRule
{
    public string Name => "complement-pairs";
    public string Pattern => "and[a, ~a] => {}; or[a, ~a] => users; xor[a, ~a, b] => xor[users, b]";

    public SetExpr? TryRewrite(SetExpr node)
    {
        if (node.Kind is not (SetKind.And or SetKind.Or or SetKind.Xor)) return null;
        var pair = node.Children.OfType<NotNode>().FirstOrDefault(n => node.Children.Contains(n.Operand));
        if (pair is null) return null;
        return node.Kind switch
        {
            SetKind.And => SetExpr.Empty,
            SetKind.Or => SetExpr.Universe,
            _ => node.WithChildren([SetExpr.Universe, .. WithoutOne(WithoutOne(node.Children, pair), pair.Operand)]),
        };
    }

    private static IEnumerable<SetExpr> WithoutOne(IEnumerable<SetExpr> items, SetExpr remove)
    {
        var removed = false;
        foreach (var item in items)
        {
            if (!removed && item.Equals(remove)) { removed = true; continue; }
            yield return item;
        }
    }
}
