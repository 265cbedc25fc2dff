using System.Collections.Immutable;
using System.Text;
using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Query;

/// <summary>
/// An immutable set expression of the query model: what every front end (LINQ, text, cohorts) produces and
/// every later stage (binding, optimizing, emitting) consumes.
/// </summary>
/// <remarks>
/// Each node prints itself in the text query language (<see cref="Text"/>), and equal texts mean equal sets
/// of the same shape: equality, hashing and the canonical order of operands follow the text, which makes
/// common sub-plan detection and duplicate removal a dictionary lookup. A leaf prints at construction; an
/// operator prints only when its text is asked for (explain, a plan-cache key, ordering it among siblings)
/// and hashes and compares its children instead: a cohort table's cells share their row and return sets, and
/// printing every cell (thousands of keys each) was most of a large table's memory (docs/performance.md).
/// The smart constructors (<see cref="And"/>, <see cref="Or"/>...) only flatten and order; the real
/// simplification is the optimizer's.
/// </remarks>
public abstract class SetExpr : IEquatable<SetExpr>, IComparable<SetExpr>
{
    private readonly int _hash;
    private readonly int _kinds; // bit k: a node of SetKind k is here or below
    private readonly long _expandedSize;
    private string? _text;

    /// <summary>A leaf: its text is its identity.</summary>
    private protected SetExpr(SetKind kind, string text)
    {
        Kind = kind;
        _text = text;
        _hash = HashCode.Combine(kind, string.GetHashCode(text, StringComparison.Ordinal));
        _kinds = 1 << (int)kind;
        _expandedSize = 1;
    }

    /// <summary>An operator over <paramref name="children"/>: identified by its kind and children, printed on demand.</summary>
    private protected SetExpr(SetKind kind, ImmutableArray<SetExpr> children)
    {
        Kind = kind;
        var hash = new HashCode();
        hash.Add(kind);
        _kinds = 1 << (int)kind;
        var size = 1L;
        foreach (var child in children)
        {
            hash.Add(child._hash);
            _kinds |= child._kinds;
            size = long.Min(size + child._expandedSize, long.MaxValue / 2); // saturates: a doubling chain overflows long
        }
        _expandedSize = size;
        _hash = hash.ToHashCode();
    }

    /// <summary>
    /// Whether this node or one below it is of <paramref name="kind"/>, without walking the tree: the optimizer
    /// asks this of every set (is a complement or the universe left?), and a walk was most of what optimizing a
    /// cohort cell over already-optimized row and return sets cost.
    /// </summary>
    internal bool Contains(SetKind kind) => (_kinds & (1 << (int)kind)) != 0;

    /// <summary>
    /// The number of nodes in this tree with every shared subtree counted each time it is used: the size the
    /// later stages (binding, optimizing, printing) walk, which can be exponential in the number of distinct nodes
    /// (<c>let x1 = x0 | x0; let x2 = x1 | x1; ...</c>). Kept at construction, as the hash is, so checking it costs
    /// nothing; it saturates instead of overflowing.
    /// </summary>
    internal long ExpandedSize => _expandedSize;

    /// <summary>The node type.</summary>
    public SetKind Kind { get; }

    /// <summary>The node in the text query language; also its identity.</summary>
    // Two threads may print the same node at once; both get the same string, so the race is harmless.
    public string Text => _text ??= Print();

    private string Print()
    {
        var sb = new StringBuilder();
        WriteOperator(sb);
        return sb.ToString();
    }

    /// <summary>
    /// Appends the text: the cached one, or for an operator not printed yet, its operands written in place. Only
    /// the node asked for keeps its text: keeping every intermediate one made printing a chain of n nested
    /// operators (a long <c>let</c> chain) cost n^2 characters.
    /// </summary>
    private protected static void Write(SetExpr node, StringBuilder sb)
    {
        if (node._text is { } text) sb.Append(text);
        else node.WriteOperator(sb);
    }

    /// <summary>Writes an operator node (leaves are printed at construction).</summary>
    private protected virtual void WriteOperator(StringBuilder sb) => throw new InvalidOperationException($"Internal error: a {Kind} node has no text.");

    /// <summary>The operands of an operator node (empty for leaves).</summary>
    public virtual ImmutableArray<SetExpr> Children => [];

    /// <summary>The empty set.</summary>
    public static SetExpr Empty { get; } = new EmptyNode();

    /// <summary>The configured universe (every user the application knows); needed only for a bare complement.</summary>
    public static SetExpr Universe { get; } = new UniverseNode();

    /// <summary><paramref name="eventName"/> in one period.</summary>
    public static SetExpr Event(string eventName, PeriodRef period) =>
        period.Unit == PeriodUnit.Unique ? Unique(eventName) : new EventNode(eventName, period);

    /// <summary><paramref name="eventName"/> in one fixed period.</summary>
    public static SetExpr Event(string eventName, Period period) =>
        period.Unit == PeriodUnit.Unique ? Unique(eventName) : new EventNode(eventName, PeriodRef.Of(period));

    /// <summary><paramref name="eventName"/> over every period from <paramref name="from"/> to <paramref name="to"/> (inclusive).</summary>
    public static SetExpr Range(string eventName, PeriodRef from, PeriodRef to, RangeMode mode = RangeMode.Any) =>
        new EventRangeNode(eventName, from, to, mode);

    /// <summary>The dateless unique flag of <paramref name="eventName"/>.</summary>
    public static SetExpr Unique(string eventName) => new UniqueNode(eventName);

    /// <summary>A literal set of ids, each validated to [0, 2^32).</summary>
    public static SetExpr Ids(IEnumerable<long> ids)
    {
        uint[] members = [.. ids.Select(i => UserIds.Validate(i, nameof(ids))).Distinct().Order()];
        return members.Length == 0 ? Empty : new IdsNode([.. members]);
    }

    /// <summary>
    /// A literal set of external ids, looked up in the store's id map (<see cref="Stores.StoreOptions.IdMap"/>) when the
    /// query runs; repeats removed. Each is checked as <see cref="IdMapping.IdMap.ValidateExternalId"/> does.
    /// </summary>
    public static SetExpr ExternalIds(IEnumerable<string> externalIds)
    {
        ArgumentNullException.ThrowIfNull(externalIds);
        string[] members = [.. externalIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        foreach (var id in members) IdMapping.IdMap.ValidateExternalId(id, nameof(externalIds));
        return members.Length == 0 ? Empty : new ExternalIdsNode([.. members]);
    }

    /// <summary>The literal set of one id, validated to [0, 2^32).</summary>
    public static SetExpr Id(long id) => new IdsNode([UserIds.Validate(id, nameof(id))]);

    /// <summary>A stored key, as is (no prefix added).</summary>
    public static SetExpr Key(string key) => new KeyNode(key);

    /// <summary>A bare event name of a cohort template, which takes each row's (or column's) period when the table is planned.</summary>
    public static SetExpr Template(string eventName) => new TemplateNode(eventName);

    /// <summary>A set-valued parameter, bound at execution.</summary>
    public static SetExpr Parameter(string name) => new ParameterNode(name);

    /// <summary>The intersection of <paramref name="operands"/> (nested intersections are flattened).</summary>
    public static SetExpr And(params IEnumerable<SetExpr> operands) => Nary(SetKind.And, operands);

    /// <summary>The union of <paramref name="operands"/>.</summary>
    public static SetExpr Or(params IEnumerable<SetExpr> operands) => Nary(SetKind.Or, operands);

    /// <summary>Ids in an odd number of <paramref name="operands"/>.</summary>
    public static SetExpr Xor(params IEnumerable<SetExpr> operands) => Nary(SetKind.Xor, operands);

    /// <summary><paramref name="head"/> minus every id in any of <paramref name="subtract"/>.</summary>
    public static SetExpr Diff(SetExpr head, params IEnumerable<SetExpr> subtract)
    {
        var rest = subtract.ToList();
        if (rest.Count == 0) return head;
        // (h - a) - b  =>  h - a - b
        if (head is DiffNode inner) return new DiffNode(inner.Head, [.. inner.Subtract, .. rest]);
        return new DiffNode(head, [.. rest]);
    }

    /// <summary>The complement of <paramref name="operand"/> within the universe.</summary>
    public static SetExpr Not(SetExpr operand) => new NotNode(operand);

    private static SetExpr Nary(SetKind kind, IEnumerable<SetExpr> operands)
    {
        var flat = ImmutableArray.CreateBuilder<SetExpr>();
        foreach (var op in operands)
        {
            ArgumentNullException.ThrowIfNull(op);
            if (op.Kind == kind) flat.AddRange(op.Children);
            else flat.Add(op);
        }
        return flat.Count switch
        {
            0 => kind == SetKind.And
                ? throw new ArgumentException("An intersection needs at least one operand.", nameof(operands))
                : Empty,
            1 => flat[0],
            _ => new NaryNode(kind, flat.ToImmutable()),
        };
    }

    /// <summary>The names of the <c>@parameters</c> this expression uses, each once, in order of first appearance.</summary>
    public IEnumerable<string> ParameterNames() => SelfAndDescendants().OfType<ParameterNode>().Select(p => p.Name).Distinct();

    private IEnumerable<SetExpr> SelfAndDescendants() => Children.SelectMany(c => c.SelfAndDescendants()).Prepend(this);

    /// <summary>This expression with every <c>@parameter</c> that has a value in <paramref name="values"/> replaced by it (the others stay).</summary>
    public SetExpr WithParameters(IReadOnlyDictionary<string, SetExpr> values) =>
        Replace(e => e is ParameterNode p && values.TryGetValue(p.Name, out var value) ? value : null);

    /// <summary>
    /// This expression with every node for which <paramref name="replacement"/> gives a value replaced by it
    /// (top-down; a replaced node's children are not visited). Unchanged subtrees are kept as they are.
    /// </summary>
    internal SetExpr Replace(Func<SetExpr, SetExpr?> replacement)
    {
        if (replacement(this) is { } replaced) return replaced;
        if (Children.IsEmpty) return this;
        var children = Children.Select(c => c.Replace(replacement)).ToArray();
        return children.SequenceEqual(Children, ReferenceEqualityComparer.Instance) ? this : WithChildren([.. children]);
    }

    /// <summary>Rebuilds this node with new children (same kind); leaves return themselves.</summary>
    public abstract SetExpr WithChildren(ImmutableArray<SetExpr> children);

    /// <inheritdoc />
    public bool Equals(SetExpr? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._hash != _hash || other.Kind != Kind) return false;
        if (_text is not null && other._text is not null) return string.Equals(_text, other._text, StringComparison.Ordinal);
        // Operators print as their kind's operator around their children's texts, so equal children in the same
        // order are equal texts, without printing either.
        var (mine, theirs) = (Children, other.Children);
        if (mine.Length != theirs.Length) return false;
        for (var i = 0; i < mine.Length; i++)
            if (!mine[i].Equals(theirs[i])) return false;
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SetExpr);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary>The canonical order of operands: by text, ordinal.</summary>
    public int CompareTo(SetExpr? other) => other is null ? 1 : string.CompareOrdinal(Text, other.Text);

    /// <summary>The text query language form.</summary>
    public override string ToString() => Text;

    /// <summary>Intersection.</summary>
    public static SetExpr operator &(SetExpr a, SetExpr b) => And(a, b);

    /// <summary>Union.</summary>
    public static SetExpr operator |(SetExpr a, SetExpr b) => Or(a, b);

    /// <summary>Symmetric difference.</summary>
    public static SetExpr operator ^(SetExpr a, SetExpr b) => Xor(a, b);

    /// <summary>Difference.</summary>
    public static SetExpr operator -(SetExpr a, SetExpr b) => Diff(a, b);

    /// <summary>Complement within the universe.</summary>
    public static SetExpr operator ~(SetExpr a) => Not(a);

    /// <summary>Two nodes are equal when they print the same.</summary>
    public static bool operator ==(SetExpr? a, SetExpr? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Two nodes differ when they print differently.</summary>
    public static bool operator !=(SetExpr? a, SetExpr? b) => !(a == b);
}

/// <summary>How an event range combines its periods.</summary>
public enum RangeMode
{
    /// <summary>Users with the event in any period of the range (union).</summary>
    Any,
    /// <summary>Users with the event in every period of the range (intersection).</summary>
    All,
}
