using System.Globalization;
using Bitmapist.Linq.Model;

namespace Bitmapist.Cli;

/// <summary>Parses the values users type: user ids, dates and timestamps, period units. Errors are <see cref="CliException"/>s.</summary>
internal static class Parsing
{
    /// <summary>Names of the <c>--period</c> values, in <see cref="PeriodUnit"/> order.</summary>
    public static readonly string[] PeriodNames = ["year", "month", "week", "day", "hour", "unique"];

    /// <summary>Timestamps finer than an hour; the coarser forms are periods, read by <see cref="Period.TryParse(string?, out Period, out string?)"/>.</summary>
    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>A user id in [0, 2^32).</summary>
    public static long UserId(string text)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var id))
            throw new CliException($"'{text}' is not a user id: ids are whole numbers from 0 to {UserIds.Max}.");
        if (id < 0 || id > UserIds.Max)
            throw new CliException($"User id {text} is outside [0, {UserIds.Max}]: ids are bit numbers in a bitmap.");
        return id;
    }

    /// <summary>
    /// A wall-clock instant (UTC when an offset is given, else as written): a timestamp (<c>2026-11-28T14:30:00</c>,
    /// optional seconds, fraction and offset), a day (<c>2026-11-28</c>), an hour (<c>2026-11-28T14</c>), a month
    /// (<c>2026-11</c>), an ISO week (<c>2026-W48</c>) or a year (<c>2026</c>); each stands for its first instant.
    /// </summary>
    public static DateTime Instant(string text, string option)
    {
        var s = text.Trim();
        if (Period.TryParse(s, out var period, out var problem) && period.Unit != PeriodUnit.Unique) return period.Start;
        if (problem is not null)
            throw new CliException($"'{text}' is not {(s.Contains('W', StringComparison.OrdinalIgnoreCase) ? "an ISO week" : "a date")} for {option}: {problem}.");
        if (DateTime.TryParseExact(s, TimestampFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return DateTime.SpecifyKind(at, DateTimeKind.Unspecified);
        throw new CliException(
            $"'{text}' is not a date or timestamp for {option}: write e.g. 2026-11-28, 2026-11-28T14:30:00, 2026-11-28T14:30:00Z, 2026-11, 2026-W48 or 2026.");
    }

    /// <summary>A <c>--period</c> value.</summary>
    public static PeriodUnit Unit(string text)
    {
        var i = Array.IndexOf(PeriodNames, text.Trim().ToLowerInvariant());
        return i >= 0 ? (PeriodUnit)i
            : throw new CliException($"'{text}' is not a period: use one of {string.Join(", ", PeriodNames)}.");
    }

    /// <summary>An event name (non-empty).</summary>
    public static string EventName(string? text) =>
        string.IsNullOrEmpty(text) ? throw new CliException("An event name cannot be empty.") : text;
}
