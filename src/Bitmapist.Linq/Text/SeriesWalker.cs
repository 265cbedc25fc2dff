using System.Collections.Immutable;
using System.Globalization;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Trends;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Walks a trend (<c>trend SET by UNIT [options] [of SET by UNIT [window W]]</c>) or a funnel
/// (<c>funnel SET then SET ... by UNIT [options]</c>) into its query: the sets (where a bare name is a template, as
/// in a cohort), the unit, and each option at most once, checked with a caret.
/// </summary>
internal static class SeriesWalker
{
    /// <summary>The trend query of a trend statement's children <paramref name="c"/>.</summary>
    public static TrendQuery Trend(string source, ParseTreeNodeList c, SetWalker sets)
    {
        var template = Templates(sets, () => sets.Set(c[1]));
        var unit = SetWalker.Unit(c[3]);
        var query = new TrendQuery(template, unit);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in StatementWalker.Options(c[4]))
        {
            var (keyword, arg) = Option(source, option, seen);
            query = keyword.Text.ToLowerInvariant() switch
            {
                "rows" => query with { Rows = Number(source, keyword, arg, TrendQuery.MaxRows) },
                "from" => query with { From = CohortWalker.Start(arg, unit, sets) },
                _ => query with { Window = Number(source, keyword, arg, TrendQuery.MaxWindow) },
            };
        }
        var whole = c[5].ChildNodes;
        if (whole.Count > 0)
        {
            var of = new TrendRatio(Templates(sets, () => sets.Set(whole[1])), SetWalker.Unit(whole[3]));
            if (whole[4].ChildNodes is [var window, var n]) of = of with { Window = Number(source, window.Token, n, TrendQuery.MaxWindow) };
            query = query with { Of = of };
        }
        return Checked(source, c[0], query.Validate, query);
    }

    /// <summary>The funnel query of a funnel statement's children <paramref name="c"/>.</summary>
    public static FunnelQuery Funnel(string source, ParseTreeNodeList c, SetWalker sets)
    {
        // The list keeps its "then" words: the steps are the other children.
        var stepNodes = c[1].ChildNodes.Where(n => n.Term is not KeyTerm).ToList();
        var steps = Templates(sets, () => stepNodes.Select(sets.Set).ToImmutableArray());
        if (steps.Length < 2)
            throw SourceError.At(source, c[2].Span.Location, "expected 'then' and a second step before 'by': a funnel has two steps at least");
        if (steps.Length > FunnelQuery.MaxSteps)
            throw SourceError.At(source, stepNodes[FunnelQuery.MaxSteps].Span.Location, $"a funnel has at most {FunnelQuery.MaxSteps} steps");
        var unit = SetWalker.Unit(c[3]);
        var query = new FunnelQuery(steps, unit);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in StatementWalker.Options(c[4]))
        {
            var (keyword, arg) = Option(source, option, seen);
            query = keyword.Text.ToLowerInvariant() switch
            {
                "rows" => query with { Rows = Number(source, keyword, arg, TrendQuery.MaxRows) },
                "from" => query with { From = CohortWalker.Start(arg, unit, sets) },
                _ => query with { Within = Number(source, keyword, arg, TrendQuery.MaxWindow) },
            };
        }
        return Checked(source, c[0], query.Validate, query);
    }

    /// <summary>Walks sets with bare names read as templates.</summary>
    private static T Templates<T>(SetWalker sets, Func<T> walk)
    {
        sets.Templates = true;
        try
        {
            return walk();
        }
        finally
        {
            sets.Templates = false;
        }
    }

    private static (Token Keyword, ParseTreeNode Arg) Option(string source, ParseTreeNode option, HashSet<string> seen)
    {
        var keyword = option.ChildNodes[0].Token;
        if (!seen.Add(keyword.Text)) throw SourceError.At(source, keyword.Location, $"'{keyword.Text.ToLowerInvariant()}' is given twice");
        return (keyword, option.ChildNodes[1]);
    }

    private static int Number(string source, Token keyword, ParseTreeNode arg, int max)
    {
        var t = SetWalker.Token(arg);
        return int.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= max
            ? n : throw SourceError.At(source, t.Location, $"expected a number from 1 to {max} after {keyword.Text.ToLowerInvariant()}, found '{t.Text}'");
    }

    /// <summary>The same rules the planner applies, reported with a caret at the statement.</summary>
    private static T Checked<T>(string source, ParseTreeNode statement, Action validate, T query)
    {
        try
        {
            validate();
        }
        catch (BitmapistQueryException e)
        {
            throw SourceError.At(source, statement.Span.Location, e.Message.TrimEnd('.'));
        }
        return query;
    }
}
