namespace Bitmapist.Cli.Tests;

public sealed class ParsingAndOutputTests
{
    [Theory]
    [InlineData("2026", "2026-01-01T00:00:00")]
    [InlineData("2026-11", "2026-11-01T00:00:00")]
    [InlineData("2026-W48", "2026-11-23T00:00:00")]
    [InlineData("2026w1", "2025-12-29T00:00:00")]
    [InlineData("2026-11-28", "2026-11-28T00:00:00")]
    [InlineData("2026-11-28T14", "2026-11-28T14:00:00")]
    [InlineData("2026-11-28T14:30", "2026-11-28T14:30:00")]
    [InlineData("2026-11-28 14:30:05", "2026-11-28T14:30:05")]
    [InlineData("2026-11-28T14:30:05.25", "2026-11-28T14:30:05.25")]
    [InlineData("2026-11-28T14:30:05Z", "2026-11-28T14:30:05")]
    [InlineData("2026-11-28T14:30:05-05:00", "2026-11-28T19:30:05")]
    public void Instants(string text, string expected) => Output.Timestamp(Parsing.Instant(text, "--at")).ShouldBe(expected);

    [Theory]
    // The dates the text language takes (Period.TryParse reads both): one-digit fields, a small w.
    [InlineData("2026-3", "2026-03-01T00:00:00")]
    [InlineData("2026-3-5", "2026-03-05T00:00:00")]
    [InlineData("2026-3-5T7", "2026-03-05T07:00:00")]
    [InlineData("2026-w9", "2026-02-23T00:00:00")]
    [InlineData("9999-W52", "9999-12-27T00:00:00")]
    public void Instants_take_every_date_the_text_language_takes(string text, string expected) =>
        Output.Timestamp(Parsing.Instant(text, "--at")).ShouldBe(expected);

    [Theory]
    [InlineData("2026-W54", "'2026-W54' is not an ISO week for --at: ISO year 2026 has weeks 1 to 53.")]
    [InlineData("2026w0", "'2026w0' is not an ISO week for --at: ISO year 2026 has weeks 1 to 53.")]
    [InlineData("2026-02-30", "'2026-02-30' is not a date for --at: 2026-02 has days 1 to 28.")]
    [InlineData("2026-13", "'2026-13' is not a date for --at: months run from 1 to 12.")]
    [InlineData("2026-11-28T24", "'2026-11-28T24' is not a date for --at: hours run from 0 to 23.")]
    [InlineData("unique", "'unique' is not a date or timestamp for --at: write e.g. 2026-11-28, 2026-11-28T14:30:00, 2026-11-28T14:30:00Z, 2026-11, 2026-W48 or 2026.")]
    [InlineData("soon", "'soon' is not a date or timestamp for --at: write e.g. 2026-11-28, 2026-11-28T14:30:00, 2026-11-28T14:30:00Z, 2026-11, 2026-W48 or 2026.")]
    public void A_date_that_names_no_period_says_why(string text, string message) =>
        Should.Throw<CliException>(() => Parsing.Instant(text, "--at")).Message.ShouldBe(message);

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("4294967295", 4294967295L)]
    [InlineData("+12", 12L)]
    public void User_ids(string text, long expected) => Parsing.UserId(text).ShouldBe(expected);

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    public void Csv_fields_are_quoted_when_needed(string value, string expected) => Output.CsvField(value).ShouldBe(expected);

    [Fact]
    public void Tables_align_columns()
    {
        var writer = new StringWriter();
        new Output(writer).Table(["event", "count"], [["active", "12"], ["song:played", "3"]]);
        writer.ToString().ReplaceLineEndings("\n").ShouldBe("event        count\nactive       12\nsong:played  3\n");
    }

    [Fact]
    public void Json_strings_keep_non_ascii_and_escape_what_json_needs()
    {
        var writer = new StringWriter();
        new Output(writer).Json(w => w.WriteString("e", "café \"x\""));
        writer.ToString().Trim().ShouldBe("{\"e\":\"café \\\"x\\\"\"}");
    }
}
