using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Cohorts;

/// <summary>
/// Turns a template (an expression with bare event names: a cohort's sets, a trend's, a funnel's steps) into the
/// set of one row or cell.
/// </summary>
internal static class CohortTemplate
{
    /// <summary>The most periods a union over periods may take when the template is not a simple union (see <see cref="UnionOver"/>).</summary>
    public const int MaxUnionPeriods = 1000;

    /// <summary>The template with every bare event name taken in <paramref name="period"/>.</summary>
    public static SetExpr At(SetExpr template, Period period) =>
        Substitute(template, t => SetExpr.Event(t.EventName, period));

    /// <summary>The template with every bare event name taken over the periods <paramref name="from"/> to <paramref name="to"/> (any of them).</summary>
    public static SetExpr Over(SetExpr template, PeriodRef from, PeriodRef to) =>
        Substitute(template, t => SetExpr.Range(t.EventName, from, to));

    private static SetExpr Substitute(SetExpr expr, Func<TemplateNode, SetExpr> value) =>
        expr.Replace(e => e is TemplateNode t ? value(t) : null);

    /// <summary>
    /// Users for whom <paramref name="template"/> holds in some period from <paramref name="from"/> to
    /// <paramref name="to"/>. When the template has one bare event name, reached only through and, or and the
    /// head of a difference, that union is the template with the event taken over the whole range (one range,
    /// covered with the fewest keys); otherwise it is the union of the template in each period.
    /// </summary>
    /// <exception cref="BitmapistQueryException">The template needs one set per period, and there are more than <see cref="MaxUnionPeriods"/>.</exception>
    public static SetExpr UnionOver(SetExpr template, Period from, Period to)
    {
        if (IsUnionOfOneEvent(template)) return Over(template, PeriodRef.Of(from), PeriodRef.Of(to));
        var periods = new List<SetExpr>();
        for (var p = from; p.CompareTo(to) <= 0; p = p.Next())
        {
            if (periods.Count == MaxUnionPeriods)
                throw new BitmapistQueryException(
                    $"The template {template} combines several events, so a union over periods takes one set per period, and {from}..{to} has more than {MaxUnionPeriods}.",
                    "Use a coarser grouping, a later 'since' or a shorter window, or a template with a single event.");
            periods.Add(At(template, p));
        }
        return SetExpr.Or(periods);
    }

    /// <summary>True when <paramref name="template"/> has one bare event name, reached only through and, or and the head of a difference: its union over periods is one range.</summary>
    public static bool IsUnionOfOneEvent(SetExpr template)
    {
        var templates = 0;
        bool Walk(SetExpr e, bool monotone)
        {
            if (e is TemplateNode)
            {
                templates++;
                return monotone;
            }
            return e switch
            {
                DiffNode d => Walk(d.Head, monotone) && d.Subtract.All(s => Walk(s, false)),
                { Kind: SetKind.And or SetKind.Or } => e.Children.All(c => Walk(c, monotone)),
                _ => e.Children.All(c => Walk(c, false)),
            };
        }
        return Walk(template, true) && templates == 1;
    }
}
