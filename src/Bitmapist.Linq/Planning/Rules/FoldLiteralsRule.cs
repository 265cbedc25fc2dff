using System.Collections.Immutable;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[{1,2}, {2,3}, x..] => and[{2}, x..];  or[{1}, {2}, x..] => or[{1,2}, x..];  xor[{1,2}, {2,3}] => xor[{1,3}]
/// Side condition: only literal id sets are folded, in the client, where they cost nothing.
/// </summary>
internal sealed class FoldLiteralsRule : IRewriteRule
{
    public string Name => "fold-literals";
    public string Pattern => "and[{..}, {..}] => {∩}; or[{..}, {..}] => {∪}; xor[{..}, {..}] => {△}";

    public SetExpr? TryRewrite(SetExpr node)
    {
        if (node.Kind is not (SetKind.And or SetKind.Or or SetKind.Xor)) return null;
        var literals = node.Children.OfType<IdsNode>().ToArray();
        if (literals.Length < 2) return null;
        var folded = new HashSet<uint>(literals[0].Members);
        foreach (var l in literals.Skip(1))
        {
            if (node.Kind == SetKind.And) folded.IntersectWith(l.Members);
            else if (node.Kind == SetKind.Or) folded.UnionWith(l.Members);
            else folded.SymmetricExceptWith(l.Members);
        }
        SetExpr literal = folded.Count == 0 ? SetExpr.Empty : new IdsNode([.. folded.Order()]);
        return node.WithChildren([literal, .. node.Children.Where(c => c is not IdsNode)]);
    }
}
