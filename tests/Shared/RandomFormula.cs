using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Testing;

/// <summary>Random query trees over given leaves, for property and oracle tests.</summary>
internal static class RandomFormula
{
    /// <summary>A random tree of depth at most <paramref name="depth"/> using every operator, literals, {} and (optionally) the universe.</summary>
    public static SetExpr Build(Random r, IReadOnlyList<SetExpr> leaves, int depth, bool allowUniverse = true)
    {
        if (depth == 0 || r.Next(4) == 0) return Leaf(r, leaves, allowUniverse);
        SetExpr Sub() => Build(r, leaves, depth - 1, allowUniverse);
        IEnumerable<SetExpr> Some(int min) => Enumerable.Range(0, r.Next(min, 5)).Select(_ => Sub()).ToList();
        return r.Next(7) switch
        {
            // Raw constructors skip the smart constructors' flattening, as rewrites through WithChildren can.
            6 => r.Next(2) == 0
                ? new NaryNode(r.Next(2) == 0 ? SetKind.And : SetKind.Or, [Sub(), SetExpr.And(Sub(), Sub()), SetExpr.Or(Sub(), Sub())])
                : new DiffNode(new DiffNode(Sub(), [Sub()]), [Sub()]),
            0 => SetExpr.And(Some(2)),
            1 => SetExpr.Or(Some(2)),
            2 => SetExpr.Xor(Some(2)),
            3 => SetExpr.Diff(Sub(), Some(1)),
            4 => SetExpr.Not(Sub()),
            _ => r.Next(2) == 0 ? SetExpr.And(Sub(), SetExpr.Not(Sub())) : SetExpr.Or(Sub(), Sub()),
        };
    }

    private static SetExpr Leaf(Random r, IReadOnlyList<SetExpr> leaves, bool allowUniverse) => r.Next(12) switch
    {
        0 => SetExpr.Empty,
        1 when allowUniverse => SetExpr.Universe,
        2 => SetExpr.Ids(Enumerable.Range(0, r.Next(0, 4)).Select(_ => (long)Interesting(r))),
        _ => leaves[r.Next(leaves.Count)],
    };

    /// <summary>Ids that exercise byte, word and page edges, and a spread of ordinary values.</summary>
    public static uint Interesting(Random r, uint max = 1 << 20) => r.Next(4) switch
    {
        0 => (uint)r.Next(0, 64),
        1 => new uint[] { 7, 8, 63, 64, 8191, 8192, 65535, 65536, 65537 }[r.Next(9)] % (max + 1),
        _ => (uint)r.NextInt64(0, (long)max + 1),
    };
}
