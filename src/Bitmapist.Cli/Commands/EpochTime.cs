using System.Globalization;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// Unix time in an import's timestamp column, told apart by magnitude: a whole number of 5 to 14 digits (a fraction
/// may follow a '.') is seconds since 1970-01-01T00:00:00Z below <see cref="MillisecondsFrom"/> (up to 5138-11-16)
/// and milliseconds from there (1973-03-03 to 5138-11-16). Seconds past 5138 or milliseconds before 1973 are not
/// told apart, so they are never meant. Four digits stay a year (<c>2026</c>), as everywhere in the CLI.
/// </summary>
internal static class EpochTime
{
    /// <summary>10^11: smaller numbers are seconds, larger ones milliseconds.</summary>
    public const long MillisecondsFrom = 100_000_000_000;

    /// <summary>10^14 (year 5138 in milliseconds): larger numbers are refused.</summary>
    public const long Limit = 100_000_000_000_000;

    private const int MinDigits = 5;

    /// <summary>
    /// True and the instant (UTC, kind unspecified like <see cref="Parsing.Instant"/>) when <paramref name="text"/> is Unix time;
    /// false when it is not a number of 5 or more digits (then it may be a date).
    /// </summary>
    /// <exception cref="CliException">A number of Unix time's shape that is too large.</exception>
    public static bool TryParse(ReadOnlySpan<char> text, out DateTime at)
    {
        at = default;
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? [] : text[(dot + 1)..];
        if (whole.Length < MinDigits || !IsDigits(whole) || (dot >= 0 && (fraction.Length == 0 || !IsDigits(fraction)))) return false;
        if (whole.Length > 14 || long.Parse(whole, NumberStyles.None, CultureInfo.InvariantCulture) is var n && n >= Limit)
            throw new CliException($"'{text}' is too large for Unix time: seconds are below {MillisecondsFrom:N0} and milliseconds below {Limit:N0}.");
        var ticksPerUnit = n < MillisecondsFrom ? TimeSpan.TicksPerSecond : TimeSpan.TicksPerMillisecond;
        var ticks = n * ticksPerUnit;
        // The fraction to the tick (100 ns); digits beyond are dropped.
        var scale = ticksPerUnit / 10;
        foreach (var digit in fraction)
        {
            if (scale == 0) break;
            ticks += (digit - '0') * scale;
            scale /= 10;
        }
        at = new DateTime(DateTime.UnixEpoch.Ticks + ticks, DateTimeKind.Unspecified);
        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
