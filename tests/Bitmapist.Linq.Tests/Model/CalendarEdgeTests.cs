using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Model;

/// <summary>
/// The ends of the calendar (0001-01-01 and 9999-12-31T23): periods and ranges that reach them work, and a
/// step past them is an error that names the piece of the query, never DateTime's "un-representable" message.
/// </summary>
public class CalendarEdgeTests
{
    [Fact]
    public void A_step_off_the_calendar_names_the_period_and_the_step()
    {
        var e = Should.Throw<ArgumentOutOfRangeException>(() => Period.Month(9999, 12).Delta(1));
        e.Message.ShouldStartWith("9999-12 plus 1 month is outside the calendar (years 1 to 9999).");
        Should.Throw<ArgumentOutOfRangeException>(() => Period.Day(1, 1, 1).Previous()).Message.ShouldStartWith("0001-01-01 minus 1 day is outside");
        Should.Throw<ArgumentOutOfRangeException>(() => Period.Hour(9999, 12, 31, 23).Delta(3)).Message.ShouldStartWith("9999-12-31T23 plus 3 hours");
    }

    [Fact]
    public void The_last_period_of_each_unit_ends_at_the_last_instant()
    {
        foreach (var last in new[] { Period.Year(9999), Period.Month(9999, 12), Period.Week(9999, 52), Period.Day(9999, 12, 31), Period.Hour(9999, 12, 31, 23) })
        {
            last.IsLastOfCalendar.ShouldBeTrue(last.ToString());
            last.End.ShouldBe(DateTime.MaxValue, last.ToString());
        }
        Period.Day(9999, 12, 30).IsLastOfCalendar.ShouldBeFalse();
        Period.Day(9999, 12, 30).End.ShouldBe(new DateTime(9999, 12, 31).AddTicks(-1));
    }

    [Fact]
    public void Ranges_that_reach_either_end_of_the_calendar_are_covered_exactly()
    {
        PeriodCover.Cover(Period.Day(9999, 12, 1), Period.Day(9999, 12, 31)).ShouldBe([Period.Month(9999, 12)]);
        PeriodCover.Cover(Period.Day(1, 1, 1), Period.Day(1, 1, 31)).ShouldBe([Period.Month(1, 1)]);
        // 9999-12-27 (Monday) .. 31: the calendar's last ISO week, whose key can only hold these five days.
        PeriodCover.Cover(Period.Day(9999, 12, 27), Period.Day(9999, 12, 31)).ShouldBe([Period.Week(9999, 52)]);
        PeriodCover.Cover(Period.Hour(9999, 12, 30, 22), Period.Hour(9999, 12, 31, 23))
            .ShouldBe([Period.Hour(9999, 12, 30, 22), Period.Hour(9999, 12, 30, 23), Period.Day(9999, 12, 31)], ignoreOrder: true);
        PeriodCover.Cover(Period.Hour(9999, 12, 31, 20), Period.Hour(9999, 12, 31, 23))
            .ShouldBe([.. Enumerable.Range(20, 4).Select(h => Period.Hour(9999, 12, 31, h))]);
        PeriodCover.Cover(Period.Day(1, 1, 1), Period.Day(9999, 12, 31)).Count.ShouldBe(9999 * 12); // every month, once
    }

    [Fact]
    public void An_offset_wider_than_the_calendar_is_a_syntax_error_with_a_caret()
    {
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.ParseSet("year(active, 10000)"));
        e.Message.ShouldContain("the offset 10000 is too large: year offsets run from -9998 to +9998");
        e.Column.ShouldBe(14);
        TextQuery.ParseSet("year(active, -9998)").ShouldNotBeNull();
        Should.Throw<QuerySyntaxException>(() => TextQuery.ParseSet("month(active, 119988)")).Message.ShouldContain("month offsets run from -119987");
    }

    [Fact]
    public async Task A_relative_period_that_resolves_off_the_calendar_is_a_query_error_quoting_it()
    {
        var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(9999, 12, 15, 0, 0, 0, TimeSpan.Zero)) });
        var e = await Should.ThrowAsync<BitmapistQueryException>(() => store.Set(TextQuery.ParseSet("month(active) | month(active, +1)")).CountAsync());
        e.Message.ShouldStartWith("month(active, +1) cannot be resolved: 9999-12 plus 1 month is outside the calendar (years 1 to 9999).");
        e.Fix.ShouldNotBeNull();

        var range = await Should.ThrowAsync<BitmapistQueryException>(() => store.Set(TextQuery.ParseSet("day(active, -1..+30)")).CountAsync());
        range.Message.ShouldStartWith("day(active, -1..+30) cannot be resolved");

        // Up to the last instant is fine: the whole of December 9999, and the all-of form.
        (await store.Set(TextQuery.ParseSet("day(active, -14..+16) | all day(active, +15..+16)")).CountAsync()).ShouldBe(0);
    }
}
