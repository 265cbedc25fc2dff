using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// The sets a table statement (cohort, trend, funnel) counts, gathered as its rows are placed and then planned into
/// one program of counts. A set asked twice is counted once. A set made as the intersection of two sets already
/// here (<see cref="And"/>: a cohort cell, a funnel step) is optimized from their optimized forms, so only its own
/// node is new: binding and optimizing every such set in full made each a fresh tree of some hundred keys, and a
/// 1000 x 99 cohort table allocated 11.6 GB (docs/performance.md, "cohort planning memory"). A part that is only
/// there to be intersected (<see cref="Part"/>) is optimized but not counted.
/// </summary>
internal sealed class CountedSets
{
    private readonly List<SetExpr> _sets = [];
    private readonly List<(int Left, int Right)> _parts = [];
    private readonly List<bool> _counted = [];
    private readonly Dictionary<SetExpr, int> _index = [];
    private int[] _reads = [];

    /// <summary>Counts <paramref name="set"/>; returns its handle.</summary>
    public int Count(SetExpr set) => Add(set, (-1, -1), counted: true);

    /// <summary>Adds <paramref name="set"/> to intersect later, without counting it (unless it is counted anyway); returns its handle.</summary>
    public int Part(SetExpr set) => Add(set, (-1, -1), counted: false);

    /// <summary>Counts the intersection of the sets of handles <paramref name="left"/> and <paramref name="right"/>; returns its handle.</summary>
    public int And(int left, int right) => Add(SetExpr.And(_sets[left], _sets[right]), (left, right), counted: true);

    private int Add(SetExpr set, (int, int) parts, bool counted)
    {
        if (_index.TryGetValue(set, out var i))
        {
            _counted[i] |= counted;
            return i;
        }
        _sets.Add(set);
        _parts.Add(parts);
        _counted.Add(counted);
        return _index[set] = _sets.Count - 1;
    }

    /// <summary>The position in the program's reads of the count of handle <paramref name="handle"/> (after <see cref="Plan"/>).</summary>
    public int ReadOf(int handle) => _reads[handle];

    /// <summary>
    /// Binds and optimizes every set (cancellation checked every 256), and emits one program counting the counted
    /// ones in the order they were first asked. Returns the counted sets as written and as optimized, and the program.
    /// </summary>
    public (ImmutableArray<SetExpr> Counted, ImmutableArray<SetExpr> Optimized, BatchProgram Program) Plan(
        BindContext context, CapabilityProfile profile, string description, CancellationToken ct)
    {
        var universe = context.Universe is null ? null : Binder.Bind(context.Universe, context);
        var memo = new Optimizer.FixedPoints();
        var optimized = new SetExpr[_sets.Count];
        for (var k = 0; k < _sets.Count; k++)
        {
            if ((k & 255) == 0) ct.ThrowIfCancellationRequested();
            var (left, right) = _parts[k];
            var input = left >= 0 ? SetExpr.And(optimized[left], optimized[right]) : Binder.Bind(_sets[k], context);
            optimized[k] = Optimizer.Optimize(input, universe, asWritten: _sets[k], memo: memo);
        }
        _reads = new int[_sets.Count];
        var counted = ImmutableArray.CreateBuilder<SetExpr>();
        var counts = ImmutableArray.CreateBuilder<SetExpr>();
        for (var k = 0; k < _sets.Count; k++)
        {
            _reads[k] = _counted[k] ? counted.Count : -1;
            if (!_counted[k]) continue;
            counted.Add(_sets[k]);
            counts.Add(optimized[k]);
        }
        var program = ProgramEmitter.EmitCounts(counts, profile) with { Description = description };
        return (counted.ToImmutable(), counts.ToImmutable(), program);
    }
}
