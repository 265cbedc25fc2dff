using System.Collections.Immutable;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Trends;

/// <summary>How a trend or a funnel places its rows and windows.</summary>
internal static class Series
{
    /// <summary>
    /// The most template sets one trend or funnel may place. A window of a template of several events is the
    /// template in each of its periods: 1000 rows of a 300-day window of <c>a - b</c> planned for 9 s and took
    /// 1.3 GB; 100 x 100 took 0.5 s and 45 MB. The same bound as a cohort table's cells (<see cref="Cohorts.CohortQuery.MaxCells"/>).
    /// </summary>
    public const int MaxTemplateSets = 100_000;

    /// <summary>
    /// Refuses a statement of <paramref name="rows"/> rows whose windows (a template and its width) place more than
    /// <see cref="MaxTemplateSets"/> sets. A window of one event costs one set: it is a range, covered with the fewest keys.
    /// </summary>
    /// <exception cref="BitmapistQueryException">Too many sets.</exception>
    public static void CheckSize(string what, int rows, IEnumerable<(SetExpr Template, int Window)> windows)
    {
        long perRow = windows.Sum(w => w.Window == 1 || CohortTemplate.IsUnionOfOneEvent(w.Template) ? 1L : w.Window);
        if (rows * perRow > MaxTemplateSets)
            throw new BitmapistQueryException(
                $"This {what} places {rows * perRow:N0} sets ({rows} rows of {perRow:N0}): a template of several events is taken in each period of its window, and the most is {MaxTemplateSets:N0}.",
                "Use fewer rows or a shorter window, or a template of a single event (its window is one range, covered with the fewest keys).");
    }

    /// <summary><paramref name="count"/> periods of <paramref name="unit"/>, oldest first: from <paramref name="from"/>, or ending at the current one.</summary>
    public static ImmutableArray<Period> Rows(PeriodUnit unit, int count, PeriodRef? from, DateTime now)
    {
        var first = from?.Resolve(now) ?? Period.Of(unit, now).Delta(-(count - 1));
        return [.. Enumerable.Range(0, count).Select(first.Delta)];
    }

    /// <summary><paramref name="template"/> in any of the <paramref name="window"/> periods ending at <paramref name="last"/>.</summary>
    public static SetExpr Ending(SetExpr template, Period last, int window) =>
        window == 1 ? CohortTemplate.At(template, last) : CohortTemplate.UnionOver(template, last.Delta(-(window - 1)), last);

    /// <summary><paramref name="template"/> in any of the <paramref name="window"/> periods starting at <paramref name="first"/>.</summary>
    public static SetExpr Starting(SetExpr template, Period first, int window) =>
        window == 1 ? CohortTemplate.At(template, first) : CohortTemplate.UnionOver(template, first, first.Delta(window - 1));
}
