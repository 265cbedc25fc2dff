using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Query;

// The concrete node types. A leaf prints at construction, an operator when its text is first asked for (SetExpr).

/// <summary>An event in one period.</summary>
public sealed class EventNode(string eventName, PeriodRef period)
    : SetExpr(SetKind.Event, Print(eventName, period))
{
    /// <summary>The event name.</summary>
    public string EventName { get; } = eventName;

    /// <summary>The period, fixed or relative to now.</summary>
    public PeriodRef Period { get; } = period;

    internal static string Print(string eventName, PeriodRef period)
    {
        KeyScheme.ValidateEventName(eventName);
        if (period.Unit == PeriodUnit.Unique)
            throw new ArgumentException("A unique flag has no period: use SetExpr.Unique(name).", nameof(period));
        var arg = period.ArgumentText;
        return $"{PeriodRef.FunctionName(period.Unit)}({TextSyntax.Name(eventName)}{(arg.Length > 0 ? ", " + arg : "")})";
    }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>An event over an inclusive range of periods of one unit.</summary>
public sealed class EventRangeNode(string eventName, PeriodRef from, PeriodRef to, RangeMode mode)
    : SetExpr(SetKind.EventRange, Print(eventName, from, to, mode))
{
    /// <summary>The event name.</summary>
    public string EventName { get; } = eventName;

    /// <summary>The first period of the range.</summary>
    public PeriodRef From { get; } = from;

    /// <summary>The last period of the range (inclusive).</summary>
    public PeriodRef To { get; } = to;

    /// <summary>Union or intersection of the periods.</summary>
    public RangeMode Mode { get; } = mode;

    private static string Print(string eventName, PeriodRef from, PeriodRef to, RangeMode mode)
    {
        KeyScheme.ValidateEventName(eventName);
        if (from.Unit != to.Unit)
            throw new ArgumentException($"A range needs both ends in the same unit, not {from.Unit} and {to.Unit}.", nameof(to));
        if (from.Unit == PeriodUnit.Unique)
            throw new ArgumentException("A unique flag has no periods to range over.", nameof(from));
        // Relative ends always carry a sign (or are 0), so "+1000" never reads back as the year 1000.
        static string End(PeriodRef p) => p.IsRelative ? p.Offset.ToString("+0;-0;0", CultureInfo.InvariantCulture) : p.ArgumentText;
        var all = mode == RangeMode.All ? "all " : "";
        return $"{all}{PeriodRef.FunctionName(from.Unit)}({TextSyntax.Name(eventName)}, {End(from)}..{End(to)})";
    }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>
/// A cohort template: <see cref="EventName"/> in the period a cohort table gives it (the row's period in the
/// cohort set, row + column in the return set). It prints as the bare name; only a cohort instantiates it.
/// </summary>
public sealed class TemplateNode(string eventName) : SetExpr(SetKind.Template, Print(eventName))
{
    /// <summary>The event name.</summary>
    public string EventName { get; } = eventName;

    private static string Print(string eventName)
    {
        KeyScheme.ValidateEventName(eventName);
        return TextSyntax.Name(eventName);
    }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>A dateless unique flag.</summary>
public sealed class UniqueNode(string eventName) : SetExpr(SetKind.Unique, Print(eventName))
{
    /// <summary>The event name.</summary>
    public string EventName { get; } = eventName;

    private static string Print(string eventName)
    {
        KeyScheme.ValidateEventName(eventName);
        return $"unique({TextSyntax.Name(eventName)})";
    }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>A literal, sorted, duplicate-free set of ids: made by <see cref="SetExpr.Ids"/>, which sorts and de-duplicates.</summary>
public sealed class IdsNode : SetExpr
{
    /// <param name="ids">Ascending and distinct: the printer, the plan cache's keys and the literal steps rely on it.</param>
    internal IdsNode(ImmutableArray<uint> ids)
        : base(SetKind.Ids, ids.IsDefaultOrEmpty
            ? throw new ArgumentException("An empty literal is SetExpr.Empty.", nameof(ids))
            : "{" + string.Join(", ", ids) + "}")
    {
        for (var i = 1; i < ids.Length; i++)
            if (ids[i - 1] >= ids[i]) throw new ArgumentException("A literal's ids must be ascending and distinct; SetExpr.Ids sorts them.", nameof(ids));
        Members = ids;
    }

    /// <summary>The ids, ascending.</summary>
    public ImmutableArray<uint> Members { get; }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>
/// A literal set of external ids (<c>{'alice', 'bob'}</c>): users named by the store's id map
/// (<see cref="Stores.StoreOptions.IdMap"/>), looked up when the query runs and bound to the literal of their internal
/// ids. An external id with no internal id is in no set, so it adds nothing.
/// </summary>
public sealed class ExternalIdsNode : SetExpr
{
    /// <param name="ids">Distinct and in ordinal order: the printer and the plan cache rely on it.</param>
    internal ExternalIdsNode(ImmutableArray<string> ids)
        : base(SetKind.ExternalIds, ids.IsDefaultOrEmpty
            ? throw new ArgumentException("An empty literal is SetExpr.Empty.", nameof(ids))
            : "{" + string.Join(", ", ids.Select(TextSyntax.Quote)) + "}")
    {
        Members = ids;
    }

    /// <summary>The external ids, in ordinal order.</summary>
    public ImmutableArray<string> Members { get; }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>The configured universe.</summary>
public sealed class UniverseNode() : SetExpr(SetKind.Universe, "users")
{
    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>The empty set (prints as <c>{}</c>, the empty literal).</summary>
public sealed class EmptyNode() : SetExpr(SetKind.Empty, "{}")
{
    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>A stored key, named as is.</summary>
public sealed class KeyNode(string key) : SetExpr(SetKind.Key, $"key({TextSyntax.Quote(key)})")
{
    /// <summary>The full Redis key.</summary>
    public string StoredKey { get; } = key;

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>A set-valued parameter.</summary>
public sealed class ParameterNode(string name) : SetExpr(SetKind.Parameter, "@" + TextSyntax.ParameterName(name))
{
    /// <summary>The parameter name (without <c>@</c>).</summary>
    public string Name { get; } = name;

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => this;
}

/// <summary>And, Or or Xor over two or more operands.</summary>
public sealed class NaryNode : SetExpr
{
    internal NaryNode(SetKind kind, ImmutableArray<SetExpr> operands)
        : base(kind, operands)
    {
        if (kind is not (SetKind.And or SetKind.Or or SetKind.Xor)) throw new ArgumentOutOfRangeException(nameof(kind));
        Children = operands;
    }

    private protected override void WriteOperator(StringBuilder sb)
    {
        var op = Kind switch { SetKind.And => " & ", SetKind.Or => " | ", _ => " ^ " };
        sb.Append('(');
        for (var i = 0; i < Children.Length; i++)
        {
            if (i > 0) sb.Append(op);
            Write(Children[i], sb);
        }
        sb.Append(')');
    }

    /// <inheritdoc />
    public override ImmutableArray<SetExpr> Children { get; }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) =>
        children.Length switch
        {
            0 => Kind == SetKind.And ? Universe : Empty,
            1 => children[0],
            _ => new NaryNode(Kind, children),
        };
}

/// <summary>A head set minus one or more subtracted sets.</summary>
public sealed class DiffNode : SetExpr
{
    internal DiffNode(SetExpr head, ImmutableArray<SetExpr> subtract)
        : base(SetKind.Diff, [head, .. subtract])
    {
        Head = head;
        Subtract = subtract;
        Children = [head, .. subtract];
    }

    private protected override void WriteOperator(StringBuilder sb)
    {
        sb.Append('(');
        Write(Head, sb);
        foreach (var s in Subtract)
        {
            sb.Append(" - ");
            Write(s, sb);
        }
        sb.Append(')');
    }

    /// <summary>The set subtracted from.</summary>
    public SetExpr Head { get; }

    /// <summary>The sets whose members are removed.</summary>
    public ImmutableArray<SetExpr> Subtract { get; }

    /// <inheritdoc />
    public override ImmutableArray<SetExpr> Children { get; }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) =>
        children.Length == 1 ? children[0] : new DiffNode(children[0], children[1..]);
}

/// <summary>The complement of a set within the universe.</summary>
public sealed class NotNode : SetExpr
{
    internal NotNode(SetExpr operand) : base(SetKind.Not, [operand])
    {
        Operand = operand;
        Children = [operand];
    }

    /// <summary>The complemented set.</summary>
    public SetExpr Operand { get; }

    private protected override void WriteOperator(StringBuilder sb)
    {
        sb.Append('~');
        Write(Operand, sb);
    }

    /// <inheritdoc />
    public override ImmutableArray<SetExpr> Children { get; }

    /// <inheritdoc />
    public override SetExpr WithChildren(ImmutableArray<SetExpr> children) => new NotNode(children[0]);
}
