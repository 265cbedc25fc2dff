using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[.., {}, ..] => {};  or[a, {}] => or[a];  xor[a, {}] => xor[a];  diff({}, s..) => {};  diff(h, a, {}) => diff(h, a)
/// Side condition: none ({} is the literal empty set; a missing key is only empty at run time and is left alone).
/// </summary>
internal sealed class FoldEmptyRule : IRewriteRule
{
    public string Name => "fold-empty";
    public string Pattern => "and[.., {}] => {}; or[a, {}] => a; xor[a, {}] => a; diff({}, s) => {}; diff(h, {}) => h";

    public SetExpr? TryRewrite(SetExpr node)
    {
        switch (node.Kind)
        {
            case SetKind.And when node.Children.Any(IsEmpty):
                return SetExpr.Empty;
            case SetKind.Or or SetKind.Xor when node.Children.Any(IsEmpty):
                return node.WithChildren([.. node.Children.Where(c => !IsEmpty(c))]);
            case SetKind.Diff:
                var d = (DiffNode)node;
                if (IsEmpty(d.Head)) return SetExpr.Empty;
                if (d.Subtract.Any(IsEmpty)) return SetExpr.Diff(d.Head, d.Subtract.Where(c => !IsEmpty(c)));
                return null;
            default:
                return null;
        }
    }

    private static bool IsEmpty(SetExpr e) => e.Kind == SetKind.Empty || e is IdsNode { Members.IsEmpty: true };
}
