using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Cohorts;

/// <summary>Turns a cohort template (an expression with bare event names) into the set of one row or cell.</summary>
internal static class CohortTemplate
{
    /// <summary>The template with every bare event name taken in <paramref name="period"/>.</summary>
    public static SetExpr At(SetExpr template, Period period) =>
        Substitute(template, t => SetExpr.Event(t.EventName, period));

    /// <summary>The template with every bare event name taken over the periods <paramref name="from"/> to <paramref name="to"/> (any of them).</summary>
    public static SetExpr Over(SetExpr template, PeriodRef from, PeriodRef to) =>
        Substitute(template, t => SetExpr.Range(t.EventName, from, to));

    private static SetExpr Substitute(SetExpr expr, Func<TemplateNode, SetExpr> value) =>
        expr.Replace(e => e is TemplateNode t ? value(t) : null);
}
