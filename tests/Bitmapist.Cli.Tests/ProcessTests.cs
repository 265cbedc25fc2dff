using System.Diagnostics;
using System.Text.Json;

namespace Bitmapist.Cli.Tests;

/// <summary>The built tool runs as its own process (dotnet bitmapist.dll), outside the test host.</summary>
public sealed class ProcessTests : IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_built_executable_runs_commands_and_reports_errors()
    {
        var file = _dir.File("p.bms");
        var sample = await Run("sample", "--data", file, "--users", "500", "--days", "14", "--now", CliHarness.Now, "--format", "json");
        sample.ExitCode.ShouldBe(0, sample.Err);

        var count = await Run("count", "active", "--period", "week", "--data", file, "--now", CliHarness.Now, "--format", "json");
        count.ExitCode.ShouldBe(0, count.Err);
        using (var store = CliHarness.OpenStore(file))
            JsonDocument.Parse(count.Out).RootElement.GetProperty("count").GetInt64().ShouldBe(await store.Week("active", 2026, 48).CountAsync());

        var bad = await Run("in", "-5", "active", "--data", file);
        bad.ShouldFailWith(2, "outside");
    }

    [Fact]
    public async Task Concurrent_writers_of_one_data_file_never_lose_an_acknowledged_mark()
    {
        // Without a lock across load-change-save, parallel marks load the same old file and the last save wins
        // (reproduced: 10 of 20 processes said "marked", 6 marks survived).
        var file = _dir.File("shared.bmdb");
        const int writers = 4, rounds = 3;
        for (var round = 0; round < rounds; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(w =>
                Run("--data", file, "mark", $"w{w}", round.ToString(), "--at", "2026-11-01")));
            foreach (var r in results) r.ExitCode.ShouldBe(0, r.Err);
        }
        using var store = CliHarness.OpenStore(file);
        for (var w = 0; w < writers; w++)
            (await store.Month($"w{w}", 2026, 11).ToListAsync()).ShouldBe(Enumerable.Range(0, rounds).Select(r => (long)r).ToList(), $"writer w{w}");
    }

    [SkippableFact]
    public async Task Output_to_a_full_disk_is_one_error_line_and_exit_1_not_a_crash()
    {
        // The last flush of stdout used to throw out of Program.cs: a stack trace and exit 134 (abort).
        Skip.IfNot(File.Exists("/dev/full") && File.Exists("/bin/sh"), "needs /dev/full and /bin/sh");
        var dll = Path.Combine(AppContext.BaseDirectory, "bitmapist.dll");
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec dotnet \"$0\" count active --now 2026-11-28T12:00:00Z > /dev/full");
        start.ArgumentList.Add(dll);
        using var process = Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process.ExitCode.ShouldBe(Cli.Failed, stderr);
        stderr.ShouldEndWith("bitmapist: cannot write the output: No space left on device\n");
        stderr.ShouldNotContain("   at ");
    }

    private static async Task<CliResult> Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "bitmapist.dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is built next to the tests");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
