using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Testing;

/// <summary>
/// The differential oracle: evaluates a query-model expression on plain HashSets, with none of the
/// library's planning, so every integration query can be checked against an independent answer.
/// </summary>
internal sealed class SetOracle(KeyScheme keys, IReadOnlyDictionary<string, HashSet<uint>> data, DateTime now, SetExpr? universe = null)
{
    public HashSet<uint> Eval(SetExpr e) => e switch
    {
        KeyNode k => Key(k.StoredKey),
        EventNode ev => Union(ev.Period.Resolve(now).StoredPeriods().Select(p => Key(keys.Key(ev.EventName, p)))),
        UniqueNode u => Key(keys.Key(u.EventName, Period.Unique)),
        EventRangeNode r => Range(r),
        IdsNode ids => [.. ids.Members],
        EmptyNode => [],
        UniverseNode => universe is null ? throw new InvalidOperationException("oracle: no universe") : Eval(universe),
        NotNode n => Minus(Eval(SetExpr.Universe), Eval(n.Operand)),
        DiffNode d => d.Subtract.Aggregate(Eval(d.Head), (acc, s) => Minus(acc, Eval(s))),
        { Kind: SetKind.And } => e.Children.Select(Eval).Aggregate((a, b) => { a.IntersectWith(b); return a; }),
        { Kind: SetKind.Or } => Union(e.Children.Select(Eval)),
        { Kind: SetKind.Xor } => e.Children.Select(Eval).Aggregate((a, b) => { a.SymmetricExceptWith(b); return a; }),
        _ => throw new NotSupportedException($"oracle: {e.Kind}"),
    };

    // A range is evaluated period by period (day by day for "any"), never with the library's cover.
    private HashSet<uint> Range(EventRangeNode r)
    {
        var first = r.From.Resolve(now);
        var last = r.To.Resolve(now);
        if (last.CompareTo(first) < 0) (first, last) = (last, first);
        var sets = new List<HashSet<uint>>();
        if (r.Mode == RangeMode.Any && first.Unit != PeriodUnit.Hour)
        {
            for (var d = first.Start.Date; d <= last.End.Date; d = d.AddDays(1))
                sets.Add(Key(keys.Key(r.EventName, Period.Day(d.Year, d.Month, d.Day))));
            return Union(sets);
        }
        for (var p = first; p.CompareTo(last) <= 0; p = p.Next())
            sets.Add(Union(p.StoredPeriods().Select(x => Key(keys.Key(r.EventName, x)))));
        return r.Mode == RangeMode.Any ? Union(sets) : sets.Aggregate((a, b) => { a.IntersectWith(b); return a; });
    }

    private HashSet<uint> Key(string key) => data.TryGetValue(key, out var s) ? [.. s] : [];

    private static HashSet<uint> Union(IEnumerable<HashSet<uint>> sets)
    {
        var result = new HashSet<uint>();
        foreach (var s in sets) result.UnionWith(s);
        return result;
    }

    private static HashSet<uint> Minus(HashSet<uint> a, HashSet<uint> b)
    {
        a.ExceptWith(b);
        return a;
    }
}
