using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// The fewest stored periods whose union is "the event at any time from <c>first</c> to <c>last</c>":
/// whole months as month keys, then ISO weeks that lie inside the range and cover at least two still
/// uncovered days, then single days, then hours at ragged hour edges.
/// </summary>
/// <remarks>
/// Correct because every mark writes all granularities at once (bitmapist and this library): a month key
/// is exactly the OR of its day keys, a week the OR of its 7 days, a day the OR of its 24 hours (when
/// hourly tracking was on). Keys may overlap (a week crossing into a covered month); a union does not care.
/// FeatureBase covers its time ranges the same way with its year/month/day/hour views.
/// </remarks>
internal static class PeriodCover
{
    /// <summary>Covers the periods <paramref name="first"/>..<paramref name="last"/> (same unit, inclusive).</summary>
    public static IReadOnlyList<Period> Cover(Period first, Period last)
    {
        if (first.Unit != last.Unit) throw new ArgumentException("Both ends of a range must have the same unit.");
        if (last.CompareTo(first) < 0) (first, last) = (last, first);
        if (first.Unit != PeriodUnit.Hour) return CoverDays(first.Start.Date, last.End.Date);

        // Hours: whole days in the middle go to the day cover, ragged ends stay hours.
        var result = new List<Period>();
        var startHour = first.Start;
        var endHour = last.Start; // inclusive
        var firstWholeDay = startHour.Hour == 0 ? startHour.Date : startHour.Date.AddDays(1);
        var lastWholeDay = endHour.Hour == 23 ? endHour.Date : endHour.Date.AddDays(-1);
        if (firstWholeDay > lastWholeDay)
        {
            for (var h = startHour; h <= endHour; h = h.AddHours(1)) result.Add(Period.Of(PeriodUnit.Hour, h));
            return result;
        }
        for (var h = startHour; h < firstWholeDay; h = h.AddHours(1)) result.Add(Period.Of(PeriodUnit.Hour, h));
        result.AddRange(CoverDays(firstWholeDay, lastWholeDay));
        for (var h = lastWholeDay.AddDays(1); h <= endHour; h = h.AddHours(1)) result.Add(Period.Of(PeriodUnit.Hour, h));
        return result;
    }

    /// <summary>Covers the whole days <paramref name="firstDay"/>..<paramref name="lastDay"/> inclusive.</summary>
    public static IReadOnlyList<Period> CoverDays(DateTime firstDay, DateTime lastDay)
    {
        var result = new List<Period>();
        var uncovered = new List<DateTime>();
        for (var d = firstDay; d <= lastDay;)
        {
            var monthEnd = new DateTime(d.Year, d.Month, 1).AddMonths(1).AddDays(-1);
            if (d.Day == 1 && monthEnd <= lastDay)
            {
                result.Add(Period.Month(d.Year, d.Month));
                d = monthEnd.AddDays(1);
            }
            else
            {
                uncovered.Add(d);
                d = d.AddDays(1);
            }
        }

        for (var i = 0; i < uncovered.Count;)
        {
            var week = Period.Of(PeriodUnit.Week, uncovered[i]);
            var weekLast = week.Start.AddDays(6);
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
