using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// and[users, a..] => and[a..];  or[users, ..] => users;  diff(h, .., users) => {}
/// Side condition: the universe holds every user, so every set is a subset of it. Removing it here is what
/// lets most queries that mention it (or a complement) run without reading the universe at all.
/// </summary>
internal sealed class AbsorbUniverseRule : IRewriteRule
{
    public string Name => "absorb-universe";
    public string Pattern => "and[users, a] => a; or[users, a] => users; diff(h, users) => {}";

    public SetExpr? TryRewrite(SetExpr node) => node.Kind switch
    {
        SetKind.And when node.Children.Any(IsUniverse) && node.Children.Any(c => !IsUniverse(c)) =>
            node.WithChildren([.. node.Children.Where(c => !IsUniverse(c))]),
        SetKind.And when node.Children.All(IsUniverse) => SetExpr.Universe,
        SetKind.Or when node.Children.Any(IsUniverse) => SetExpr.Universe,
        SetKind.Diff when ((DiffNode)node).Subtract.Any(IsUniverse) => SetExpr.Empty,
        _ => null,
    };

    private static bool IsUniverse(SetExpr e) => e.Kind == SetKind.Universe;
}
