using Bitmapist.Linq.Query;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Baselines;

/// <summary>A query tree over stored keys, shared by the eager baseline and the library (as a SetExpr).</summary>
internal sealed record QueryTree(string Op, string? Key, QueryTree[] Children)
{
    public static QueryTree Leaf(string key) => new("key", key, []);

    /// <summary>
    /// A balanced binary tree of <paramref name="depth"/> operator levels over 2^depth distinct leaves; the
    /// operator cycles and / or / diff by level (root: and) so no level flattens into its parent.
    /// </summary>
    public static QueryTree Balanced(int depth, IReadOnlyList<string> leaves)
    {
        if (leaves.Count < 1 << depth) throw new ArgumentException($"need {1 << depth} leaves");
        var next = 0;
        QueryTree Build(int level)
        {
            if (level == depth) return Leaf(leaves[next++]);
            var op = (level % 3) switch { 0 => "and", 1 => "or", _ => "diff" };
            return new QueryTree(op, null, [Build(level + 1), Build(level + 1)]);
        }
        return Build(0);
    }

    public SetExpr ToSetExpr() => Op switch
    {
        "key" => SetExpr.Key(Key!),
        "and" => SetExpr.And(Children.Select(c => c.ToSetExpr())),
        "or" => SetExpr.Or(Children.Select(c => c.ToSetExpr())),
        "diff" => SetExpr.Diff(Children[0].ToSetExpr(), Children.Skip(1).Select(c => c.ToSetExpr())),
        _ => throw new InvalidOperationException(Op),
    };

    public int OperatorNodes => Op == "key" ? 0 : 1 + Children.Sum(c => c.OperatorNodes);
}

/// <summary>
/// What Python bitmapist does with a composite query: every operator node is its own BITOP, sent as its own
/// awaited round trip into a named result key that is kept (bitmapist names them bitop_&lt;op&gt;_&lt;keys&gt;
/// and leaves them behind; here shorter deterministic names, which only helps the baseline), then one
/// BITCOUNT. A difference a - b is two BITOPs (bitmapist's BitOpAnd(a, BitOpNot(b)) is two as well; here the
/// padding-safe a XOR (a AND b) so results can be checked against the library).
/// </summary>
internal sealed class EagerEvaluator(IDatabase db, string resultPrefix)
{
    private readonly HashSet<string> _created = [];

    /// <summary>Awaited Redis calls made so far (each one is a round trip).</summary>
    public long Calls { get; private set; }

    public async Task<long> CountAsync(QueryTree root)
    {
        var key = await EvalAsync(root, "r");
        Calls++;
        return await db.StringBitCountAsync(key);
    }

    private async Task<RedisKey> EvalAsync(QueryTree node, string path)
    {
        if (node.Op == "key") return node.Key!;
        var sources = new RedisKey[node.Children.Length];
        for (var i = 0; i < sources.Length; i++) sources[i] = await EvalAsync(node.Children[i], path + i);
        var dest = resultPrefix + node.Op + "_" + path;
        _created.Add(dest);
        switch (node.Op)
        {
            case "and":
                Calls++;
                await db.StringBitOperationAsync(Bitwise.And, dest, sources);
                break;
            case "or":
                Calls++;
                await db.StringBitOperationAsync(Bitwise.Or, dest, sources);
                break;
            case "diff":
                var common = resultPrefix + "and_" + path + "d";
                _created.Add(common);
                if (sources.Length == 2)
                {
                    Calls++;
                    await db.StringBitOperationAsync(Bitwise.And, common, sources);
                }
                else
                {
                    Calls++;
                    await db.StringBitOperationAsync(Bitwise.Or, common, sources[1..]);
                    Calls++;
                    await db.StringBitOperationAsync(Bitwise.And, common, [sources[0], common]);
                }
                Calls++;
                await db.StringBitOperationAsync(Bitwise.Xor, dest, [sources[0], common]);
                break;
            default:
                throw new InvalidOperationException(node.Op);
        }
        return dest;
    }

    public async Task CleanupAsync()
    {
        foreach (var chunk in _created.Chunk(500)) await db.KeyDeleteAsync([.. chunk.Select(k => (RedisKey)k)]);
        _created.Clear();
    }
}
