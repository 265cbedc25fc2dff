using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using CsCheck;

namespace Bitmapist.Linq.Tests.Planning;

public class PeriodCoverTests
{
    private static HashSet<DateTime> Days(IEnumerable<Period> periods) =>
        [.. periods.SelectMany(p => Enumerable.Range(0, (int)(p.End.Date - p.Start.Date).TotalDays + 1).Select(i => p.Start.Date.AddDays(i)))];

    [Fact]
    public void Three_whole_months_are_three_month_keys()
    {
        var cover = PeriodCover.Cover(Period.Day(2026, 1, 1), Period.Day(2026, 3, 31));
        cover.ShouldBe([Period.Month(2026, 1), Period.Month(2026, 2), Period.Month(2026, 3)]);
    }

    [Fact]
    public void Ragged_edges_use_weeks_then_days()
    {
        // 2026-01-03 (Sat) .. 2026-03-05 (Thu): Jan 3-4 days (their week starts before the range), Jan 5.. weeks,
        // February whole, March 1 a day (Sunday, week starts in Feb), Mar 2-5 days (week ends after the range).
        var cover = PeriodCover.Cover(Period.Day(2026, 1, 3), Period.Day(2026, 3, 5));
        Days(cover).SetEquals(Days(Enumerable.Range(0, 62).Select(i => Period.Of(PeriodUnit.Day, new DateTime(2026, 1, 3).AddDays(i))))).ShouldBeTrue();
        cover.ShouldContain(Period.Month(2026, 2));
        cover.Count(p => p.Unit == PeriodUnit.Week).ShouldBe(4); // W2 .. W5 of 2026 (Jan 5 .. Feb 1)
        cover.Count.ShouldBeLessThan(15);
    }

    [Fact]
    public void Hours_cover_whole_days_with_day_keys()
    {
        var cover = PeriodCover.Cover(Period.Hour(2026, 11, 27, 22), Period.Hour(2026, 11, 29, 1));
        cover.ShouldBe([Period.Day(2026, 11, 28), Period.Hour(2026, 11, 27, 22), Period.Hour(2026, 11, 27, 23), Period.Hour(2026, 11, 29, 0), Period.Hour(2026, 11, 29, 1)], ignoreOrder: true);
    }

    [Fact]
    public void Any_day_range_is_covered_exactly_and_never_with_more_keys_than_days()
    {
        Gen.Select(Gen.Int[0, 3000], Gen.Int[0, 400]).Sample((start, length) =>
        {
            var first = new DateTime(2020, 1, 1).AddDays(start);
            var last = first.AddDays(length);
            var cover = PeriodCover.Cover(Period.Of(PeriodUnit.Day, first), Period.Of(PeriodUnit.Day, last));
            var expected = Enumerable.Range(0, length + 1).Select(i => first.AddDays(i)).ToHashSet();
            Days(cover).SetEquals(expected).ShouldBeTrue($"{first:d}..{last:d}: {string.Join(" ", cover)}");
            cover.Count.ShouldBeLessThanOrEqualTo(length + 1);
            // Each ragged month edge needs at most 6 days + 3 weeks + 6 days; the rest are month keys.
            if (length >= 90) cover.Count.ShouldBeLessThanOrEqualTo(30 + (length / 28) + 1);
        }, iter: 2000);
    }
}
