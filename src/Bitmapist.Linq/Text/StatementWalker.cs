using System.Globalization;
using Bitmapist.Linq.Query;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Walks a parse tree's statements into <see cref="TextStatement"/>s: one statement node at a time, its sets
/// handed to <see cref="SetWalker"/> and a cohort's parts to <see cref="CohortWalker"/>. A <c>let</c> binds its
/// name for the statements after it.
/// </summary>
internal sealed class StatementWalker(string source, IReadOnlyDictionary<string, SetExpr>? outer)
{
    private static Grammar.QueryGrammar Grammar => ParseDriver.Grammar;

    private readonly SetWalker _sets = new(source, new Dictionary<string, SetExpr>(outer ?? new Dictionary<string, SetExpr>(), StringComparer.Ordinal));
    private int _lets;

    /// <summary>The statements of <paramref name="tree"/>, each with its line.</summary>
    public IReadOnlyList<TextStatement> Program(ParseTree tree)
    {
        var result = new List<TextStatement>();
        foreach (var item in tree.Root.ChildNodes)
        {
            // ';' is punctuation and leaves an empty node.
            if (item.ChildNodes.Count == 0 && item.Term != Grammar.EventsStatement) continue;
            var node = item.Term.Name.StartsWith("Unnamed", StringComparison.Ordinal) ? item.ChildNodes[0] : item;
            result.Add(Statement(node) with { Line = node.Span.Location.Line + 1 });
        }
        return result;
    }

    private TextStatement Statement(ParseTreeNode node)
    {
        var c = node.ChildNodes;
        if (node.Term == Grammar.CountStatement) return new QueryStatement(new SetQuery(_sets.Set(c[1]), ReadKind.Count));
        if (node.Term == Grammar.BareStatement) return new QueryStatement(new SetQuery(_sets.Set(c[0]), ReadKind.Count), IsBare: true);
        if (node.Term == Grammar.InStatement)
            return _sets.ExternalId(c[0]) is { } externalId
                ? QueryStatement.Contains(_sets.Set(c[2]), externalId)
                : new QueryStatement(new SetQuery(_sets.Set(c[2]), ReadKind.Contains, _sets.Id(c[0])));
        if (node.Term == Grammar.PercentStatement) return new PercentStatement(_sets.Set(c[1]), _sets.Set(c[3]));
        if (node.Term == Grammar.ExplainStatement) return new ExplainStatement(Statement(c[1]) with { Line = c[1].Span.Location.Line + 1 });
        if (node.Term == Grammar.CohortStatement) return new CohortStatement(CohortWalker.Cohort(source, c, _sets));
        if (node.Term == Grammar.TrendStatement) return new TrendStatement(SeriesWalker.Trend(source, c, _sets));
        if (node.Term == Grammar.FunnelStatement) return new FunnelStatement(SeriesWalker.Funnel(source, c, _sets));
        if (node.Term == Grammar.EventsStatement) return new EventsStatement(c.Count > 1 ? SetWalker.NameOf(c[1]) : "");
        if (node.Term == Grammar.DescribeStatement) return new Statements.DescribeStatement(SetWalker.NameOf(c[1]));
        if (node.Term == Grammar.LetStatement)
        {
            if (++_lets > TextQuery.MaxLets)
                throw SourceError.At(source, node.Span.Location, $"more than {TextQuery.MaxLets} let statements in one query; split the script, or combine steps into one set");
            var name = c[1].Token.Text;
            var set = _sets.Set(c[2]);
            _sets.Bind(name, set);
            return new LetStatement(name, set);
        }
        if (node.Term == Grammar.IdsStatement) return Ids(c);
        throw new InvalidOperationException($"Unexpected statement node {node.Term.Name}.");
    }

    /// <summary><c>ids SET [limit N] [after ID]</c>: the options in either order, each at most once.</summary>
    private QueryStatement Ids(ParseTreeNodeList c)
    {
        int? limit = null;
        uint first = 0;
        var set = _sets.Set(c[1]);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in Options(c[2]))
        {
            var keyword = option.ChildNodes[0].Token;
            if (!seen.Add(keyword.Text)) throw SourceError.At(source, keyword.Location, $"'{keyword.Text.ToLowerInvariant()}' is given twice");
            if (keyword.Text.Equals("limit", StringComparison.OrdinalIgnoreCase))
            {
                var n = option.ChildNodes[1].Token;
                limit = int.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0
                    ? l : throw SourceError.At(source, n.Location, $"expected a positive number like 10 after limit, found '{n.Text}'");
                continue;
            }
            var after = _sets.Id(option.ChildNodes[1]);
            // No id comes after the largest one: the next page is empty, as a page past the last member is.
            if (after == uint.MaxValue) set = SetExpr.Empty;
            else first = after + 1;
        }
        return new QueryStatement(new SetQuery(set, ReadKind.Ids, first), limit);
    }

    /// <summary>The options of a left-recursive list (a cohort's or ids' options: options = options option | empty), in order.</summary>
    public static IEnumerable<ParseTreeNode> Options(ParseTreeNode options)
    {
        var stack = new Stack<ParseTreeNode>();
        while (options.ChildNodes.Count == 2)
        {
            stack.Push(options.ChildNodes[1]);
            options = options.ChildNodes[0];
        }
        return stack;
    }
}
