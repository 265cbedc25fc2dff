using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[p.., ~n..] => diff(and[p..], n..)     when at least one operand is positive
/// diff(h, s.., ~n) => diff(and[h, n], s..)  (removing a complement keeps what is in it)
/// diff(~a, s..) => ~or[a, s..]
/// Side condition: none. This is what lets "active and not churned" run as a difference, which needs no
/// universe and is correct for bitmaps of any length (unlike bitmapist's BITOP NOT).
/// </summary>
internal sealed class NotToDifferenceRule : IRewriteRule
{
    public string Name => "not-to-difference";
    public string Pattern => "and[p, ~n] => diff(p, n); diff(h, ~n) => and[h, n]; diff(~a, s) => ~or[a, s]";

    public SetExpr? TryRewrite(SetExpr node)
    {
        switch (node)
        {
            case { Kind: SetKind.And } when node.Children.Any(c => c.Kind == SetKind.Not) && node.Children.Any(c => c.Kind != SetKind.Not):
                var positive = node.Children.Where(c => c.Kind != SetKind.Not);
                var negative = node.Children.OfType<NotNode>().Select(n => n.Operand);
                return SetExpr.Diff(SetExpr.And(positive), negative);
            case DiffNode { Head: NotNode head } d:
                return SetExpr.Not(SetExpr.Or([head.Operand, .. d.Subtract]));
            case DiffNode d when d.Subtract.Any(s => s.Kind == SetKind.Not):
                var kept = d.Subtract.OfType<NotNode>().Select(n => n.Operand);
                return SetExpr.Diff(SetExpr.And([d.Head, .. kept]), d.Subtract.Where(s => s.Kind != SetKind.Not));
            default:
                return null;
        }
    }
}
