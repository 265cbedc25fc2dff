using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;

namespace Bitmapist.Linq.Tests.Planning;

/// <summary>The ragged first day of an hour range: a day becomes a day key only when all 24 of its hours are in the range.</summary>
public class PeriodCoverStartHourTests
{
    [Fact]
    public void A_range_starting_at_one_oclock_keeps_its_first_day_as_hours()
    {
        // 01:00 Nov 27 .. 23:00 Nov 28: Nov 27 lacks 00:00, so it stays 23 hour keys (01 .. 23); Nov 28 has all
        // 24 hours, one day key. A day key for Nov 27 would add the users of 00:00.
        var cover = PeriodCover.Cover(Period.Hour(2026, 11, 27, 1), Period.Hour(2026, 11, 28, 23));
        cover.ShouldBe([Period.Day(2026, 11, 28), .. Enumerable.Range(1, 23).Select(h => Period.Hour(2026, 11, 27, h))], ignoreOrder: true);
    }

    [Fact]
    public void A_range_starting_at_midnight_takes_its_first_day_whole()
    {
        // 00:00 Nov 27 .. 02:00 Nov 28: Nov 27 is whole (one day key), Nov 28 is its hours 00, 01 and 02.
        var cover = PeriodCover.Cover(Period.Hour(2026, 11, 27, 0), Period.Hour(2026, 11, 28, 2));
        cover.ShouldBe([Period.Day(2026, 11, 27), Period.Hour(2026, 11, 28, 0), Period.Hour(2026, 11, 28, 1), Period.Hour(2026, 11, 28, 2)], ignoreOrder: true);
    }
}
