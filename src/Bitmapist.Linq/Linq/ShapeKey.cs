using System.Linq.Expressions;
using System.Text;

namespace Bitmapist.Linq.Linq;

/// <summary>
/// The cache key of a LINQ query: its tree with literals written in and captured values left out, so that
/// the same query run with 10,000 different captured values has one key, and no key holds a value.
/// </summary>
internal sealed class ShapeKey : ExpressionVisitor
{
    // One builder per thread, reused: building the key is on every query's path, and growing a fresh
    // builder each time was most of the bytes a cache hit allocated.
    [ThreadStatic] private static StringBuilder? _cachedBuilder;
    private readonly StringBuilder _sb;

    private ShapeKey()
    {
        _sb = _cachedBuilder ?? new StringBuilder(1024);
        _cachedBuilder = null;
        _sb.Clear();
    }

    /// <summary>
    /// The key, and every node in the visitor's pre-order: the numbering that cache entries use to find
    /// their captured values again, so a hit needs no second walk.
    /// </summary>
    public static (string Key, List<Expression> Nodes) Of(Expression e)
    {
        var v = Walk(e);
        var key = v._sb.ToString();
        v.Release();
        return (key, v._nodes);
    }

    /// <summary>Walks <paramref name="e"/>; read the key with <see cref="Key"/> (no string is made) and call <see cref="Release"/> after.</summary>
    public static ShapeKey Walk(Expression e)
    {
        var v = new ShapeKey();
        v.Visit(e);
        return v;
    }

    /// <summary>The key as characters: a cache lookup needs no string.</summary>
    public ReadOnlySpan<char> Key
    {
        get
        {
            foreach (var chunk in _sb.GetChunks())
                if (chunk.Length == _sb.Length) return chunk.Span; // the usual case: one chunk
            return _sb.ToString();
        }
    }

    /// <summary>The nodes in pre-order.</summary>
    public List<Expression> Nodes => _nodes;

    /// <summary>The key as a string, for storing it.</summary>
    public override string ToString() => _sb.ToString();

    /// <summary>Returns the builder for reuse by the next walk on this thread.</summary>
    public void Release()
    {
        if (_sb.Capacity <= 16 * 1024) _cachedBuilder = _sb;
    }

    private readonly List<Expression> _nodes = new(32);

    public override Expression? Visit(Expression? node)
    {
        if (node is null) return null;
        _nodes.Add(node);
        _sb.Append((int)node.NodeType).Append('(');
        var result = base.Visit(node);
        _sb.Append(')');
        return result;
    }

    protected override Expression VisitConstant(ConstantExpression node)
    {
        switch (node.Value)
        {
            case null: _sb.Append("null"); break;
            case string s: _sb.Append('"').Append(s.Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"'); break;
            case var v when IsLiteralValue(v):
                // Round-trip formats: two values that print alike here would share a template.
                _sb.Append(v.GetType().Name).Append(':').Append(v is DateTime d
                    ? d.ToString("O", System.Globalization.CultureInfo.InvariantCulture)
                    : Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case UserSet set:
                // A set built without LINQ is a literal of the query: its printed form is its identity.
                _sb.Append("set:").Append(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(set.Store)).Append(':').Append(set.ToString());
                break;
            default:
                // A closure or another object: its contents are read at every execution, never keyed.
                _sb.Append('$').Append(node.Type.TypeHandle.Value);
                break;
        }
        return node;
    }

    /// <summary>
    /// A constant written into the key (and so, by the translator, into a cached template): strings, numbers,
    /// dates, enums. The two must agree: a value the key left out must never be baked into a template.
    /// </summary>
    internal static bool IsLiteralValue(object? v) => v is null or string or decimal or DateTime or Enum || v.GetType().IsPrimitive;

    protected override Expression VisitMember(MemberExpression node)
    {
        _sb.Append(node.Member.Module.MetadataToken).Append(':').Append(node.Member.MetadataToken);
        return base.VisitMember(node);
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        _sb.Append(node.Method.MethodHandle.Value); // distinct per method and generic instantiation
        return base.VisitMethodCall(node);
    }

    protected override Expression VisitParameter(ParameterExpression node)
    {
        _sb.Append('p').Append(node.Name);
        return node;
    }

    protected override Expression VisitNew(NewExpression node)
    {
        _sb.Append(node.Type.TypeHandle.Value);
        return base.VisitNew(node);
    }

    protected override Expression VisitUnary(UnaryExpression node)
    {
        _sb.Append(node.Type.TypeHandle.Value);
        return base.VisitUnary(node);
    }
}
