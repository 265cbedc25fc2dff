using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Tests.Model;

/// <summary>Fixed examples of <see cref="Period"/>: bitmapist's key suffixes, ISO weeks, navigation and bounds.</summary>
public class PeriodTests
{
    private static readonly DateTime ActiveAt = new(2026, 11, 28, 14, 5, 0);

    // ---- Key suffixes (bitmapist reference, section 2) ----

    [Fact]
    public void Example_2026_11_28_14_05_gives_the_documented_suffixes()
    {
        Period.Of(PeriodUnit.Month, ActiveAt).KeySuffix.ShouldBe("2026-11");
        Period.Of(PeriodUnit.Week, ActiveAt).KeySuffix.ShouldBe("W2026-48");
        Period.Of(PeriodUnit.Day, ActiveAt).KeySuffix.ShouldBe("2026-11-28");
        Period.Of(PeriodUnit.Hour, ActiveAt).KeySuffix.ShouldBe("2026-11-28-14");
        Period.Of(PeriodUnit.Unique, ActiveAt).KeySuffix.ShouldBe("u");
    }

    [Fact]
    public void Suffixes_are_never_zero_padded()
    {
        var t = new DateTime(2026, 1, 5, 9, 7, 0);
        Period.Of(PeriodUnit.Month, t).KeySuffix.ShouldBe("2026-1");
        Period.Of(PeriodUnit.Day, t).KeySuffix.ShouldBe("2026-1-5");
        Period.Of(PeriodUnit.Hour, t).KeySuffix.ShouldBe("2026-1-5-9");
        Period.Of(PeriodUnit.Week, t).KeySuffix.ShouldBe("W2026-2");
    }

    [Fact]
    public void Midnight_hour_is_hour_zero()
    {
        Period.Of(PeriodUnit.Hour, new DateTime(2026, 3, 1, 0, 59, 59)).KeySuffix.ShouldBe("2026-3-1-0");
        Period.Of(PeriodUnit.Hour, new DateTime(2026, 3, 1, 23, 0, 0)).KeySuffix.ShouldBe("2026-3-1-23");
    }

    [Fact]
    public void Week_of_2024_12_30_belongs_to_iso_year_2025()
    {
        var w = Period.Of(PeriodUnit.Week, new DateTime(2024, 12, 30));
        w.KeySuffix.ShouldBe("W2025-1");
        w.IsoYear.ShouldBe(2025);
        w.IsoWeek.ShouldBe(1);
        w.YearNumber.ShouldBe(2024); // the calendar year of its Monday
        w.Start.ShouldBe(new DateTime(2024, 12, 30));
        w.ShouldBe(Period.Week(2025, 1));
    }

    [Fact]
    public void Week_of_2027_01_01_is_week_53_of_2026()
    {
        var w = Period.Of(PeriodUnit.Week, new DateTime(2027, 1, 1, 12, 0, 0));
        w.KeySuffix.ShouldBe("W2026-53");
        w.IsoYear.ShouldBe(2026);
        w.IsoWeek.ShouldBe(53);
        w.Start.ShouldBe(new DateTime(2026, 12, 28));
        w.ShouldBe(Period.Week(2026, 53));
    }

    [Theory]
    [InlineData(2026, 1, 1, "W2026-1")]   // Thursday: week 1 of its own year
    [InlineData(2025, 12, 29, "W2026-1")] // Monday of that week, still December
    [InlineData(2026, 1, 4, "W2026-1")]   // its Sunday
    [InlineData(2021, 1, 3, "W2020-53")]  // Sunday after a Friday New Year
    [InlineData(2021, 1, 4, "W2021-1")]
    [InlineData(2023, 1, 1, "W2022-52")]  // Sunday New Year
    [InlineData(2020, 12, 31, "W2020-53")]
    [InlineData(2018, 12, 31, "W2019-1")]
    public void Weeks_follow_iso_8601_around_new_year(int y, int m, int d, string suffix)
    {
        Period.Of(PeriodUnit.Week, new DateTime(y, m, d, 23, 59, 59)).KeySuffix.ShouldBe(suffix);
    }

    [Fact]
    public void Weeks_start_on_monday_and_include_sunday()
    {
        var sunday = new DateTime(2026, 11, 29, 23, 59, 59);
        var monday = new DateTime(2026, 11, 30);
        Period.Of(PeriodUnit.Week, sunday).Start.ShouldBe(new DateTime(2026, 11, 23));
        Period.Of(PeriodUnit.Week, monday).Start.ShouldBe(monday);
        Period.Of(PeriodUnit.Week, sunday).Next().ShouldBe(Period.Of(PeriodUnit.Week, monday));
    }

    [Fact]
    public void A_year_has_no_key_suffix()
    {
        Should.Throw<InvalidOperationException>(() => Period.Year(2026).KeySuffix);
    }

    // ---- Construction ----

    [Fact]
    public void Factories_and_Of_agree()
    {
        var t = new DateTime(2026, 11, 28, 14, 5, 33, 123);
        Period.Of(PeriodUnit.Year, t).ShouldBe(Period.Year(2026));
        Period.Of(PeriodUnit.Month, t).ShouldBe(Period.Month(2026, 11));
        Period.Of(PeriodUnit.Week, t).ShouldBe(Period.Week(2026, 48));
        Period.Of(PeriodUnit.Day, t).ShouldBe(Period.Day(2026, 11, 28));
        Period.Of(PeriodUnit.Hour, t).ShouldBe(Period.Hour(2026, 11, 28, 14));
        Period.Of(PeriodUnit.Unique, t).ShouldBe(Period.Unique);
    }

    [Fact]
    public void Different_units_with_the_same_start_are_different_periods()
    {
        Period.Year(2024).ShouldNotBe(Period.Month(2024, 1));
        Period.Month(2024, 1).ShouldNotBe(Period.Day(2024, 1, 1));
        Period.Day(2024, 1, 1).ShouldNotBe(Period.Hour(2024, 1, 1, 0));
        Period.Week(2024, 1).ShouldNotBe(Period.Day(2024, 1, 1)); // 2024-01-01 is a Monday
        Period.Week(2024, 1).Start.ShouldBe(Period.Day(2024, 1, 1).Start);
    }

    [Theory]
    [InlineData(2025, 53)]
    [InlineData(2026, 54)]
    [InlineData(2026, 0)]
    [InlineData(2026, -1)]
    [InlineData(2014, 53)]
    public void Week_rejects_weeks_the_iso_year_does_not_have(int year, int week)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => Period.Week(year, week));
    }

    [Theory]
    [InlineData(2026, 53)]
    [InlineData(2020, 53)]
    [InlineData(2015, 53)]
    [InlineData(2025, 52)]
    [InlineData(2025, 1)]
    public void Week_accepts_every_week_of_the_iso_year(int year, int week)
    {
        var w = Period.Week(year, week);
        w.IsoYear.ShouldBe(year);
        w.IsoWeek.ShouldBe(week);
        w.Start.DayOfWeek.ShouldBe(DayOfWeek.Monday);
    }

    [Fact]
    public void Invalid_calendar_fields_throw()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => Period.Month(2026, 13));
        Should.Throw<ArgumentOutOfRangeException>(() => Period.Day(2026, 2, 29));
        Should.Throw<ArgumentOutOfRangeException>(() => Period.Hour(2026, 1, 1, 24));
        Period.Day(2024, 2, 29).KeySuffix.ShouldBe("2024-2-29");
    }

    [Fact]
    public void Of_uses_the_wall_clock_fields_of_a_DateTime_whatever_its_kind()
    {
        // bitmapist does no time-zone conversion: the fields of the timestamp are the period.
        var local = new DateTime(2026, 1, 5, 23, 30, 0, DateTimeKind.Local);
        var utc = new DateTime(2026, 1, 5, 23, 30, 0, DateTimeKind.Utc);
        Period.Of(PeriodUnit.Hour, local).ShouldBe(Period.Hour(2026, 1, 5, 23));
        Period.Of(PeriodUnit.Hour, utc).ShouldBe(Period.Hour(2026, 1, 5, 23));
        Period.Of(PeriodUnit.Day, local).ShouldBe(Period.Day(2026, 1, 5));
        Period.Of(PeriodUnit.Week, utc).ShouldBe(Period.Week(2026, 2));
    }

    [Fact]
    public void Of_a_DateTimeOffset_uses_its_utc_wall_clock()
    {
        var lateNewYork = new DateTimeOffset(2026, 1, 5, 23, 30, 0, TimeSpan.FromHours(-5)); // 2026-01-06 04:30 UTC
        Period.Of(PeriodUnit.Day, lateNewYork).ShouldBe(Period.Day(2026, 1, 6));
        Period.Of(PeriodUnit.Hour, lateNewYork).ShouldBe(Period.Hour(2026, 1, 6, 4));

        var earlyBerlin = new DateTimeOffset(2027, 1, 1, 1, 0, 0, TimeSpan.FromHours(2)); // 2026-12-31 23:00 UTC
        Period.Of(PeriodUnit.Hour, earlyBerlin).ShouldBe(Period.Hour(2026, 12, 31, 23));
        Period.Of(PeriodUnit.Year, earlyBerlin).ShouldBe(Period.Year(2026));
        Period.Of(PeriodUnit.Month, earlyBerlin).ShouldBe(Period.Month(2026, 12));
    }

    [Theory]
    [InlineData(PeriodUnit.Year)]
    [InlineData(PeriodUnit.Month)]
    [InlineData(PeriodUnit.Week)]
    [InlineData(PeriodUnit.Day)]
    [InlineData(PeriodUnit.Hour)]
    public void Start_and_End_are_unspecified_wall_clock_whatever_the_kind_of_the_instant(PeriodUnit unit)
    {
        // Period.Start is documented as "wall clock, DateTimeKind.Unspecified".
        foreach (var kind in new[] { DateTimeKind.Utc, DateTimeKind.Local, DateTimeKind.Unspecified })
        {
            var p = Period.Of(unit, new DateTime(2026, 11, 28, 14, 5, 0, kind));
            p.Start.Kind.ShouldBe(DateTimeKind.Unspecified, $"{unit} of a {kind} instant");
            p.End.Kind.ShouldBe(DateTimeKind.Unspecified, $"{unit} of a {kind} instant");
        }
    }

    // ---- Navigation ----

    [Fact]
    public void Week_1_of_2014_follows_week_52_of_2013()
    {
        Period.Week(2014, 1).Previous().ShouldBe(Period.Week(2013, 52));
        Period.Week(2013, 52).Next().ShouldBe(Period.Week(2014, 1));
    }

    [Fact]
    public void Week_53_of_2026_is_followed_by_week_1_of_2027()
    {
        var next = Period.Week(2026, 53).Next();
        next.ShouldBe(Period.Week(2027, 1));
        next.KeySuffix.ShouldBe("W2027-1");
        Period.Week(2027, 1).Previous().ShouldBe(Period.Week(2026, 53));
    }

    [Fact]
    public void Months_wrap_years()
    {
        Period.Month(2026, 12).Next().ShouldBe(Period.Month(2027, 1));
        Period.Month(2027, 1).Previous().ShouldBe(Period.Month(2026, 12));
        Period.Month(2026, 11).Delta(14).ShouldBe(Period.Month(2028, 1));
        Period.Month(2026, 1).Delta(-13).ShouldBe(Period.Month(2024, 12));
        Period.Month(2026, 12).Next().KeySuffix.ShouldBe("2027-1");
    }

    [Fact]
    public void Hours_wrap_days()
    {
        Period.Hour(2026, 11, 28, 23).Next().ShouldBe(Period.Hour(2026, 11, 29, 0));
        Period.Hour(2026, 12, 31, 23).Next().ShouldBe(Period.Hour(2027, 1, 1, 0));
        Period.Hour(2027, 1, 1, 0).Previous().ShouldBe(Period.Hour(2026, 12, 31, 23));
        Period.Hour(2026, 11, 28, 14).Delta((24 * 2) + 10).ShouldBe(Period.Hour(2026, 12, 1, 0)); // November has 30 days
        Period.Hour(2026, 12, 31, 23).Next().KeySuffix.ShouldBe("2027-1-1-0");
    }

    [Fact]
    public void Days_wrap_months_and_know_leap_years()
    {
        Period.Day(2024, 2, 28).Next().ShouldBe(Period.Day(2024, 2, 29));
        Period.Day(2026, 2, 28).Next().ShouldBe(Period.Day(2026, 3, 1));
        Period.Day(2026, 12, 31).Next().ShouldBe(Period.Day(2027, 1, 1));
        Period.Day(2026, 3, 1).Previous().ShouldBe(Period.Day(2026, 2, 28));
        Period.Day(2026, 1, 1).Delta(365).ShouldBe(Period.Day(2027, 1, 1));
    }

    [Fact]
    public void Years_step_by_one_year()
    {
        Period.Year(2026).Next().ShouldBe(Period.Year(2027));
        Period.Year(2026).Delta(-26).ShouldBe(Period.Year(2000));
    }

    [Fact]
    public void Week_delta_crosses_several_iso_years()
    {
        // 2026 has 53 weeks, 2027 has 52: W48/2026 + 5 = W53/2026, + 6 = W1/2027, + 57 = W52/2027, + 58 = W1/2028.
        Period.Week(2026, 48).Delta(57).ShouldBe(Period.Week(2027, 52));
        Period.Week(2026, 48).Delta(58).ShouldBe(Period.Week(2028, 1));
        Period.Week(2028, 1).Delta(-58).ShouldBe(Period.Week(2026, 48));
    }

    [Fact]
    public void Delta_zero_is_the_period_itself_and_Unique_has_no_neighbours()
    {
        Period.Day(2026, 5, 5).Delta(0).ShouldBe(Period.Day(2026, 5, 5));
        Period.Unique.Next().ShouldBe(Period.Unique);
        Period.Unique.Previous().ShouldBe(Period.Unique);
        Period.Unique.Delta(-1000).ShouldBe(Period.Unique);
    }

    // ---- Start and End ----

    public static TheoryData<string, DateTime, DateTime> Bounds() => new()
    {
        { "year 2024", new DateTime(2024, 1, 1), new DateTime(2024, 12, 31, 23, 59, 59).AddTicks(9_999_999) },
        { "month 2024-2", new DateTime(2024, 2, 1), new DateTime(2024, 2, 29, 23, 59, 59).AddTicks(9_999_999) },
        { "month 2026-12", new DateTime(2026, 12, 1), new DateTime(2026, 12, 31, 23, 59, 59).AddTicks(9_999_999) },
        { "week 2026-53", new DateTime(2026, 12, 28), new DateTime(2027, 1, 3, 23, 59, 59).AddTicks(9_999_999) },
        { "week 2025-1", new DateTime(2024, 12, 30), new DateTime(2025, 1, 5, 23, 59, 59).AddTicks(9_999_999) },
        { "day 2026-11-28", new DateTime(2026, 11, 28), new DateTime(2026, 11, 28, 23, 59, 59).AddTicks(9_999_999) },
        { "hour 2026-11-28-14", new DateTime(2026, 11, 28, 14, 0, 0), new DateTime(2026, 11, 28, 14, 59, 59).AddTicks(9_999_999) },
        { "hour 2026-12-31-23", new DateTime(2026, 12, 31, 23, 0, 0), new DateTime(2026, 12, 31, 23, 59, 59).AddTicks(9_999_999) },
    };

    private static Period Named(string name)
    {
        var parts = name.Split(' ');
        var n = parts[1].Split('-').Select(int.Parse).ToArray();
        return parts[0] switch
        {
            "year" => Period.Year(n[0]),
            "month" => Period.Month(n[0], n[1]),
            "week" => Period.Week(n[0], n[1]),
            "day" => Period.Day(n[0], n[1], n[2]),
            "hour" => Period.Hour(n[0], n[1], n[2], n[3]),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Bounds))]
    public void Start_is_the_first_instant_and_End_the_last_tick(string name, DateTime start, DateTime end)
    {
        var p = Named(name);
        p.Start.ShouldBe(start);
        p.End.ShouldBe(end);
        Period.Of(p.Unit, p.End).ShouldBe(p);
        Period.Of(p.Unit, p.End.AddTicks(1)).ShouldBe(p.Next());
        Period.Of(p.Unit, p.Start.AddTicks(-1)).ShouldBe(p.Previous());
    }

    [Fact]
    public void Unique_spans_all_time()
    {
        Period.Unique.Unit.ShouldBe(PeriodUnit.Unique);
        Period.Unique.Start.ShouldBe(DateTime.MinValue);
        Period.Unique.End.ShouldBe(DateTime.MaxValue);
        Period.Unique.KeySuffix.ShouldBe("u");
    }

    // ---- Stored periods ----

    [Fact]
    public void A_year_is_stored_as_its_twelve_months_in_order()
    {
        Period.Year(2026).StoredPeriods().ShouldBe(Enumerable.Range(1, 12).Select(m => Period.Month(2026, m)));
    }

    [Fact]
    public void Every_other_period_is_stored_as_itself()
    {
        Period[] others = [Period.Month(2026, 2), Period.Week(2026, 53), Period.Day(2026, 1, 1), Period.Hour(2026, 1, 1, 0), Period.Unique];
        foreach (var p in others) p.StoredPeriods().ShouldBe([p]);
    }

    // ---- Labels and ordering ----

    [Fact]
    public void ToString_gives_readable_padded_labels()
    {
        Period.Year(2026).ToString().ShouldBe("2026");
        Period.Month(2026, 1).ToString().ShouldBe("2026-01");
        Period.Week(2026, 2).ToString().ShouldBe("2026-W02");
        Period.Week(2025, 1).ToString().ShouldBe("2025-W01"); // ISO year, not the calendar year of its Monday
        Period.Week(2026, 53).ToString().ShouldBe("2026-W53");
        Period.Day(2026, 1, 5).ToString().ShouldBe("2026-01-05");
        Period.Hour(2026, 1, 5, 9).ToString().ShouldBe("2026-01-05T09");
        Period.Unique.ToString().ShouldBe("unique");
    }

    [Fact]
    public void Periods_of_one_unit_sort_chronologically()
    {
        Period[] days = [Period.Day(2027, 1, 1), Period.Day(2026, 12, 31), Period.Day(2026, 2, 1)];
        days.Order().ShouldBe([Period.Day(2026, 2, 1), Period.Day(2026, 12, 31), Period.Day(2027, 1, 1)]);
        Period.Week(2026, 53).CompareTo(Period.Week(2027, 1)).ShouldBeLessThan(0);
        Period.Hour(2026, 1, 1, 5).CompareTo(Period.Hour(2026, 1, 1, 5)).ShouldBe(0);
        Period.Month(2027, 1).CompareTo(Period.Month(2026, 12)).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Periods_of_different_units_order_by_unit_first()
    {
        // Coarsest to finest, whatever the dates: the order is total and consistent.
        Period.Year(2030).CompareTo(Period.Month(2000, 1)).ShouldBeLessThan(0);
        Period.Hour(2000, 1, 1, 0).CompareTo(Period.Day(2030, 1, 1)).ShouldBeGreaterThan(0);
        Period.Unique.CompareTo(Period.Hour(2026, 1, 1, 0)).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Equal_periods_hash_alike_and_work_as_dictionary_keys()
    {
        var counts = new Dictionary<Period, int>
        {
            [Period.Of(PeriodUnit.Week, new DateTime(2027, 1, 1))] = 1,
        };
        counts.ContainsKey(Period.Week(2026, 53)).ShouldBeTrue();
        counts.ContainsKey(Period.Week(2027, 1)).ShouldBeFalse();
        (Period.Day(2026, 1, 1) == Period.Of(PeriodUnit.Day, new DateTime(2026, 1, 1, 23, 0, 0))).ShouldBeTrue();
    }
}
