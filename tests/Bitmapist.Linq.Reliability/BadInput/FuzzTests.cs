using System.Diagnostics;
using System.Net.Http;
using System.Text;
using Bitmapist.Linq.Reliability.Infrastructure;
using Bitmapist.Linq.Testing;
using Xunit.Abstractions;

namespace Bitmapist.Linq.Reliability.BadInput;

/// <summary>
/// Bad input for a bounded time (<see cref="Budget.Fuzz"/>): query texts run end to end (parse, plan, execute,
/// print - the unit fuzz test only parses them), CSV files imported, and query strings sent to the served cohort
/// form. No crash (an exception out of the entry point, a stack trace, an undocumented exit code or HTTP 500),
/// and no input slower than <see cref="FuzzFigures.Bound"/>.
/// </summary>
[Collection(Serial.Name)]
public sealed class FuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bitmapist-fuzz-" + Guid.NewGuid().ToString("N"));
    private const string Now = "2026-11-28T12:00:00Z";

    private string Data => Path.Combine(_dir, "sample.bmdb");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var sample = await CliRun.Of("--data", Data, "--now", Now, "sample", "--users", "2000", "--days", "30");
        sample.ExitCode.ShouldBe(0, sample.Err);
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Random_and_mutated_queries_run_end_to_end_without_a_crash_or_a_slow_input()
    {
        var figures = new FuzzFigures("query texts (bitmapist query, embedded store)");
        var r = OracleSeed.For(nameof(Random_and_mutated_queries_run_end_to_end_without_a_crash_or_a_slow_input));
        var prefixes = new[] { "", "count ", "ids ", "explain count ", "percent month(active) of ", "cohort signup then " };
        var watch = Stopwatch.StartNew();
        foreach (var text in QueryFuzz.Texts(r.Next(), int.MaxValue))
        {
            if (watch.Elapsed > Budget.Fuzz) break;
            var input = prefixes[r.Next(prefixes.Length)] + text;
            var run = await CliRun.Of("--data", Data, "--now", Now, "--format", r.Next(3) switch { 0 => "json", 1 => "csv", _ => "table" }, "query", input);
            figures.Add(input, $"exit {run.ExitCode}", run.Elapsed, run.Problem(), run.Err);
        }
        output.WriteLine(figures.Report());
        figures.ShouldHoldUp();
    }

    [Fact]
    public async Task Random_and_damaged_csv_files_import_or_fail_cleanly_and_leave_the_store_readable()
    {
        var figures = new FuzzFigures("CSV import (bitmapist import, embedded store)");
        var r = OracleSeed.For(nameof(Random_and_damaged_csv_files_import_or_fail_cleanly_and_leave_the_store_readable));
        var file = Path.Combine(_dir, "in.csv");
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Budget.Fuzz)
        {
            var bytes = CsvFuzz.File(r);
            await File.WriteAllBytesAsync(file, bytes);
            var args = new List<string> { "--data", Data, "--now", Now, "import", file };
            if (r.Next(4) == 0) args.Add("--hourly");
            if (r.Next(4) == 0) args.Add("--unique");
            var run = await CliRun.Of([.. args]);
            figures.Add(Encoding.UTF8.GetString(bytes), $"exit {run.ExitCode}", run.Elapsed, run.Problem(import: true), run.Err);
        }
        // Whatever was imported, the store file still opens and answers.
        var count = await CliRun.Of("--data", Data, "--now", Now, "count", "active");
        count.ExitCode.ShouldBe(0, count.Err);
        output.WriteLine(figures.Report());
        figures.ShouldHoldUp();
    }

    [Fact]
    public async Task Random_query_strings_to_the_served_cohort_form_get_a_page_or_a_400_never_a_crash()
    {
        var figures = new FuzzFigures("served cohort form (bitmapist cohort --serve)");
        var r = OracleSeed.For(nameof(Random_query_strings_to_the_served_cohort_form_get_a_page_or_a_400_never_a_crash));
        var port = FreePort();
        var stdout = new StringWriter();
        using var stop = new CancellationTokenSource();
        var server = Cli.Cli.RunAsync(["--data", Data, "--now", Now, "cohort", "signup", "then", "active", "--by", "day", "--rows", "5", "--cols", "4", "--serve", port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TextWriter.Synchronized(stdout), TextWriter.Synchronized(new StringWriter()), stop.Token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        await WaitUntilServing(http, server);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Budget.Fuzz)
        {
            var query = FormFuzz.QueryString(r);
            var started = Stopwatch.StartNew();
            using var response = await http.GetAsync("/?" + query);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            string? problem = status is 200 or 400 ? null : $"HTTP {status}: {body[..Math.Min(300, body.Length)]}";
            if (body.Contains("   at ", StringComparison.Ordinal)) problem = "a stack trace in the page";
            figures.Add(query, $"HTTP {status}", started.Elapsed, problem);
            server.IsCompleted.ShouldBeFalse($"the server stopped after the query string {query}");
        }
        await stop.CancelAsync();
        (await server).ShouldBe(Cli.Cli.Ok);
        output.WriteLine(figures.Report());
        figures.ShouldHoldUp();
    }

    private static async Task WaitUntilServing(HttpClient http, Task<int> server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (server.IsCompleted) throw new ShouldAssertException($"the cohort server stopped at start with exit code {await server}");
            try
            {
                using var ok = await http.GetAsync("/");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static int FreePort() => Testing.FreePort.Next();
}
