using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// Pushes complements towards the leaves (De Morgan), where the difference rule can absorb them:
/// ~~x => x;  ~and[a, b] => or[~a, ~b];  ~or[a, b] => and[~a, ~b];  ~diff(h, s..) => or[~h, s..];
/// ~xor[a, b..] => xor[~a, b..];  ~{} => users;  ~users => {}
/// Side condition: complements are relative to the universe, of which every set is a subset.
/// </summary>
internal sealed class NotPushdownRule : IRewriteRule
{
    public string Name => "push-not-down";
    public string Pattern => "~and[a, b] => or[~a, ~b]; ~or[a, b] => and[~a, ~b]; ~~x => x; ~diff(h, s) => or[~h, s]";

    public SetExpr? TryRewrite(SetExpr node)
    {
        if (node is not NotNode not) return null;
        var x = not.Operand;
        return x.Kind switch
        {
            SetKind.Not => ((NotNode)x).Operand,
            SetKind.And => SetExpr.Or(x.Children.Select(SetExpr.Not)),
            SetKind.Or => SetExpr.And(x.Children.Select(SetExpr.Not)),
            SetKind.Diff => SetExpr.Or([SetExpr.Not(((DiffNode)x).Head), .. ((DiffNode)x).Subtract]),
            SetKind.Xor => SetExpr.Xor([SetExpr.Not(x.Children[0]), .. x.Children[1..]]),
            SetKind.Empty => SetExpr.Universe,
            SetKind.Universe => SetExpr.Empty,
            _ => null,
        };
    }
}
