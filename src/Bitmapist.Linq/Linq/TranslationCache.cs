using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq.Expressions;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Linq;

/// <summary>
/// A bounded cache of translated LINQ queries, keyed by shape (<see cref="ShapeKey"/>: the tree with
/// literals written in and captured values left out). An entry is a query-model template in which every
/// captured piece (a captured set, id or id list, a date read from the clock) is a parameter slot. A hit
/// skips translation: it walks the new tree, reads the captured values at the recorded positions (fresh at
/// every execution) and fills the slots. No value is ever kept, so a captured object stays collectable;
/// relative periods stay relative, so "this month" is resolved when the query runs.
/// </summary>
public sealed class TranslationCache
{
    private readonly ConcurrentDictionary<string, CachedTranslation> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedTranslation>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private long _hits;
    private long _misses;

    /// <summary>A cache of at most <paramref name="capacity"/> shapes.</summary>
    public TranslationCache(int capacity = 1024)
    {
        Capacity = capacity;
        _bySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The most shapes kept; when full, the cache is emptied and refills with the shapes in use.</summary>
    public int Capacity { get; }

    /// <summary>Shapes held now.</summary>
    public int Count => _entries.Count;

    /// <summary>Translations answered from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Translations done in full (shapes not in the cache).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    internal bool TryGet(ReadOnlySpan<char> key, out CachedTranslation entry)
    {
        if (_bySpan.TryGetValue(key, out entry!))
        {
            Interlocked.Increment(ref _hits);
            return true;
        }
        Interlocked.Increment(ref _misses);
        return false;
    }

    internal void Add(string key, CachedTranslation entry)
    {
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries[key] = entry;
    }

    /// <summary>Empties the cache and its counters.</summary>
    public void Clear()
    {
        _entries.Clear();
        Interlocked.Exchange(ref _hits, 0);
        Interlocked.Exchange(ref _misses, 0);
    }
}

/// <summary>What a captured piece of the query stands for.</summary>
internal enum HoleKind
{
    /// <summary>A set (a captured <see cref="UserSet"/>, or an entry point with captured arguments).</summary>
    Set,
    /// <summary>One id (<c>u == id</c>).</summary>
    Id,
    /// <summary>A collection of ids (<c>ids.Contains(u)</c>).</summary>
    Ids,
    /// <summary>A boolean (<c>u =&gt; flag</c>): all users or none.</summary>
    Bool,
}

/// <summary>A captured piece: its position in pre-order, what it stands for, and its slot.</summary>
internal readonly record struct Hole(int Position, HoleKind Kind, int Slot);

/// <summary>A translated shape: the template and where its captured values are.</summary>
internal sealed class CachedTranslation(SetExpr template, ImmutableArray<Hole> holes)
{
    public SetExpr Template { get; } = template;

    public ImmutableArray<Hole> Holes { get; } = holes;

    public static string SlotName(int slot) => "_h" + slot;

    /// <summary>Reads the captured values of a query of this shape (its nodes in <see cref="ShapeKey"/> order) and fills the template.</summary>
    public SetExpr Instantiate(IReadOnlyList<Expression> nodes, BitmapQueryProvider provider, IReadOnlyDictionary<ParameterExpression, object?>? bound = null)
    {
        if (Holes.IsEmpty) return Template;
        var values = new SetExpr[Holes.Length];
        foreach (var hole in Holes) values[hole.Slot] = provider.HoleValue(nodes[hole.Position], hole.Kind, bound);
        return Fill(Template, values);
    }

    // Like SetExpr.WithParameters, but slots are numbered: an array lookup keeps a cache hit free of a
    // dictionary (a hit must stay under 2 KB allocated).
    public static SetExpr Fill(SetExpr template, SetExpr[] values) => template switch
    {
        ParameterNode p when p.Name.StartsWith("_h", StringComparison.Ordinal) => values[int.Parse(p.Name.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture)],
        _ when template.Children.IsEmpty => template,
        _ => template.WithChildren([.. template.Children.Select(c => Fill(c, values))]),
    };
}

/// <summary>Expression nodes in pre-order, the numbering shared by translation and cache hits.</summary>
internal static class PreOrder
{
    public static IEnumerable<Expression> Nodes(Expression root)
    {
        var stack = new Stack<Expression>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            yield return node;
            var children = Children(node);
            for (var i = children.Count - 1; i >= 0; i--) stack.Push(children[i]);
        }
    }

    public static IReadOnlyList<Expression> Children(Expression node) => node switch
    {
        MethodCallExpression m => m.Object is null ? m.Arguments : [m.Object, .. m.Arguments],
        LambdaExpression l => [l.Body, .. l.Parameters],
        UnaryExpression u => [u.Operand],
        BinaryExpression b => [b.Left, b.Right],
        MemberExpression { Expression: { } e } => [e],
        NewExpression n => n.Arguments,
        NewArrayExpression a => a.Expressions,
        ConditionalExpression c => [c.Test, c.IfTrue, c.IfFalse],
        InvocationExpression i => [i.Expression, .. i.Arguments],
        ListInitExpression li => [li.NewExpression, .. li.Initializers.SelectMany(x => x.Arguments)],
        TypeBinaryExpression t => [t.Expression],
        _ => [],
    };
}
