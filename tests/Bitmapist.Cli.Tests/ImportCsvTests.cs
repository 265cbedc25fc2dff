using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Bitmapist.Cli.Tests;

/// <summary>import's reading of CSV: header detection, delimiters, RFC 4180 quoting, epoch timestamps, refused inputs, capped errors.</summary>
public sealed class ImportCsvTests : IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();
    private readonly string _store;

    public ImportCsvTests() => _store = _dir.File("store.bms");

    public void Dispose() => _dir.Dispose();

    private async Task<CliResult> Import(string content, params string[] args)
    {
        var csv = _dir.File($"in-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(csv, content, new UTF8Encoding(false));
        return await CliHarness.Run(["import", csv, "--data", _store, .. args]);
    }

    private async Task<List<long>> Day(string name, int year, int month, int day)
    {
        using var saved = CliHarness.OpenStore(_store);
        return await saved.Day(name, year, month, day).ToListAsync();
    }

    [Fact]
    public async Task A_one_line_tab_separated_file_is_one_record_not_a_header()
    {
        var result = await Import("7\tsignup\t2026-11-28T10:00:00\n");
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ShouldContain("imported 1 record (1 event) into");
        result.Err.ShouldBeEmpty();
        (await Day("signup", 2026, 11, 28)).ShouldBe([7]);
    }

    [Fact]
    public async Task A_bad_first_line_of_a_headerless_file_is_reported_not_taken_as_a_header()
    {
        var result = await Import("x,signup,2026-11-28\n2,signup,2026-11-28\n", "--format", "json");
        result.ExitCode.ShouldBe(Cli.Skipped, result.Err);
        result.Err.ShouldContain("line 1 skipped: 'x' is not a user id");
        result.Err.ShouldNotContain("header");
        using var doc = JsonDocument.Parse(result.Out);
        doc.RootElement.GetProperty("badLines").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([1]);
        doc.RootElement.GetProperty("header").ValueKind.ShouldBe(JsonValueKind.Null);
        (await Day("signup", 2026, 11, 28)).ShouldBe([2]);
    }

    [Fact]
    public async Task A_detected_header_is_named_on_stderr_with_the_reason()
    {
        var result = await Import("user_id,event,timestamp\n1,a,2026-11-28\n");
        result.ExitCode.ShouldBe(0, result.Err);
        result.Err.ShouldContain("took the first line 'user_id,event,timestamp' as a header and skipped it: its first field 'user_id' is not a user id and its third 'timestamp' is not a timestamp. Give --no-header");
        (await Day("a", 2026, 11, 28)).ShouldBe([1]);
    }

    [Fact]
    public async Task Header_options_override_detection()
    {
        // --no-header: the header line is a record, and a bad one.
        var asData = await Import("user_id,event,timestamp\n1,a,2026-11-28\n", "--no-header");
        asData.ExitCode.ShouldBe(Cli.Skipped, asData.Err);
        asData.Err.ShouldContain("line 1 skipped: 'user_id' is not a user id");
        // --header: the first line is skipped though it reads as a record, without a note.
        var skipped = await Import("1,b,2026-11-28\n2,b,2026-11-28\n", "--header");
        skipped.ExitCode.ShouldBe(0, skipped.Err);
        skipped.Err.ShouldBeEmpty();
        (await Day("b", 2026, 11, 28)).ShouldBe([2]);
        (await Import("1,b,2026-11-28\n", "--header", "--no-header")).ShouldFailWith(2, "give --header or --no-header, not both.");
    }

    [Fact]
    public async Task Delimiters_are_detected_or_given()
    {
        (await Import("id\tevent\tat\n1\ttab\t2026-11-28\n")).ExitCode.ShouldBe(0);
        (await Day("tab", 2026, 11, 28)).ShouldBe([1]);
        (await Import("2;semi;2026-11-28\n")).ExitCode.ShouldBe(0);
        (await Day("semi", 2026, 11, 28)).ShouldBe([2]);
        // Given: a comma then is part of the event name.
        (await Import("3;a,b;2026-11-28\n", "--delimiter", ";")).ExitCode.ShouldBe(0);
        (await Day("a,b", 2026, 11, 28)).ShouldBe([3]);
        (await Import("4|pipe|2026-11-28\n", "--delimiter", "|")).ExitCode.ShouldBe(0);
        (await Day("pipe", 2026, 11, 28)).ShouldBe([4]);
        (await Import("5\tx\t2026-11-28\n", "--delimiter", "\\t")).ExitCode.ShouldBe(0);
        (await Day("x", 2026, 11, 28)).ShouldBe([5]);

        var wrong = await Import("6;y;2026-11-28\n", "--delimiter", ",", "--no-header");
        wrong.ExitCode.ShouldBe(Cli.Skipped);
        wrong.Err.ShouldContain("line 1 skipped: expected 3 fields (user id, event, timestamp) separated by commas, found 1; the line holds semicolons: give --delimiter ';'.");
        (await Import("6,y,2026-11-28\n", "--delimiter", "x")).ShouldFailWith(2, "'x' is not a delimiter: give --delimiter ',', ';', '|' or tab");
    }

    [Fact]
    public async Task Epoch_seconds_and_milliseconds_are_told_apart_by_magnitude()
    {
        var result = await Import(string.Join('\n',
            "1,s,1764324000",          // 2025-11-28T10:00:00Z in seconds
            "2,ms,1764324000123",      // the same in milliseconds
            "3,frac,1764324000.5",     // seconds with a fraction
            "4,year,2026",             // four digits: a year
            "5,big,123456789012345",   // 15 digits: neither
            ""), "--format", "json");
        result.ExitCode.ShouldBe(Cli.Skipped, result.Err);
        result.Err.ShouldContain("line 5 skipped: '123456789012345' is too large for Unix time: seconds are below 100,000,000,000 and milliseconds below 100,000,000,000,000.");
        (await Day("s", 2025, 11, 28)).ShouldBe([1]);
        (await Day("ms", 2025, 11, 28)).ShouldBe([2]);
        (await Day("frac", 2025, 11, 28)).ShouldBe([3]);
        (await Day("year", 2026, 1, 1)).ShouldBe([4]);
    }

    [Fact]
    public async Task Rfc_4180_quoting_with_line_breaks_inside_quotes()
    {
        var result = await Import(
            "1,\"he said \"\"hi\"\"\",2026-11-28\n" + // 1: doubled quotes
            "2,\"a|b;c\",2026-11-28\n" +            // 2: delimiters of other kinds inside quotes
            "3,\"two\nlines\",2026-11-28\n" +        // 3-4: a line break inside quotes, one record (an event name may not hold it)
            "4,after,\"2026-11-28\"\n" +             // 5: quoted timestamp, read on its own line
            "6,\"z\"w,2026-11-28\n" +                // 6: text after the closing quote
            "7,ok,2026-11-28\n" +                    // 7
            "5,x\"y,2026-11-28\n" +                  // 8: a quote inside an unquoted field, open to the end
            "8,lost,2026-11-28\n",                   // 9: read as part of line 8
            "--delimiter", ",", "--format", "json");
        result.ExitCode.ShouldBe(Cli.Skipped, result.Err);
        using var doc = JsonDocument.Parse(result.Out);
        doc.RootElement.GetProperty("badLines").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([3, 6, 8]);
        result.Err.ShouldContain("line 3 skipped: the event name contains the control character U+000A: event names are printable text.");
        result.Err.ShouldContain("line 6 skipped: text after the closing quote of a quoted field");
        result.Err.ShouldContain("line 8 skipped: a quote inside an unquoted field: quote the whole field and double the quotes inside it (\"a \"\"b\"\"\"). Lines 8 to 9 were read as one record");
        (await Day("ok", 2026, 11, 28)).ShouldBe([7]);
        (await Day("he said \"hi\"", 2026, 11, 28)).ShouldBe([1]);
        (await Day("a|b;c", 2026, 11, 28)).ShouldBe([2]);
        (await Day("after", 2026, 11, 28)).ShouldBe([4]);
    }

    [Fact]
    public async Task Crlf_line_endings_and_an_empty_file()
    {
        var result = await Import("user,event,ts\r\n1,crlf,2026-11-28\r\n\"2\",\"cr lf\",\"2026-11-28\"\r\n");
        result.ExitCode.ShouldBe(0, result.Err);
        (await Day("crlf", 2026, 11, 28)).ShouldBe([1]);
        (await Day("cr lf", 2026, 11, 28)).ShouldBe([2]);
        var empty = await Import("");
        empty.ExitCode.ShouldBe(0, empty.Err);
        empty.Out.ShouldContain("imported 0 records");
    }

    [Fact]
    public async Task A_directory_is_named_as_one()
    {
        (await CliHarness.Run("import", _dir.Path, "--data", _store)).ShouldFailWith(2, $"'{_dir.Path}' is a directory: give a CSV file");
        File.Exists(_store).ShouldBeFalse();
    }

    [Fact]
    public async Task Binary_input_is_refused_before_anything_is_read()
    {
        var binary = _dir.File("data.bin");
        var bytes = new byte[200_000];
        new Random(3).NextBytes(bytes);
        bytes[100] = 0;
        await File.WriteAllBytesAsync(binary, bytes);
        var result = await CliHarness.Run("import", binary, "--data", _store);
        result.ShouldFailWith(2, "is not a text file (byte ");
        result.Err.Trim().Split('\n').Length.ShouldBe(1);
        File.Exists(_store).ShouldBeFalse();

        // Valid UTF-8 but with NUL bytes: UTF-16 without a byte order mark.
        var nul = _dir.File("nul.csv");
        await File.WriteAllBytesAsync(nul, Encoding.Unicode.GetBytes("1,a,2026-11-28\n"));
        (await CliHarness.Run("import", nul, "--data", _store)).ShouldFailWith(2, "is not a text file (byte 1 is NUL)");

        var latin1 = _dir.File("latin1.csv");
        await File.WriteAllBytesAsync(latin1, [.. "1,caf"u8, 0xE9, .. ",2026-11-28\n"u8]);
        (await CliHarness.Run("import", latin1, "--data", _store)).ShouldFailWith(2, "is not a text file (byte 5 is not UTF-8)");

        var utf16 = _dir.File("utf16.csv");
        await File.WriteAllTextAsync(utf16, "1,a,2026-11-28\n", Encoding.Unicode);
        (await CliHarness.Run("import", utf16, "--data", _store)).ShouldFailWith(2, "is UTF-16 text");

        // A UTF-8 byte order mark is not part of the first field.
        var bom = _dir.File("bom.csv");
        await File.WriteAllTextAsync(bom, "9,bom,2026-11-28\n", new UTF8Encoding(true));
        (await CliHarness.Run("import", bom, "--data", _store)).ExitCode.ShouldBe(0);
        (await Day("bom", 2026, 11, 28)).ShouldBe([9]);
    }

    [Fact]
    public async Task Stdin_is_read_past_the_checked_prefix_by_the_built_executable()
    {
        // 8,000 tab-separated lines (~190 KiB): the first 64 KiB are checked, then replayed before the rest of stdin.
        var lines = Enumerable.Range(0, 8000).Select(i => $"{i}\tpiped-event-name\t2026-11-{1 + i % 28:00}T12:00:00");
        var piped = await RunWithStdin(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), "import", "-", "--data", _store, "--format", "json");
        piped.ExitCode.ShouldBe(0, piped.Err);
        using (var doc = JsonDocument.Parse(piped.Out)) doc.RootElement.GetProperty("imported").GetInt64().ShouldBe(8000);
        using (var saved = CliHarness.OpenStore(_store))
            (await saved.Month("piped-event-name", 2026, 11).CountAsync()).ShouldBe(8000);

        var binary = await RunWithStdin([.. "1,a,2026-11-28\n"u8, 0, 1, 2], "import", "-", "--data", _store);
        binary.ShouldFailWith(2, "stdin is not a text file (byte 15 is NUL)");
    }

    private static async Task<CliResult> RunWithStdin(byte[] stdin, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bitmapist.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Help_documents_the_options_and_the_exit_status()
    {
        var help = await CliHarness.Run("import", "--help");
        help.ExitCode.ShouldBe(0);
        foreach (var part in new[] { "--header", "--no-header", "--delimiter", "Unix seconds/milliseconds", "3 some lines skipped" })
            help.Out.ShouldContain(part);
    }

    [Fact]
    public async Task Printed_errors_are_capped_with_a_summary_and_json_lists_every_line()
    {
        var lines = Enumerable.Range(1, 1234).Select(i => $"{i},e,never").Prepend("0,e,2026-11-28");
        var result = await Import(string.Join('\n', lines) + "\n", "--format", "json");
        result.ExitCode.ShouldBe(Cli.Skipped);
        var err = result.Err.Trim().Split('\n');
        err.Count(l => l.Contains(" skipped: ", StringComparison.Ordinal)).ShouldBe(Commands.ImportCommand.ListedProblems);
        err[^1].ShouldBe("bitmapist: 1,234 lines skipped (first 10 shown; --format json lists every line number); the other records were imported, exit status 3.");
        using var doc = JsonDocument.Parse(result.Out);
        doc.RootElement.GetProperty("imported").GetInt64().ShouldBe(1);
        doc.RootElement.GetProperty("badLines").GetArrayLength().ShouldBe(1234);
    }

    [Fact]
    public async Task No_message_ends_with_double_punctuation()
    {
        var result = await Import(string.Join('\n',
            "user,event,time",
            "x,a,2026-11-28", "4294967296,a,2026-11-28", "1,,2026-11-28", "1,a,yesterday", "1,a", "1;a;2026-11-28",
            "1,\"a\"b,2026-11-28", "1,a,123456789012345", "1,a,2026-W60", "1,a\"b,2026-11-28", "2,a,2026-11-28"), "--format", "json");
        result.ExitCode.ShouldBe(Cli.Skipped);
        var unclosed = await Import("1,a,\"2026\n2,a,2026\n");
        var messages = result.Err.Trim().Split('\n').Concat(unclosed.Err.Trim().Split('\n')).ToList();
        messages.Count.ShouldBe(14); // the header note, 10 bad lines (the last two as one), the summary; a bad line and its summary
        foreach (var message in messages)
        {
            message.ShouldEndWith(".");
            Regex.IsMatch(message, @"[.;:,!?]\s*[.;:,!?]").ShouldBeFalse(message);
        }
        foreach (var refused in new[]
                 {
                     await CliHarness.Run("import", _dir.File("nope.csv"), "--data", _store),
                     await CliHarness.Run("import", _dir.Path, "--data", _store),
                     await Import("1,a,2026\n", "--delimiter", "?"),
                 })
            Regex.IsMatch(refused.Err.Trim(), @"[.;:,!?]\s*[.;:,!?]").ShouldBeFalse(refused.Err);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_record_over_16_MiB_from_a_stray_quote_names_its_line_and_imports_nothing(int badLine)
    {
        // A quote never closed runs on to the end: 700,000 good lines (17.5 MB) after it make one record over Sep's 16 MiB.
        var csv = _dir.File("stray-quote.csv");
        await using (var writer = new StreamWriter(csv, false, new UTF8Encoding(false)))
        {
            for (var line = 1; line < badLine; line++) await writer.WriteAsync($"{line},signup,2026-11-01\n");
            await writer.WriteAsync("2,\"oops,2026-11-01\n");
            for (var i = 0; i < 700_000; i++) await writer.WriteAsync("123456,signup,2026-11-01\n");
        }
        var result = await CliHarness.Run("import", csv, "--data", _store);
        result.ShouldFailWith(Cli.Usage, $"the record starting on line {badLine} is longer than 16 MiB");
        result.Err.ShouldContain($"most likely a quote on line {badLine} is never closed");
        result.Err.ShouldNotContain("Unexpected error");
        result.Out.ShouldBeEmpty();
        File.Exists(_store).ShouldBeFalse(); // nothing imported: the store was never saved
    }

    [Fact]
    public async Task A_line_the_given_delimiter_does_not_split_is_a_bad_line_not_a_header()
    {
        var result = await Import("1|signup|2026-11-28\n", "--delimiter", ";");
        result.ExitCode.ShouldBe(Cli.Skipped, result.Err);
        result.Err.ShouldContain("line 1 skipped: expected 3 fields (user id, event, timestamp) separated by semicolons, found 1; the line holds '|': give --delimiter '|'");
        result.Err.ShouldNotContain("header");
        result.Out.ShouldContain("imported 0 records (0 events) into");
        result.Out.ShouldContain("; 1 bad line skipped");
    }

    [Fact]
    public async Task Counts_of_one_are_singular_and_others_plural()
    {
        var one = await Import("1,a,2026-11-28\nx,a,2026-11-28\n", "--no-header");
        one.Out.ShouldContain("imported 1 record (1 event) into");
        one.Out.ShouldContain("; 1 bad line skipped");
        var two = await Import("1,a,2026-11-28\n2,b,2026-11-28\nx,a,2026-11-28\ny,a,2026-11-28\n", "--no-header");
        two.Out.ShouldContain("imported 2 records (2 events) into");
        two.Out.ShouldContain("; 2 bad lines skipped");
    }
}
