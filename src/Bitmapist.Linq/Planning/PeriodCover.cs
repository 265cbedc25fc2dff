using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// The fewest stored periods whose union is "the event at any time from <c>first</c> to <c>last</c>":
/// whole months as month keys, then ISO weeks that lie inside the range and cover at least two still
/// uncovered days, then single days, then hours at ragged hour edges.
/// </summary>
/// <remarks>
/// Correct because every mark writes month, week and day at once (bitmapist and this library): a month key
/// is exactly the OR of its day keys, a week the OR of its 7 days. Hour keys are written only with hourly
/// tracking on, so a day key is the OR of its 24 hours only then: without it an hour range is its hour keys,
/// one each, and gives the hourly answer rather than a mix of day and hour answers.
/// Keys may overlap (a week crossing into a covered month); a union does not care.
/// FeatureBase covers its time ranges the same way with its year/month/day/hour views.
/// </remarks>
internal static class PeriodCover
{
    /// <summary>The most hour keys an hour range may read when it cannot use day keys (no hourly tracking declared).</summary>
    public const int MaxHourKeys = 100_000;

    /// <summary>Covers the periods <paramref name="first"/>..<paramref name="last"/> (same unit, inclusive).</summary>
    /// <param name="first">The first period.</param>
    /// <param name="last">The last period.</param>
    /// <param name="dayKeysHoldHours">Every mark wrote its hour key too, so whole days of an hour range may be read from day, week and month keys.</param>
    public static IReadOnlyList<Period> Cover(Period first, Period last, bool dayKeysHoldHours = true)
    {
        if (first.Unit != last.Unit) throw new ArgumentException("Both ends of a range must have the same unit.");
        if (last.CompareTo(first) < 0) (first, last) = (last, first);
        if (first.Unit != PeriodUnit.Hour) return CoverDays(first.Start.Date, last.End.Date);

        // Hours: whole days in the middle go to the day cover, ragged ends stay hours. Counted as hour and day
        // numbers since 0001-01-01, so a range that ends in the calendar's last hour never steps past it.
        var result = new List<Period>();
        var startHour = first.Start.Ticks / TimeSpan.TicksPerHour;
        var endHour = last.Start.Ticks / TimeSpan.TicksPerHour; // inclusive
        var firstWholeDay = (startHour + 23) / 24;              // the first day that starts at or after startHour
        var lastWholeDay = (endHour + 1) / 24 - 1;              // the last day that ends at or before endHour
        if (firstWholeDay > lastWholeDay || !dayKeysHoldHours)
        {
            Hours(result, startHour, endHour);
            return result;
        }
        Hours(result, startHour, firstWholeDay * 24 - 1);
        result.AddRange(CoverDays(new DateTime(firstWholeDay * TimeSpan.TicksPerDay), new DateTime(lastWholeDay * TimeSpan.TicksPerDay)));
        Hours(result, (lastWholeDay + 1) * 24, endHour);
        return result;
    }

    private static void Hours(List<Period> result, long from, long to)
    {
        for (var h = from; h <= to; h++) result.Add(Period.Of(PeriodUnit.Hour, new DateTime(h * TimeSpan.TicksPerHour)));
    }

    /// <summary>Covers the whole days <paramref name="firstDay"/>..<paramref name="lastDay"/> inclusive.</summary>
    public static IReadOnlyList<Period> CoverDays(DateTime firstDay, DateTime lastDay)
    {
        var result = new List<Period>();
        var uncovered = new List<DateTime>();
        for (var d = firstDay; d <= lastDay;)
        {
            var monthEnd = new DateTime(d.Year, d.Month, DateTime.DaysInMonth(d.Year, d.Month));
            var wholeMonth = d.Day == 1 && monthEnd <= lastDay;
            if (wholeMonth) result.Add(Period.Month(d.Year, d.Month));
            else uncovered.Add(d);
            var done = wholeMonth ? monthEnd : d;
            if (done >= lastDay) break; // before AddDays: the range may end on 9999-12-31
            d = done.AddDays(1);
        }

        for (var i = 0; i < uncovered.Count;)
        {
            var week = Period.Of(PeriodUnit.Week, uncovered[i]);
            // The calendar's last week ends after 9999-12-31; no mark can be dated past it, so its key is whole.
            var weekLast = week.IsLastOfCalendar ? DateTime.MaxValue.Date : week.Start.AddDays(6);
            var inWeek = 0;
            while (i + inWeek < uncovered.Count && uncovered[i + inWeek] <= weekLast) inWeek++;
            if (week.Start >= firstDay && weekLast <= lastDay && inWeek >= 2)
            {
                result.Add(week);
                i += inWeek;
            }
            else
            {
                result.Add(Period.Of(PeriodUnit.Day, uncovered[i]));
                i++;
            }
        }
        result.Sort();
        return result;
    }
}
