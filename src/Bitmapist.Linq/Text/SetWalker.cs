using System.Globalization;
using System.Text.RegularExpressions;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Walks set nodes of a parse tree into <see cref="SetExpr"/>s, with their arguments: event names, user ids,
/// units, dates (read by <see cref="Period.TryParse(string?, out Period, out string?)"/>) and offsets. Holds the
/// names bound by <c>let</c> so far, and whether a bare name is a cohort's template.
/// </summary>
internal sealed partial class SetWalker(string source, Dictionary<string, SetExpr> names)
{
    private static Grammar.QueryGrammar Grammar => ParseDriver.Grammar;

    /// <summary>In a cohort's sets, a bare name not bound by let is a template: the event in the row's (or cell's) period.</summary>
    public bool Templates { get; set; }

    /// <summary>Binds a <c>let</c> name for the sets walked after.</summary>
    public void Bind(string name, SetExpr set) => names[name] = set;

    /// <summary>The set of a set node, checked against <see cref="TextQuery.MaxExpandedNodes"/>.</summary>
    public SetExpr Set(ParseTreeNode node)
    {
        SetExpr set;
        try
        {
            set = Build(node);
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            // The model refuses what the grammar allows (an empty event name, an id out of range...).
            var message = e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
            throw SourceError.At(source, node.Span.Location, message.TrimEnd('.'));
        }
        // Checked at every node, inner first, so the caret is at the first set over and nothing larger is built.
        if (set.ExpandedSize > TextQuery.MaxExpandedNodes)
            throw SourceError.At(source, node.Span.Location,
                $"this set has more than {TextQuery.MaxExpandedNodes} nodes once each let name in it is replaced by its set ({(set.ExpandedSize >= long.MaxValue / 2 ? "far more" : set.ExpandedSize)}), and larger ones are refused because planning walks every copy; a name used twice in each step of a let chain doubles the size at each step: use each name once, or store the intermediate set as an event");
        return set;
    }

    private SetExpr Build(ParseTreeNode node)
    {
        var c = node.ChildNodes;
        if (node.Term == Grammar.Binary)
        {
            var kind = OperatorKind(c[1]);
            var operands = new List<SetExpr>();
            Chain(c[0], kind, operands);
            operands.Add(Set(c[2]));
            return kind == SetKind.Diff
                ? new DiffNode(operands[0], [.. operands.Skip(1)])
                : new NaryNode(kind, [.. operands]);
        }
        if (node.Term == Grammar.Unary) return SetExpr.Not(Set(c[1]));
        if (node.Term == Grammar.Parenthesized) return Set(c[0]);
        if (node.Term == Grammar.PeriodCall)
        {
            var unit = Unit(c[0]);
            var name = NameOf(c[1]);
            if (c.Count == 2) return SetExpr.Event(name, PeriodRef.Relative(unit));
            var arg = c[2];
            if (arg.Term == Grammar.PeriodRange)
                return SetExpr.Range(name, Value(arg.ChildNodes[0], unit), Value(arg.ChildNodes[1], unit));
            return SetExpr.Event(name, Value(arg, unit));
        }
        if (node.Term == Grammar.AllCall)
        {
            var unit = Unit(c[1]);
            var range = c[3];
            return SetExpr.Range(NameOf(c[2]), Value(range.ChildNodes[0], unit), Value(range.ChildNodes[1], unit), RangeMode.All);
        }
        if (node.Term == Grammar.UniqueCall) return SetExpr.Unique(NameOf(c[1]));
        if (node.Term == Grammar.KeyCall) return SetExpr.Key((string)c[1].Token.Value);
        if (node.Term == Grammar.During)
        {
            var range = c[2];
            var from = Date(range.ChildNodes[0]);
            var to = Date(range.ChildNodes[1]);
            if (from.Unit != to.Unit)
                throw SourceError.At(source, range.ChildNodes[1].Span.Location, $"expected a {Describe(from.Unit)} like {Example(from.Unit)} to end the range, found '{Token(range.ChildNodes[1]).Text}'");
            return SetExpr.Range(NameOf(c[0]), PeriodRef.Of(from), PeriodRef.Of(to));
        }
        if (node.Term == Grammar.IdSet)
        {
            if (c[0].ChildNodes.Count > TextQuery.MaxLiteralIds)
                throw SourceError.At(source, c[0].ChildNodes[TextQuery.MaxLiteralIds].Span.Location,
                    $"the set lists {c[0].ChildNodes.Count} ids, and a literal set holds at most {TextQuery.MaxLiteralIds} (the first one over is here); keep large id sets in the store: mark or import them as an event and use its name");
            return Literal(c[0].ChildNodes);
        }
        if (node.Term == Grammar.Universe) return SetExpr.Universe;
        if (node.Term == Grammar.ParameterRef) return SetExpr.Parameter(c[0].Token.Text[1..]);
        if (node.Term == Grammar.NameRef)
        {
            var token = c[0].Token;
            if (token.Terminal == Grammar.Quoted)
                return Templates ? new TemplateNode((string)token.Value)
                    : throw SourceError.At(source, token.Location, $"{token.Text} is not a set: write a period function like month({token.Text})");
            return names.TryGetValue(token.Text, out var bound)
                ? bound
                : Templates ? new TemplateNode(token.Text)
                : throw SourceError.At(source, token.Location,
                    $"'{token.Text}' is not a set: write a period function like month({token.Text}), or define it first with let {token.Text} = ...");
        }
        throw new InvalidOperationException($"Unexpected set node {node.Term.Name}.");
    }

    /// <summary>Operands of a chain of one operator written without parentheses (left-associative).</summary>
    private void Chain(ParseTreeNode node, SetKind kind, List<SetExpr> operands)
    {
        // Iterative down the left spine: a long chain never deepens the stack.
        var rights = new Stack<ParseTreeNode>();
        while (node.Term == Grammar.Binary && OperatorKind(node.ChildNodes[1]) == kind)
        {
            rights.Push(node.ChildNodes[2]);
            node = node.ChildNodes[0];
        }
        operands.Add(Set(node));
        while (rights.Count > 0) operands.Add(Set(rights.Pop()));
    }

    private static SetKind OperatorKind(ParseTreeNode op) => op.Token.Text.ToLowerInvariant() switch
    {
        "or" or "|" => SetKind.Or,
        "xor" or "^" => SetKind.Xor,
        "and" or "&" => SetKind.And,
        _ => SetKind.Diff,
    };

    /// <summary>An event name, bare or quoted.</summary>
    public static string NameOf(ParseTreeNode node)
    {
        if (node.Term == Grammar.EventName) node = node.ChildNodes[0];
        return node.Term == Grammar.Quoted ? (string)node.Token.Value : node.Token.Text;
    }

    /// <summary>
    /// A literal set's members: numbers are internal ids, quoted ones external ids (looked up in the store's id map
    /// when the query runs). Mixed, it is the union of the two literals, <c>({'alice'} | {1})</c>, which prints and
    /// reads back as itself.
    /// </summary>
    private SetExpr Literal(ParseTreeNodeList members)
    {
        var ids = new List<long>();
        var external = new List<string>();
        foreach (var member in members)
        {
            if (ExternalId(member) is { } x) external.Add(x);
            else ids.Add(Id(member));
        }
        var numbers = SetExpr.Ids(ids);
        if (external.Count == 0) return numbers;
        var named = SetExpr.ExternalIds(external);
        return ids.Count == 0 ? named : SetExpr.Or(numbers, named);
    }

    /// <summary>
    /// The external id of a member node (<c>'alice'</c>), checked as the id map checks it (the caret at the member);
    /// null for a number.
    /// </summary>
    public string? ExternalId(ParseTreeNode member)
    {
        while (member.ChildNodes.Count == 1 && member.Token is null) member = member.ChildNodes[0];
        if (member.Term != Grammar.Quoted) return null;
        var token = member.Token;
        var id = (string)token.Value;
        try
        {
            IdMapping.IdMap.ValidateExternalId(id, "id");
        }
        catch (ArgumentException e)
        {
            throw SourceError.At(source, token.Location, e.Message.Replace(" (Parameter 'id')", "", StringComparison.Ordinal).TrimEnd('.'));
        }
        return id;
    }

    /// <summary>A user id (0 to 2^32 - 1).</summary>
    public uint Id(ParseTreeNode userId)
    {
        while (userId.ChildNodes.Count == 1 && userId.Token is null) userId = userId.ChildNodes[0];
        var token = userId.Token;
        return uint.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : throw SourceError.At(source, token.Location, $"expected a user id like 42 (0 to {uint.MaxValue}), found '{token.Text}'");
    }

    /// <summary>The unit of a unit node (<c>year</c> ... <c>hour</c>).</summary>
    public static PeriodUnit Unit(ParseTreeNode unit) => unit.ChildNodes[0].Token.Text.ToLowerInvariant() switch
    {
        "year" => PeriodUnit.Year,
        "month" => PeriodUnit.Month,
        "week" => PeriodUnit.Week,
        "day" => PeriodUnit.Day,
        _ => PeriodUnit.Hour,
    };

    /// <summary>The token of a value node (a number, a date or an offset).</summary>
    public static Token Token(ParseTreeNode value) => value.ChildNodes.Count > 0 ? value.ChildNodes[0].Token : value.Token;

    /// <summary>A period argument of a <paramref name="unit"/> function: a date of that unit or an offset.</summary>
    private PeriodRef Value(ParseTreeNode value, PeriodUnit unit)
    {
        if (RelativeOffset(value, unit) is { } relative) return relative;
        var token = Token(value);
        var period = Date(value);
        return period.Unit == unit
            ? PeriodRef.Of(period)
            : throw SourceError.At(source, token.Location,
                $"expected a {Describe(unit)} like {Example(unit)} or an offset like -1, found the {Describe(period.Unit)} {token.Text}");
    }

    /// <summary>The value as an offset from the current period (any integer but a four-digit year), or null for a date.</summary>
    public PeriodRef? RelativeOffset(ParseTreeNode value, PeriodUnit unit)
    {
        var token = Token(value);
        if (!Offset().IsMatch(token.Text) || (token.Text.Length == 4 && char.IsAsciiDigit(token.Text[0]))) return null;
        // An offset wider than the calendar can never resolve, whatever "now" is: say so here, with a caret.
        return int.TryParse(token.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var offset)
               && Math.Abs((long)offset) <= Period.MaxOffset(unit)
            ? PeriodRef.Relative(unit, offset)
            : throw SourceError.At(source, token.Location,
                $"the offset {token.Text} is too large: {Describe(unit)} offsets run from -{Period.MaxOffset(unit)} to +{Period.MaxOffset(unit)} (the calendar's years 1 to 9999)");
    }

    /// <summary>A date: <c>2026</c>, <c>2026-11</c>, <c>2026-W48</c>, <c>2026-11-28</c>, <c>2026-11-28T14</c>.</summary>
    public Period Date(ParseTreeNode value)
    {
        var token = Token(value);
        if (Period.TryParse(token.Text, out var period, out var problem) && period.Unit != PeriodUnit.Unique) return period;
        throw SourceError.At(source, token.Location,
            problem is null ? $"expected a date like 2026-11-28, found '{token.Text}'" : $"{token.Text} is not a valid date");
    }

    private static string Describe(PeriodUnit unit) => unit.ToString().ToLowerInvariant();

    private static string Example(PeriodUnit unit) => unit switch
    {
        PeriodUnit.Year => "2026",
        PeriodUnit.Month => "2026-11",
        PeriodUnit.Week => "2026-W48",
        PeriodUnit.Day => "2026-11-28",
        _ => "2026-11-28T14",
    };

    [GeneratedRegex(@"^[+-]?[0-9]+$")]
    private static partial Regex Offset();
}
