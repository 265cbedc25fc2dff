using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using CsCheck;

namespace Bitmapist.Linq.Tests.Planning;

/// <summary>
/// The cover of a range of any unit, compared hour by hour (or day by day) with the range it stands for:
/// the union of the keys must be exactly the range, whatever the ends (hours next to midnight, mid-week,
/// mid-month, across New Year and ISO-year boundaries). The day-range property is in <see cref="PeriodCoverTests"/>.
/// </summary>
public class PeriodCoverPropertyTests
{
    private static readonly int[] EdgeHours = [0, 1, 22, 23];

    private static IEnumerable<DateTime> Hours(Period p)
    {
        for (var h = p.Start; h <= p.End; h = h.AddHours(1)) yield return h;
    }

    private static IEnumerable<DateTime> Days(Period p)
    {
        for (var d = p.Start.Date; d <= p.End; d = d.AddDays(1)) yield return d;
    }

    // An hour anywhere in 2019..2030, or (half the time) one of the hours next to midnight.
    private static readonly Gen<DateTime> AnyHour =
        Gen.Select(Gen.Int[0, 12 * 366], Gen.Int[0, 23], Gen.Int[0, 3], Gen.Bool,
            (day, hour, edge, atEdge) => new DateTime(2019, 1, 1).AddDays(day).AddHours(atEdge ? EdgeHours[edge] : hour));

    [Fact]
    public void Any_hour_range_is_covered_exactly()
    {
        Gen.Select(AnyHour, Gen.Int[0, 24 * 70], Gen.Int[0, 3], Gen.Bool).Sample((first, length, edge, endAtEdge) =>
        {
            var last = first.AddHours(length);
            if (endAtEdge) last = last.Date.AddHours(EdgeHours[edge]);
            if (last < first) last = last.AddDays(1);
            var cover = PeriodCover.Cover(Period.Of(PeriodUnit.Hour, first), Period.Of(PeriodUnit.Hour, last));
            var hours = (int)(last - first).TotalHours + 1;
            var expected = Enumerable.Range(0, hours).Select(i => first.AddHours(i)).ToHashSet();
            var covered = cover.SelectMany(Hours).ToHashSet();
            covered.SetEquals(expected).ShouldBeTrue(
                $"{first:yyyy-MM-dd HH}..{last:yyyy-MM-dd HH}: {string.Join(" ", cover)}; extra {string.Join(" ", covered.Except(expected).Order().Take(3).Select(h => h.ToString("yyyy-MM-dd HH")))}, missing {string.Join(" ", expected.Except(covered).Order().Take(3).Select(h => h.ToString("yyyy-MM-dd HH")))}");
            // Hour keys only at the ragged ends: at most 23 before the first whole day and 23 after the last.
            cover.Count(p => p.Unit == PeriodUnit.Hour).ShouldBeLessThanOrEqualTo(Math.Min(hours, 46));
            cover.Count.ShouldBeLessThanOrEqualTo(hours);
        }, iter: 3000);
    }

    [Fact]
    public void Any_week_month_or_year_range_is_covered_exactly()
    {
        var units = new[] { PeriodUnit.Week, PeriodUnit.Month, PeriodUnit.Year };
        Gen.Select(Gen.Int[0, 12 * 366], Gen.Int[0, 2], Gen.Int[0, 30]).Sample((day, unitIndex, length) =>
        {
            var unit = units[unitIndex];
            var first = Period.Of(unit, new DateTime(2019, 1, 1).AddDays(day));
            var last = first.Delta(unit == PeriodUnit.Year ? length % 3 : length);
            var cover = PeriodCover.Cover(first, last);
            var expected = new HashSet<DateTime>();
            for (var d = first.Start; d <= last.End; d = d.AddDays(1)) expected.Add(d);
            cover.SelectMany(Days).ToHashSet().SetEquals(expected).ShouldBeTrue($"{first}..{last}: {string.Join(" ", cover)}");
            cover.ShouldAllBe(p => p.Unit != PeriodUnit.Hour);
        }, iter: 1000);
    }
}
