using Bitmapist.Linq.Model;
using CsCheck;

namespace Bitmapist.Linq.Tests.Model;

/// <summary>
/// <see cref="Period.TryParse(string?, out Period)"/>: the one reader of dates that the text language, the command
/// line's --at and the served cohort form share. It reads back whatever <see cref="Period.ToString"/> writes.
/// </summary>
public class PeriodParseTests
{
    // Every unit, across the whole calendar (its first and last periods included) and around New Year, where ISO
    // weeks and calendar years disagree.
    private static readonly Gen<DateTime> Instants = Gen.Frequency(
        (3, Gen.DateTime[DateTime.MinValue, DateTime.MaxValue]),
        (2, Gen.Select(Gen.Int[2, 9998], Gen.Long[-TimeSpan.TicksPerDay * 10, TimeSpan.TicksPerDay * 10])
            .Select((y, ticks) => new DateTime(y, 1, 1).AddTicks(ticks))),
        (1, Gen.OneOf(Gen.Const(DateTime.MinValue), Gen.Const(DateTime.MaxValue))));

    private static readonly Gen<Period> Periods = Gen.Select(Gen.Enum<PeriodUnit>(), Instants).Select((u, t) => Period.Of(u, t));

    [Fact]
    public void Every_period_reads_back_from_its_text() =>
        Periods.Sample(p => Period.TryParse(p.ToString(), out var back) && back == p && Period.Parse(p.ToString()) == p,
            iter: 20_000);

    [Fact]
    public void Every_unit_is_covered_with_its_edges()
    {
        foreach (var unit in Enum.GetValues<PeriodUnit>())
        foreach (var p in new[] { Period.Of(unit, DateTime.MinValue), Period.Of(unit, DateTime.MaxValue), Period.Of(unit, new DateTime(2026, 12, 31, 23, 0, 0)) })
        {
            Period.TryParse(p.ToString(), out var back).ShouldBeTrue(p.ToString());
            back.ShouldBe(p);
        }
    }

    [Theory]
    [InlineData("2026", PeriodUnit.Year, "2026-01-01")]
    [InlineData("0001", PeriodUnit.Year, "0001-01-01")]
    [InlineData("2026-03", PeriodUnit.Month, "2026-03-01")]
    [InlineData("2026-3", PeriodUnit.Month, "2026-03-01")]
    [InlineData("2026-W09", PeriodUnit.Week, "2026-02-23")]
    [InlineData("2026-W9", PeriodUnit.Week, "2026-02-23")]
    [InlineData("2026W09", PeriodUnit.Week, "2026-02-23")]
    [InlineData("2026-w09", PeriodUnit.Week, "2026-02-23")]
    [InlineData("2020-W53", PeriodUnit.Week, "2020-12-28")]
    [InlineData("2026-03-05", PeriodUnit.Day, "2026-03-05")]
    [InlineData("2026-3-5", PeriodUnit.Day, "2026-03-05")]
    [InlineData("2026-03-05T14", PeriodUnit.Hour, "2026-03-05 14:00")]
    [InlineData("2026-03-05T0", PeriodUnit.Hour, "2026-03-05 00:00")]
    public void The_forms_each_caller_accepts_are_read(string text, PeriodUnit unit, string start)
    {
        Period.TryParse(text, out var p).ShouldBeTrue();
        p.Unit.ShouldBe(unit);
        p.Start.ShouldBe(DateTime.Parse(start, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_unique_period_reads_back() => Period.Parse("unique").ShouldBe(Period.Unique);

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("26")]
    [InlineData("20260")]
    [InlineData("+2026")]
    [InlineData("-1")]
    [InlineData(" 2026-03")]
    [InlineData("2026-03 ")]
    [InlineData("2026-003")]
    [InlineData("2026-03-05T14:30")]
    [InlineData("2026-03-05t14")]
    [InlineData("2026-W")]
    [InlineData("28/11/2026")]
    [InlineData("٢٠٢٦")] // digits of another script
    [InlineData("Unique")]
    public void Other_text_is_not_a_period_and_has_no_problem(string? text)
    {
        Period.TryParse(text, out _, out var problem).ShouldBeFalse();
        problem.ShouldBeNull();
    }

    [Theory]
    [InlineData("0000", "years run from 1 to 9999")]
    [InlineData("2026-13", "months run from 1 to 12")]
    [InlineData("2026-0", "months run from 1 to 12")]
    [InlineData("2026-02-29", "2026-02 has days 1 to 28")]
    [InlineData("2026-04-31", "2026-04 has days 1 to 30")]
    [InlineData("2026-03-00", "2026-03 has days 1 to 31")]
    [InlineData("2026-03-05T24", "hours run from 0 to 23")]
    [InlineData("2026-W54", "ISO year 2026 has weeks 1 to 53")]
    [InlineData("2025-W53", "ISO year 2025 has weeks 1 to 52")]
    [InlineData("2026-W00", "ISO year 2026 has weeks 1 to 53")]
    public void A_text_of_a_periods_form_that_names_none_says_why(string text, string problem)
    {
        Period.TryParse(text, out _, out var why).ShouldBeFalse();
        why.ShouldBe(problem);
        Should.Throw<FormatException>(() => Period.Parse(text)).Message.ShouldBe($"'{text}' is not a period: {problem}.");
    }

    [Fact]
    public void Parse_names_the_forms_when_the_text_is_none() =>
        Should.Throw<FormatException>(() => Period.Parse("soon")).Message
            .ShouldBe("'soon' is not a period: write e.g. 2026, 2026-11, 2026-W48, 2026-11-28, 2026-11-28T14 or unique.");
}
