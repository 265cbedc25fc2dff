using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Testing;

/// <summary>Random query trees over given leaves, for property and oracle tests.</summary>
internal static class RandomFormula
{
    /// <summary>A random tree of depth at most <paramref name="depth"/> using every operator, literals, {} and (optionally) the universe.</summary>
    /// <param name="r">The random source.</param>
    /// <param name="leaves">The leaves to pick from.</param>
    /// <param name="depth">The deepest a tree may be.</param>
    /// <param name="allowUniverse">Whether the universe may be a leaf.</param>
    /// <param name="minDepth">Levels from the root that are always operators (0: the root itself may be a leaf).</param>
    /// <param name="literalId">Draws a literal id (default <see cref="Interesting(Random, uint)"/> below 2^20).</param>
    /// <param name="constantRarity">Divides the odds of the constant leaves ({}, the universe, literals) by this.</param>
    public static SetExpr Build(
        Random r, IReadOnlyList<SetExpr> leaves, int depth, bool allowUniverse = true,
        int minDepth = 0, Func<Random, long>? literalId = null, int constantRarity = 1)
    {
        if (depth == 0 || (minDepth <= 0 && r.Next(4) == 0)) return Leaf(r, leaves, allowUniverse, literalId, constantRarity);
        SetExpr Sub() => Build(r, leaves, depth - 1, allowUniverse, minDepth - 1, literalId, constantRarity);
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

    private static SetExpr Leaf(Random r, IReadOnlyList<SetExpr> leaves, bool allowUniverse, Func<Random, long>? literalId, int rarity) =>
        r.Next(12 * rarity) switch
        {
            0 => SetExpr.Empty,
            1 when allowUniverse => SetExpr.Universe,
            2 => SetExpr.Ids(Enumerable.Range(0, r.Next(0, 4)).Select(_ => literalId?.Invoke(r) ?? Interesting(r))),
            _ => leaves[r.Next(leaves.Count)],
        };

    /// <summary>Ids that exercise byte, word and page edges, and a spread of ordinary values.</summary>
    public static uint Interesting(Random r, uint max = 1 << 20) => r.Next(4) switch
    {
        0 => (uint)r.Next(0, 64),
        1 => new uint[] { 7, 8, 63, 64, 8191, 8192, 65535, 65536, 65537 }[r.Next(9)] % (max + 1),
        _ => (uint)r.NextInt64(0, (long)max + 1),
    };

    /// <summary>
    /// Ids anywhere in [0, <paramref name="max"/>] (default the whole [0, 2^32)): byte and word edges, the edges
    /// of any 2^16-bit page (the embedded store's page), 2^31 and the top of the range, every magnitude
    /// equally often (log-uniform) and uniform values.
    /// </summary>
    public static uint Wide(Random r, uint max = uint.MaxValue)
    {
        var id = r.Next(6) switch
        {
            0 => (ulong)r.Next(0, 64),
            1 => new ulong[] { 7, 8, 15, 16, 63, 64, 127, 128, 8191, 8192, 65535, 65536, 65537, 131071, 131072 }[r.Next(15)],
            2 => PageEdge(r, max),
            3 => new ulong[] { (1UL << 31) - 1, 1UL << 31, (1UL << 31) + 1, uint.MaxValue - 65536, uint.MaxValue - 65535, uint.MaxValue - 64, uint.MaxValue - 1, uint.MaxValue }[r.Next(8)],
            4 => LogUniform(r, max),
            _ => (ulong)r.NextInt64(0, (long)max + 1),
        };
        return id <= max ? (uint)id : (uint)r.NextInt64(0, (long)max + 1);
    }

    // The last or first bits of a random page: k * 2^16 - 1, k * 2^16, k * 2^16 + 1 (and the words/bytes there).
    private static ulong PageEdge(Random r, uint max)
    {
        var page = r.NextInt64(1, ((long)max >> 16) + 2);
        var id = (page << 16) + new long[] { -64, -9, -8, -1, 0, 1, 7, 8, 63, 64 }[r.Next(10)];
        return (ulong)Math.Max(0, id);
    }

    private static ulong LogUniform(Random r, uint max)
    {
        var bits = r.Next(1, 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)max | 1) + 1);
        return (ulong)r.NextInt64(1L << (bits - 1), 1L << bits);
    }
}
