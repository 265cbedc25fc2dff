using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>The text's dates are read by <see cref="Period.TryParse(string?, out Period, out string?)"/>, as the command line's and the served form's are.</summary>
public class DateLiteralTests
{
    [Theory]
    [InlineData("week(a, 2026-w48)", "week(a, 2026-W48)")] // the command line took a small w before; now the text does too
    [InlineData("month(a, 2026-3)", "month(a, 2026-03)")]
    [InlineData("hour(a, 2026-3-5T7)", "hour(a, 2026-03-05T07)")]
    [InlineData("a during 2026-3-1..2026-3-5", "day(a, 2026-03-01..2026-03-05)")]
    public void Dates_in_every_form_Period_reads(string text, string printed) =>
        TextQuery.ParseSet(text).Text.ShouldBe(printed);

    [Fact]
    public void Every_period_the_printer_writes_reads_back_as_a_date()
    {
        foreach (var unit in new[] { PeriodUnit.Year, PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day, PeriodUnit.Hour })
        foreach (var at in new[] { new DateTime(1, 1, 1), new DateTime(2026, 12, 31, 23, 0, 0), new DateTime(9999, 12, 31, 23, 0, 0) })
        {
            var set = SetExpr.Event("a", PeriodRef.Of(Period.Of(unit, at)));
            TextQuery.ParseSet(set.Text).ShouldBe(set);
        }
    }
}
