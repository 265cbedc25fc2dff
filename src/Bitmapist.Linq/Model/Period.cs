using System.Globalization;
using System.Text.RegularExpressions;

namespace Bitmapist.Linq.Model;

/// <summary>
/// One period of time at one granularity: a year, month, ISO week, day or hour, or the dateless
/// <see cref="PeriodUnit.Unique"/> period. Periods are wall-clock values (bitmapist does no time-zone
/// conversion): a period is identified by its unit and the instant it starts.
/// </summary>
/// <remarks>
/// A single value type for every unit (rather than one type per unit) keeps cohort tables, ranges and
/// relative navigation generic over the unit; the unit-specific parts are the start rounding, the step
/// and the key suffix.
/// </remarks>
public readonly partial record struct Period : IComparable<Period>
{
    private Period(PeriodUnit unit, DateTime start)
    {
        Unit = unit;
        Start = DateTime.SpecifyKind(start, DateTimeKind.Unspecified); // wall clock, whatever the caller's kind
    }

    /// <summary>The granularity.</summary>
    public PeriodUnit Unit { get; }

    /// <summary>The first instant of the period (wall clock, <see cref="DateTimeKind.Unspecified"/>).</summary>
    public DateTime Start { get; }

    /// <summary>The last instant of the period (one tick before the next period starts), as bitmapist's <c>period_end</c>.</summary>
    public DateTime End => Unit == PeriodUnit.Unique || IsLastOfCalendar ? DateTime.MaxValue : Next().Start.AddTicks(-1);

    /// <summary>True for the last period of its unit that <see cref="DateTime"/> can hold (the one containing 9999-12-31T23).</summary>
    public bool IsLastOfCalendar => Unit != PeriodUnit.Unique && Of(Unit, DateTime.MaxValue).Start == Start;

    /// <summary>The dateless period of unique flags.</summary>
    public static Period Unique { get; } = new(PeriodUnit.Unique, DateTime.MinValue);

    /// <summary>The year <paramref name="year"/>.</summary>
    public static Period Year(int year) => new(PeriodUnit.Year, new DateTime(year, 1, 1));

    /// <summary>The month <paramref name="month"/> (1-12) of <paramref name="year"/>.</summary>
    public static Period Month(int year, int month) => new(PeriodUnit.Month, new DateTime(year, month, 1));

    /// <summary>ISO week <paramref name="week"/> (1-53) of ISO year <paramref name="isoYear"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The ISO year has no such week.</exception>
    public static Period Week(int isoYear, int week)
    {
        var weeks = ISOWeek.GetWeeksInYear(isoYear);
        if (week < 1 || week > weeks)
            throw new ArgumentOutOfRangeException(nameof(week), week, $"ISO year {isoYear} has weeks 1 to {weeks}.");
        return new(PeriodUnit.Week, ISOWeek.ToDateTime(isoYear, week, DayOfWeek.Monday));
    }

    /// <summary>The day <paramref name="year"/>-<paramref name="month"/>-<paramref name="day"/>.</summary>
    public static Period Day(int year, int month, int day) => new(PeriodUnit.Day, new DateTime(year, month, day));

    /// <summary>The hour <paramref name="hour"/> (0-23) of a day.</summary>
    public static Period Hour(int year, int month, int day, int hour) =>
        new(PeriodUnit.Hour, new DateTime(year, month, day, hour, 0, 0));

    /// <summary>The period of unit <paramref name="unit"/> that contains <paramref name="instant"/> (its wall-clock fields).</summary>
    public static Period Of(PeriodUnit unit, DateTime instant) => unit switch
    {
        PeriodUnit.Year => new(unit, new DateTime(instant.Year, 1, 1)),
        PeriodUnit.Month => new(unit, new DateTime(instant.Year, instant.Month, 1)),
        PeriodUnit.Week => new(unit, instant.Date.AddDays(-(((int)instant.DayOfWeek + 6) % 7))),
        PeriodUnit.Day => new(unit, instant.Date),
        PeriodUnit.Hour => new(unit, new DateTime(instant.Year, instant.Month, instant.Day, instant.Hour, 0, 0)),
        PeriodUnit.Unique => Unique,
        _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, null),
    };

    /// <summary>The period of unit <paramref name="unit"/> containing <paramref name="instant"/>'s UTC wall clock.</summary>
    public static Period Of(PeriodUnit unit, DateTimeOffset instant) => Of(unit, instant.UtcDateTime);

    /// <summary>The period <paramref name="n"/> steps later (negative: earlier). Months wrap years, hours wrap days, weeks follow ISO years.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The period would start before 0001-01-01 or after 9999-12-31.</exception>
    public Period Delta(int n)
    {
        try
        {
            return Unit switch
            {
                PeriodUnit.Year => new(Unit, Start.AddYears(n)),
                PeriodUnit.Month => new(Unit, Start.AddMonths(n)),
                PeriodUnit.Week => new(Unit, Start.AddDays(7L * n)),
                PeriodUnit.Day => new(Unit, Start.AddDays(n)),
                PeriodUnit.Hour => new(Unit, Start.AddHours(n)),
                _ => this, // the unique period has no neighbours: it is every time at once
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            // DateTime's own message ("un-representable DateTime") names neither the period nor the step.
            var unit = Unit.ToString().ToLowerInvariant();
            throw new ArgumentOutOfRangeException(nameof(n), n,
                string.Create(CultureInfo.InvariantCulture, $"{this} {(n < 0 ? "minus" : "plus")} {Math.Abs((long)n)} {unit}{(Math.Abs((long)n) == 1 ? "" : "s")} is outside the calendar (years 1 to 9999)."));
        }
    }

    /// <summary>The most steps of <paramref name="unit"/> between two periods of the calendar: an offset beyond it can never resolve.</summary>
    public static long MaxOffset(PeriodUnit unit) => unit switch
    {
        PeriodUnit.Year => 9998,
        PeriodUnit.Month => 9998L * 12 + 11,
        PeriodUnit.Week => (Of(unit, DateTime.MaxValue).Start - Of(unit, DateTime.MinValue).Start).Days / 7,
        PeriodUnit.Day => (DateTime.MaxValue.Date - DateTime.MinValue).Days,
        PeriodUnit.Hour => (long)(DateTime.MaxValue - DateTime.MinValue).TotalHours,
        _ => 0,
    };

    /// <summary>The following period.</summary>
    public Period Next() => Delta(1);

    /// <summary>The preceding period.</summary>
    public Period Previous() => Delta(-1);

    /// <summary>The calendar year of the start (for a week, see <see cref="IsoYear"/>).</summary>
    public int YearNumber => Start.Year;

    /// <summary>The ISO 8601 year of a week period (differs from the calendar year around New Year).</summary>
    public int IsoYear => ISOWeek.GetYear(Start);

    /// <summary>The ISO 8601 week number of the start.</summary>
    public int IsoWeek => ISOWeek.GetWeekOfYear(Start);

    /// <summary>
    /// The bitmapist key suffix: <c>2026-11</c>, <c>W2026-48</c>, <c>2026-11-28</c>, <c>2026-11-28-14</c> or <c>u</c>
    /// (never zero-padded). A year has no key of its own; see <see cref="KeyScheme.KeysFor"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The period is a year.</exception>
    public string KeySuffix => Unit switch
    {
        PeriodUnit.Month => string.Create(CultureInfo.InvariantCulture, $"{Start.Year}-{Start.Month}"),
        PeriodUnit.Week => string.Create(CultureInfo.InvariantCulture, $"W{IsoYear}-{IsoWeek}"),
        PeriodUnit.Day => string.Create(CultureInfo.InvariantCulture, $"{Start.Year}-{Start.Month}-{Start.Day}"),
        PeriodUnit.Hour => string.Create(CultureInfo.InvariantCulture, $"{Start.Year}-{Start.Month}-{Start.Day}-{Start.Hour}"),
        PeriodUnit.Unique => "u",
        _ => throw new InvalidOperationException("A year has no key of its own: it is the OR of its 12 month keys."),
    };

    /// <summary>The months of a year, or the period itself for any other unit.</summary>
    public IEnumerable<Period> StoredPeriods()
    {
        if (Unit != PeriodUnit.Year)
        {
            yield return this;
            yield break;
        }
        for (var m = 0; m < 12; m++) yield return new Period(PeriodUnit.Month, Start.AddMonths(m));
    }

    /// <inheritdoc />
    public int CompareTo(Period other) => Unit != other.Unit ? Unit.CompareTo(other.Unit) : Start.CompareTo(other.Start);

    /// <summary>A readable label: <c>2026</c>, <c>2026-11</c>, <c>2026-W48</c>, <c>2026-11-28</c>, <c>2026-11-28T14</c>, <c>unique</c>.</summary>
    public override string ToString() => Unit switch
    {
        PeriodUnit.Year => Start.Year.ToString("0000", CultureInfo.InvariantCulture), // 4 digits: never read as an offset
        PeriodUnit.Month => Start.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        PeriodUnit.Week => string.Create(CultureInfo.InvariantCulture, $"{IsoYear:0000}-W{IsoWeek:00}"),
        PeriodUnit.Day => Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        PeriodUnit.Hour => Start.ToString("yyyy-MM-dd'T'HH", CultureInfo.InvariantCulture),
        _ => "unique",
    };

    /// <summary>
    /// Reads a period as <see cref="ToString"/> writes it, the unit given by its form: <c>2026</c>, <c>2026-11</c>,
    /// <c>2026-W48</c>, <c>2026-11-28</c>, <c>2026-11-28T14</c> or <c>unique</c>. Months, weeks, days and hours may
    /// have one digit (<c>2026-3-5</c>), a week may be written without its dash or with a small w (<c>2026W48</c>,
    /// <c>2026-w48</c>); the year has four digits. The text language's dates, the command line's <c>--at</c> and
    /// the served cohort form's start all read dates with this.
    /// </summary>
    /// <returns>False when <paramref name="text"/> is not a period (white space around it included).</returns>
    public static bool TryParse(string? text, out Period period) => TryParse(text, out period, out _);

    /// <summary>
    /// Reads a period as <see cref="TryParse(string?, out Period)"/> does, and says why a text of a period's form
    /// names none: <paramref name="problem"/> is then, e.g., <c>ISO year 2026 has weeks 1 to 53</c>
    /// (<c>2026-W54</c>) or <c>2026-02 has days 1 to 28</c> (<c>2026-02-30</c>); it is null when the text does
    /// not have a period's form at all.
    /// </summary>
    public static bool TryParse(string? text, out Period period, out string? problem)
    {
        period = default;
        problem = null;
        if (text is null) return false;
        if (text == "unique")
        {
            period = Unique;
            return true;
        }
        var m = PeriodText().Match(text);
        if (!m.Success) return false;
        int G(string g) => int.Parse(m.Groups[g].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture);
        var year = G("y");
        problem = year < 1 ? "years run from 1 to 9999"
            : m.Groups["w"].Success ? (G("w") is var w && w >= 1 && w <= ISOWeek.GetWeeksInYear(year) ? null : string.Create(CultureInfo.InvariantCulture, $"ISO year {year} has weeks 1 to {ISOWeek.GetWeeksInYear(year)}"))
            : !m.Groups["m"].Success ? null
            : G("m") is < 1 or > 12 ? "months run from 1 to 12"
            : !m.Groups["d"].Success ? null
            : G("d") is var d && (d < 1 || d > DateTime.DaysInMonth(year, G("m"))) ? string.Create(CultureInfo.InvariantCulture, $"{year:0000}-{G("m"):00} has days 1 to {DateTime.DaysInMonth(year, G("m"))}")
            : m.Groups["h"].Success && G("h") > 23 ? "hours run from 0 to 23"
            : null;
        if (problem is not null) return false;
        period = m.Groups["w"].Success ? Week(year, G("w"))
            : !m.Groups["m"].Success ? Year(year)
            : !m.Groups["d"].Success ? Month(year, G("m"))
            : !m.Groups["h"].Success ? Day(year, G("m"), G("d"))
            : Hour(year, G("m"), G("d"), G("h"));
        return true;
    }

    /// <summary>Reads a period as <see cref="TryParse(string?, out Period)"/> does.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not a period; the message says what is wrong and shows the forms.</exception>
    public static Period Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var period, out var problem) ? period
            : throw new FormatException(problem is not null
                ? $"'{text}' is not a period: {problem}."
                : $"'{text}' is not a period: write e.g. 2026, 2026-11, 2026-W48, 2026-11-28, 2026-11-28T14 or unique.");
    }

    // [0-9], not \d: \d matches every script's digits, which int.Parse refuses.
    [GeneratedRegex(@"^(?<y>[0-9]{4})(-?[Ww](?<w>[0-9]{1,2})|-(?<m>[0-9]{1,2})(-(?<d>[0-9]{1,2})(T(?<h>[0-9]{1,2}))?)?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PeriodText();
}
