using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Tests;

/// <summary>import: CSV lines through the bulk path; bad lines reported by number and skipped, good lines kept.</summary>
public sealed class ImportCommandTests : IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Imports_good_lines_and_reports_bad_ones_by_number()
    {
        var csv = _dir.File("events.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "user_id,event,timestamp",              // 1: header
            "1,signup,2026-11-28T10:00:00",         // 2
            "2,\"song:played\",2026-11-28T11:00:00", // 3: quoted
            "x,signup,2026-11-28",                   // 4: bad id
            "3,signup,yesterday",                    // 5: bad timestamp
            "",                                      // 6: blank, ignored
            "4,signup",                              // 7: missing field
            "4294967296,signup,2026-11-28",          // 8: id out of range
            "5,\"sign,up\",2026-11-27T23:59:59Z",    // 9: comma inside quotes
            "6,signup,\"2026-11-28",                 // 10: unclosed quote
        ]);
        var store = _dir.File("store.bms");
        var result = await CliHarness.Run("import", csv, "--data", store, "--format", "json");
        result.ExitCode.ShouldBe(Cli.Skipped, result.Err);
        using var doc = System.Text.Json.JsonDocument.Parse(result.Out);
        var json = doc.RootElement;
        json.GetProperty("imported").GetInt64().ShouldBe(3);
        json.GetProperty("bad").GetInt64().ShouldBe(5);
        json.GetProperty("badLines").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([4, 5, 7, 8, 10]);
        json.GetProperty("header").GetString().ShouldBe("user_id,event,timestamp");
        QueryCommandTests.Strings(json.GetProperty("events")).ShouldBe(["sign,up", "signup", "song:played"]);
        result.Err.ShouldContain("line 4 skipped: 'x' is not a user id");
        result.Err.ShouldContain("line 5 skipped: 'yesterday' is not a date or timestamp");
        result.Err.ShouldContain("line 7 skipped: expected 3 fields (user id, event, timestamp) separated by commas, found 2.");
        result.Err.ShouldContain("line 8 skipped: User id 4294967296 is outside");
        result.Err.ShouldContain("line 10 skipped: a quoted field is not closed.");
        result.Err.ShouldContain("5 lines skipped; the other records were imported, exit status 3.");

        using var saved = CliHarness.OpenStore(store);
        (await saved.Day("signup", 2026, 11, 28).ToListAsync()).ShouldBe([1]);
        (await saved.Day("song:played", 2026, 11, 28).ToListAsync()).ShouldBe([2]);
        (await saved.Day("sign,up", 2026, 11, 27).ToListAsync()).ShouldBe([5]);
    }

    [Fact]
    public async Task A_reserved_event_name_is_a_bad_line_not_the_end_of_the_import()
    {
        // 'bitop_...' keys are bit-operation results (bitmapist's and ours): such an event would be invisible to listing.
        var csv = _dir.File("reserved.csv");
        await File.WriteAllLinesAsync(csv, ["1,signup,2026-11-28", "2,bitop_and,2026-11-28", "3,bitop,2026-11-28", "4,signup,2026-11-28", "5,bitops,2026-11-28"]);
        var store = _dir.File("store.bms");
        var result = await CliHarness.Run("import", csv, "--data", store);
        result.ExitCode.ShouldBe(Cli.Skipped, result.Err);
        result.Out.ShouldContain("imported 3 records (2 events)");
        result.Err.ShouldContain("line 2 skipped: the event name 'bitop_and' is reserved: keys starting with 'bitop_' are bit-operation results.");
        result.Err.ShouldContain("line 3 skipped: the event name 'bitop' is reserved");
        using var saved = CliHarness.OpenStore(store);
        (await saved.Day("signup", 2026, 11, 28).ToListAsync()).ShouldBe([1, 4]);
        (await saved.Day("bitops", 2026, 11, 28).ToListAsync()).ShouldBe([5]);
    }

    [Fact]
    public async Task A_file_without_header_and_with_unique_flags()
    {
        var csv = _dir.File("plain.csv");
        await File.WriteAllLinesAsync(csv, ["10,active,2026-11-01T08:00:00", "11,active,2026-11-02T09:00:00"]);
        var store = _dir.File("store.bms");
        var result = await CliHarness.Run("import", csv, "--unique", "--hourly", "--data", store);
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ShouldContain("imported 2 records (1 event)");
        using var saved = CliHarness.OpenStore(store);
        (await saved.Unique("active").ToListAsync()).ShouldBe([10, 11]);
        (await saved.Hour("active", 2026, 11, 2, 9).ToListAsync()).ShouldBe([11]);
        // --unique adds the flag to the dated keys (bitmapist's track_unique=True), as mark --unique does.
        (await saved.Day("active", 2026, 11, 1).ToListAsync()).ShouldBe([10]);
        (await saved.Month("active", 2026, 11).ToListAsync()).ShouldBe([10, 11]);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancelled_import_from_a_pipe_says_how_far_it_got_and_that_rerunning_finishes_it(bool idMap)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "mkfifo");
        var fifo = _dir.File("events.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) await mkfifo.WaitForExitAsync();
        var store = _dir.File("store.bms");
        // 600 KB: far more than the 64 KiB the import reads ahead to detect the format plus a pipe's buffer (64 KiB), so
        // the writer's flush below returns only once the import is reading records, past opening the store.
        // By external id, 60,000: more than one batch of the id map (50,000), so ids may be made before the cancel.
        var n = idMap ? 60_000 : 20_000;
        string Line(int i) => idMap ? $"user-{i},signup,2026-11-28T10:00:00" : $"{i},signup,2026-11-28T10:00:00";
        string[] mapArgs = idMap ? ["--id-map", "users"] : [];
        var lines = Enumerable.Range(0, n).Select(Line).ToList();
        using var cancel = new CancellationTokenSource();
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var import = Task.Run(() => Cli.RunAsync(["import", fifo, "--data", store, "--no-header", .. mapArgs], stdout, stderr, cancel.Token));
        var writer = new StreamWriter(fifo); // opens once the import opens the pipe
        try
        {
            foreach (var line in lines) await writer.WriteLineAsync(line);
            await writer.FlushAsync(); // returns once the import has read all but the pipe's buffer
            await cancel.CancelAsync();
            await writer.WriteLineAsync(Line(n)); // the record after the cancel: never all imported
            await writer.FlushAsync();
        }
        catch (IOException)
        {
            // The import stopped at the cancel and closed the pipe before the last line: a broken pipe, as expected.
        }
        finally
        {
            try { await writer.DisposeAsync(); } catch (IOException) { }
        }
        (await import).ShouldBe(Cli.Cancelled, stderr.ToString());
        stderr.ToString().ShouldContain("bitmapist: Cancelled after reading ");
        stderr.ToString().ShouldContain(idMap
            ? "Marking is idempotent and the id map 'users' keeps the ids it gave: run the same import again to finish it."
            : "Marking is idempotent: run the same import again to finish it.");

        // The rerun the message promises: every record, none twice, and by external id no user given two ids.
        var csv = _dir.File("events.csv");
        await File.WriteAllLinesAsync(csv, [.. lines, Line(n)]);
        var again = await CliHarness.Run(["import", csv, "--data", store, "--no-header", "--format", "json", .. mapArgs]);
        again.ExitCode.ShouldBe(0, again.Err);
        using var saved = EmbeddedStore.OpenReadOnly(store, new StoreOptions { IdMap = "users" });
        (await saved.Day("signup", 2026, 11, 28).CountAsync()).ShouldBe(n + 1);
        if (idMap) (await saved.IdMap("users").CountAsync()).Allocated.ShouldBe(n + 1);
    }

    [Fact]
    public async Task A_missing_file_or_no_store_is_an_error()
    {
        (await CliHarness.Run("import", _dir.File("nope.csv"), "--data", _dir.File("s.bms"))).ShouldFailWith(2, "No such file");
        var csv = _dir.File("a.csv");
        await File.WriteAllTextAsync(csv, "1,a,2026-11-28\n");
        (await CliHarness.Run("import", csv)).ExitCode.ShouldNotBe(0); // the in-memory sample would lose the writes
    }
}
