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
