using Bitmapist.Cli.Commands;
using Bitmapist.Cli;

namespace Bitmapist.Cli.Tests;

/// <summary>The documented magnitude rule of Unix time in import files.</summary>
public sealed class EpochTimeTests
{
    [Theory]
    [InlineData("10000", "1970-01-01T02:46:40")]                  // the smallest: 5 digits
    [InlineData("1764324000", "2025-11-28T10:00:00")]
    [InlineData("99999999999", "5138-11-16T09:46:39")]            // the largest number read as seconds
    [InlineData("100000000000", "1973-03-03T09:46:40")]           // the smallest read as milliseconds
    [InlineData("1764324000123", "2025-11-28T10:00:00.123")]
    [InlineData("99999999999999", "5138-11-16T09:46:39.999")]     // the largest accepted
    [InlineData("1764324000.25", "2025-11-28T10:00:00.25")]
    [InlineData("1764324000123.5", "2025-11-28T10:00:00.1235")]
    public void Numbers_are_seconds_below_10_to_the_11_and_milliseconds_above(string text, string expected)
    {
        EpochTime.TryParse(text, out var at).ShouldBeTrue();
        at.ShouldBe(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
        at.Kind.ShouldBe(DateTimeKind.Unspecified);
    }

    [Theory]
    [InlineData("2026")]          // a year
    [InlineData("123")]
    [InlineData("2026-11-28")]
    [InlineData("1764324000.")]
    [InlineData("-1764324000")]
    [InlineData("17643a4000")]
    public void Other_text_is_not_unix_time(string text) => EpochTime.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void Larger_numbers_are_refused() =>
        Should.Throw<CliException>(() => EpochTime.TryParse("100000000000000", out _)).Message.ShouldContain("too large for Unix time");
}

/// <summary>The import's fast path for common timestamps agrees with <see cref="Parsing.Instant"/>, which it skips.</summary>
public sealed class CommonTimestampTests
{
    [Theory]
    [InlineData("2026-11-28T23:59:59")]
    [InlineData("2026-11-28 00:00:01")]
    [InlineData("2026-11-28")]
    [InlineData("0001-01-01")]
    [InlineData("9999-12-31T23:59:59")]
    public void The_fast_path_gives_what_Parsing_Instant_gives(string text)
    {
        CsvRecords.TryCommonTimestamp(text, out var fast).ShouldBeTrue();
        fast.ShouldBe(Parsing.Instant(text, "the timestamp"));
        fast.Kind.ShouldBe(Parsing.Instant(text, "the timestamp").Kind);
    }

    [Theory]
    [InlineData("2026-11-28T23:59:59Z")]     // an offset: Parsing.Instant converts it
    [InlineData("2026-11-28T23:59:59+01:00")]
    [InlineData("2026-W48")]
    [InlineData("2026-11")]
    [InlineData("2026-11-28T14")]
    public void Other_shapes_are_left_to_Parsing_Instant(string text) => CsvRecords.TryCommonTimestamp(text, out _).ShouldBeFalse();
}
