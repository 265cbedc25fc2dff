using System.Collections.Immutable;
using System.Globalization;
using Bitmapist.Linq.Model;
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
        var (rows, from, window) = Options(source, c[4], unit, sets);
        var query = new TrendQuery(template, unit) { Rows = rows, From = from, Window = window ?? 1 };
        var whole = c[5].ChildNodes;
        if (whole.Count > 0)
        {
            var of = new TrendRatio(Templates(sets, () => sets.Set(whole[1])), SetWalker.Unit(whole[3]));
            if (whole[4].ChildNodes is [var keyword, var n]) of = of with { Window = Number(source, keyword.Token, n, TrendQuery.MaxWindow) };
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
        var (rows, from, within) = Options(source, c[4], unit, sets);
        var query = new FunnelQuery(steps, unit) { Rows = rows, From = from, Within = within ?? 1 };
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

    /// <summary>
    /// The options of a trend or a funnel, each at most once: <c>rows N</c>, <c>from X</c>, and the width of its
    /// periods (a trend's <c>window W</c>, a funnel's <c>within W</c>: the grammar allows each only in its statement).
    /// </summary>
    private static (int? Rows, PeriodRef? From, int? Width) Options(string source, ParseTreeNode options, PeriodUnit unit, SetWalker sets)
    {
        var (rows, from, width) = ((int?)null, (PeriodRef?)null, (int?)null);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in StatementWalker.Options(options))
        {
            var keyword = option.ChildNodes[0].Token;
            if (!seen.Add(keyword.Text)) throw SourceError.At(source, keyword.Location, $"'{keyword.Text.ToLowerInvariant()}' is given twice");
            var arg = option.ChildNodes[1];
            switch (keyword.Text.ToLowerInvariant())
            {
                case "rows": rows = Number(source, keyword, arg, TrendQuery.MaxRows); break;
                case "from": from = CohortWalker.Start(arg, unit, sets); break;
                default: width = Number(source, keyword, arg, TrendQuery.MaxWindow); break;
            }
        }
        return (rows, from, width);
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
