using System.Globalization;
using Bitmapist.Linq.Model;
using CsCheck;

namespace Bitmapist.Linq.Tests.Model;

/// <summary>
/// Properties of <see cref="Period"/> and <see cref="KeyScheme"/> over random instants (uniform over three
/// centuries, and concentrated around New Year where ISO weeks and calendar years disagree), units, steps and
/// event names.
/// </summary>
public class ModelPropertyTests
{
    private static readonly PeriodUnit[] DatedUnits = [PeriodUnit.Year, PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day, PeriodUnit.Hour];

    private static readonly Gen<DateTime> Instants = Gen.Frequency(
        (2, Gen.DateTime[new DateTime(1900, 1, 1), new DateTime(2200, 12, 31, 23, 59, 59)]),
        // Within ten days of a New Year, to the tick: the week/year edge cases.
        (2, Gen.Select(Gen.Int[1950, 2150], Gen.Long[-TimeSpan.TicksPerDay * 10, TimeSpan.TicksPerDay * 10])
            .Select((y, ticks) => new DateTime(y, 1, 1).AddTicks(ticks))),
        // Exactly on an hour boundary, or one tick before one.
        (1, Gen.Select(Gen.DateTime[new DateTime(2000, 1, 1), new DateTime(2100, 1, 1)], Gen.Bool)
            .Select((t, before) => new DateTime(t.Year, t.Month, t.Day, t.Hour, 0, 0).AddTicks(before ? -1 : 0))));

    private static readonly Gen<PeriodUnit> Units = Gen.OneOf(DatedUnits);

    private static readonly Gen<PeriodUnit> AllUnits = Gen.Enum<PeriodUnit>();

    private static readonly Gen<Period> Periods = Gen.Select(AllUnits, Instants).Select((u, t) => Period.Of(u, t));

    // Event names made of the characters that matter to the key layout: separators, the week marker, digits, "u".
    private static readonly Gen<string> EventNames =
        Gen.Char["abuW09_:- é☃"].Array[1, 12].Select(cs => new string(cs))
            .Where(n => !(n + "_").StartsWith("bitop_", StringComparison.Ordinal)); // bitmapist reserves bitop_ (see report)

    private static readonly Gen<KeyScheme> Schemes = Gen.OneOf(
        KeyScheme.Default, new KeyScheme(KeyScheme.Bitmapist4Prefix), new KeyScheme("app:"), new KeyScheme(""), new KeyScheme("u_"));

    [Fact]
    public void Of_contains_the_instant_between_Start_and_End()
    {
        Gen.Select(Units, Instants).Sample((u, t) =>
        {
            var p = Period.Of(u, t);
            p.Unit.ShouldBe(u);
            p.Start.ShouldBeLessThanOrEqualTo(t);
            p.End.ShouldBeGreaterThanOrEqualTo(t);
            Period.Of(u, p.Start).ShouldBe(p);
            Period.Of(u, p.End).ShouldBe(p);
            Period.Of(u, p.End.AddTicks(1)).ShouldBe(p.Next());
            Period.Of(u, p.Start.AddTicks(-1)).ShouldBe(p.Previous());
            p.Next().Start.ShouldBe(p.End.AddTicks(1));
        }, iter: 3000);
    }

    [Fact]
    public void Start_is_aligned_to_the_unit_and_spans_its_length()
    {
        Gen.Select(Units, Instants).Sample((u, t) =>
        {
            var p = Period.Of(u, t);
            var s = p.Start;
            var length = p.End.AddTicks(1) - s;
            switch (u)
            {
                case PeriodUnit.Year:
                    (s.Month, s.Day, s.TimeOfDay).ShouldBe((1, 1, TimeSpan.Zero));
                    s.Year.ShouldBe(t.Year);
                    length.TotalDays.ShouldBe(DateTime.IsLeapYear(t.Year) ? 366 : 365);
                    break;
                case PeriodUnit.Month:
                    (s.Year, s.Month, s.Day, s.TimeOfDay).ShouldBe((t.Year, t.Month, 1, TimeSpan.Zero));
                    length.TotalDays.ShouldBe(DateTime.DaysInMonth(t.Year, t.Month));
                    break;
                case PeriodUnit.Week:
                    s.DayOfWeek.ShouldBe(DayOfWeek.Monday);
                    s.TimeOfDay.ShouldBe(TimeSpan.Zero);
                    length.ShouldBe(TimeSpan.FromDays(7));
                    break;
                case PeriodUnit.Day:
                    s.ShouldBe(t.Date);
                    length.ShouldBe(TimeSpan.FromDays(1));
                    break;
                case PeriodUnit.Hour:
                    (s.Date, s.Hour, s.Minute, s.Second, s.Millisecond).ShouldBe((t.Date, t.Hour, 0, 0, 0));
                    (s.Ticks % TimeSpan.TicksPerHour).ShouldBe(0);
                    length.ShouldBe(TimeSpan.FromHours(1));
                    break;
            }
        }, iter: 3000);
    }

    [Fact]
    public void Delta_n_then_minus_n_is_the_identity()
    {
        Gen.Select(Periods, Gen.Int[-3000, 3000]).Sample((p, raw) =>
        {
            var n = p.Unit == PeriodUnit.Year ? raw % 300 : raw; // stay inside DateTime's years 1 to 9999
            p.Delta(n).Delta(-n).ShouldBe(p);
            p.Delta(n).Unit.ShouldBe(p.Unit);
        }, iter: 3000);
    }

    [Fact]
    public void Deltas_compose_and_agree_with_repeated_Next_and_Previous()
    {
        Gen.Select(Periods, Gen.Int[-400, 400], Gen.Int[-40, 40]).Sample((p, a, b) =>
        {
            p.Delta(a).Delta(b).ShouldBe(p.Delta(a + b));
            var walked = p;
            for (var i = 0; i < Math.Abs(b); i++) walked = b > 0 ? walked.Next() : walked.Previous();
            walked.ShouldBe(p.Delta(b));
            if (p.Unit != PeriodUnit.Unique && b != 0)
                Math.Sign(p.Delta(b).CompareTo(p)).ShouldBe(Math.Sign(b));
        }, iter: 2000);
    }

    [Fact]
    public void Consecutive_periods_tile_time_without_gaps_or_overlaps()
    {
        Gen.Select(Units, Instants, Gen.Int[1, 30]).Sample((u, t, k) =>
        {
            var p = Period.Of(u, t);
            for (var i = 0; i < k; i++)
            {
                var next = p.Next();
                next.Start.ShouldBe(p.End.AddTicks(1));
                next.CompareTo(p).ShouldBeGreaterThan(0);
                p = next;
            }
        }, iter: 500);
    }

    [Fact]
    public void Key_suffix_matches_an_independent_formatting_of_the_instant()
    {
        Gen.Select(Instants, Gen.OneOf(PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day, PeriodUnit.Hour)).Sample((t, u) =>
        {
            // ISO 8601: a week belongs to the year of its Thursday and is numbered from that year's first Thursday.
            var thursday = t.Date.AddDays(3 - (((int)t.DayOfWeek + 6) % 7));
            var isoYear = thursday.Year;
            var isoWeek = ((thursday.DayOfYear - 1) / 7) + 1;
            var expected = u switch
            {
                PeriodUnit.Month => $"{t.Year}-{t.Month}",
                PeriodUnit.Week => $"W{isoYear}-{isoWeek}",
                PeriodUnit.Day => $"{t.Year}-{t.Month}-{t.Day}",
                _ => $"{t.Year}-{t.Month}-{t.Day}-{t.Hour}",
            };
            var p = Period.Of(u, t);
            p.KeySuffix.ShouldBe(expected, t.ToString("o", CultureInfo.InvariantCulture));
            if (u == PeriodUnit.Week)
            {
                p.IsoYear.ShouldBe(isoYear);
                p.IsoWeek.ShouldBe(isoWeek);
                Period.Week(isoYear, isoWeek).ShouldBe(p);
            }
        }, iter: 3000);
    }

    [Fact]
    public void TryParse_of_Key_gives_back_the_event_and_the_period()
    {
        Gen.Select(Schemes, EventNames, Periods.Where(p => p.Unit != PeriodUnit.Year)).Sample((keys, e, p) =>
        {
            var key = keys.Key(e, p);
            key.ShouldStartWith(keys.Prefix + e + "_");
            keys.TryParse(key, out var e2, out var p2).ShouldBeTrue(key);
            e2.ShouldBe(e, key);
            p2.ShouldBe(p, key);
        }, iter: 3000);
    }

    [Fact]
    public void A_years_keys_are_its_twelve_month_keys_and_parse_back_to_them()
    {
        Gen.Select(EventNames, Gen.Int[1, 9999]).Sample((e, year) =>
        {
            var keys = KeyScheme.Default.KeysFor(e, Period.Year(year));
            keys.Count.ShouldBe(12);
            for (var m = 1; m <= 12; m++)
            {
                KeyScheme.Default.TryParse(keys[m - 1], out var e2, out var p2).ShouldBeTrue(keys[m - 1]);
                e2.ShouldBe(e);
                p2.ShouldBe(Period.Month(year, m));
            }
        }, iter: 500);
    }

    [Fact]
    public void Keys_of_one_scheme_never_parse_under_another_prefix()
    {
        Gen.Select(EventNames, Periods.Where(p => p.Unit != PeriodUnit.Year)).Sample((e, p) =>
        {
            var key = KeyScheme.Default.Key(e, p);
            new KeyScheme(KeyScheme.Bitmapist4Prefix).TryParse(key, out _, out _).ShouldBeFalse(key);
            KeyScheme.Default.TryParse(KeyScheme.Default.TemporaryNamespace + key, out _, out _).ShouldBeFalse(key);
            KeyScheme.Default.TryParse(KeyScheme.Default.Prefix + "bitop_AND_" + key, out _, out _).ShouldBeFalse(key);
        }, iter: 1000);
    }

    [Fact]
    public void Distinct_periods_of_an_event_have_distinct_keys()
    {
        Gen.Select(Periods.Where(p => p.Unit != PeriodUnit.Year), Periods.Where(p => p.Unit != PeriodUnit.Year)).Sample((a, b) =>
        {
            (KeyScheme.Default.Key("e", a) == KeyScheme.Default.Key("e", b)).ShouldBe(a == b, $"{a} vs {b}");
        }, iter: 3000);
    }
}
