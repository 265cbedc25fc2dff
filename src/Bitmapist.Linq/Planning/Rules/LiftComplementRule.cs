using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// Lifts complements up the tree (De Morgan read right to left), to where a positive operand absorbs them:
/// ~~x => x;  ~{} => users;  ~users => {}
/// and[~a, ~b] => ~or[a, b]                  (every operand negative)
/// or[p.., ~n..] => ~diff(and[n..], p..)     (x in p or not in n  =  not (x in n and not in p))
/// xor[~a, b..] => ~xor[a, b..]
/// Side condition: complements are relative to the universe, of which every set is a subset.
/// </summary>
/// <remarks>
/// Lifting, rather than pushing complements down to the leaves, gives a normal form where every node is
/// either positive or the complement of a positive node. With the difference rule
/// (and[p.., ~n..] => diff(and[p..], n..)) a query then needs the universe only when its result really is
/// a complement at the root: <c>a &amp; ~(b &amp; c)</c> becomes <c>a - (b &amp; c)</c>, where pushing the NOT down
/// would have left <c>a &amp; (~b | ~c)</c>, which needs the universe.
/// </remarks>
internal sealed class LiftComplementRule : IRewriteRule
{
    public string Name => "lift-complement";
    public string Pattern => "~~x => x; and[~a, ~b] => ~or[a, b]; or[p, ~n] => ~diff(n, p); xor[~a, b] => ~xor[a, b]";

    public SetExpr? TryRewrite(SetExpr node)
    {
        switch (node.Kind)
        {
            case SetKind.Not:
                var x = ((NotNode)node).Operand;
                return x.Kind switch
                {
                    SetKind.Not => ((NotNode)x).Operand,
                    SetKind.Empty => SetExpr.Universe,
                    SetKind.Universe => SetExpr.Empty,
                    _ => null,
                };
            case SetKind.And when node.Children.All(IsNot):
                return SetExpr.Not(SetExpr.Or(node.Children.Select(Operand)));
            case SetKind.Or when node.Children.Any(IsNot):
                var negative = SetExpr.And(node.Children.Where(IsNot).Select(Operand));
                return SetExpr.Not(SetExpr.Diff(negative, node.Children.Where(c => !IsNot(c))));
            case SetKind.Xor when node.Children.Any(IsNot):
                var first = node.Children.First(IsNot);
                return SetExpr.Not(SetExpr.Xor(node.Children.Select(c => ReferenceEquals(c, first) ? Operand(c) : c)));
            default:
                return null;
        }
    }

    private static bool IsNot(SetExpr e) => e.Kind == SetKind.Not;

    private static SetExpr Operand(SetExpr e) => ((NotNode)e).Operand;
}
