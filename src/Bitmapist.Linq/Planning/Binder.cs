using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// Stage 3: turns a query-model expression into one over stored keys. Resolves "now"-relative periods with
/// the context's clock reading, binds parameters, expands a year into its 12 months and a range into the
/// fewest covering keys (<see cref="PeriodCover"/>). The universe node is kept: the optimizer simplifies
/// around it first and substitutes the configured universe only where one is still needed.
/// </summary>
internal static class Binder
{
    public static SetExpr Bind(SetExpr expr, BindContext context) => expr switch
    {
        EventNode e => InCalendar(e, () => Keys(context, e.EventName, e.Period.Resolve(context.Now).StoredPeriods())),
        UniqueNode u => SetExpr.Key(context.Keys.Key(u.EventName, Period.Unique)),
        EventRangeNode r => InCalendar(r, () => BindRange(r, context)),
        ParameterNode p => Bind(LookUp(p, context), context),
        ExternalIdsNode x => BindExternal(x, context),
        TemplateNode t => throw new BitmapistQueryException(
            $"'{t}' has no period: a bare event name is a template that only a cohort table gives a period to.",
            $"Outside a cohort, write a period function like month({t}) or day({t}, -1)."),
        _ when expr.Children.IsEmpty => expr, // ids, keys, empty, universe
        _ => expr.WithChildren([.. expr.Children.Select(c => Bind(c, context))]),
    };

    private static SetExpr BindRange(EventRangeNode r, BindContext context)
    {
        var first = r.From.Resolve(context.Now);
        var last = r.To.Resolve(context.Now);
        if (last.CompareTo(first) < 0) (first, last) = (last, first);
        if (r.Mode == RangeMode.Any)
        {
            if (first.Unit == PeriodUnit.Hour && !context.HourlyTracked && (long)(last.Start - first.Start).TotalHours + 1 is var hours
                && hours > PeriodCover.MaxHourKeys)
                throw new BitmapistQueryException(
                    $"The range {r} spans {hours} hours, and without hourly tracking declared each hour is read as its own key (at most {PeriodCover.MaxHourKeys}).",
                    "Declare hourly tracking in the store options (Tracking = new TrackingOptions(Hourly: true)) when every mark writes hour keys, or use a day range.");
            var cover = PeriodCover.Cover(first, last, dayKeysHoldHours: context.HourlyTracked);
            return Keys(context, r.EventName, cover.SelectMany(p => p.StoredPeriods()));
        }

        // All: one operand per period of the range (a year operand is the OR of its months).
        var operands = new List<SetExpr>();
        for (var p = first; ; p = p.Next())
        {
            operands.Add(Keys(context, r.EventName, p.StoredPeriods()));
            if (operands.Count > 100_000)
                throw new BitmapistQueryException($"The range {r} spans more than 100000 periods.", "Use a coarser unit or a shorter range.");
            if (p.CompareTo(last) >= 0) break; // before Next(): the range may end at the calendar's last period
        }
        return SetExpr.And(operands);
    }

    /// <summary>
    /// Binds a period-bearing node, turning a step off the calendar ("now" plus an offset past 9999, a range
    /// reaching year 0) into an error that quotes the piece of the query, instead of DateTime's message.
    /// </summary>
    private static SetExpr InCalendar(SetExpr node, Func<SetExpr> bind)
    {
        try
        {
            return bind();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new BitmapistQueryException($"{node} cannot be resolved: {e.Message.Split(" (Parameter")[0]}",
                "Use a smaller offset, or a date from 0001-01-01 to 9999-12-31.", e);
        }
    }

    private static SetExpr Keys(BindContext context, string eventName, IEnumerable<Period> periods) =>
        SetExpr.Or(periods.Select(p => SetExpr.Key(context.Keys.Key(eventName, p))));

    /// <summary>The literal of the internal ids the store looked up before planning (an unmapped external id adds nothing).</summary>
    private static SetExpr BindExternal(ExternalIdsNode x, BindContext context) =>
        context.ExternalIds is { } found
            ? SetExpr.Ids(x.Members.Where(found.ContainsKey).Select(e => (long)found[e]))
            : throw new BitmapistQueryException(
                $"{x} names users by external id, which the store looks up in its id map when the query runs; this plan was made without the lookup.",
                "Run the query (CountAsync, ExecuteAsync...) or explain it through the store, which look the ids up first.");

    private static SetExpr LookUp(ParameterNode p, BindContext context) =>
        context.Parameters is not null && context.Parameters.TryGetValue(p.Name, out var value)
            ? value
            : throw new BitmapistQueryException($"The parameter @{p.Name} has no value.", $"Pass a value for '{p.Name}' when running the query.");
}
