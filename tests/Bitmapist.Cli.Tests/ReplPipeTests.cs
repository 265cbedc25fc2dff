using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Bitmapist.Cli.Repl;

namespace Bitmapist.Cli.Tests;

/// <summary>The REPL with stdin not a terminal: statements from a pipe, only results printed.</summary>
public sealed class ReplPipeTests(SampleFile sample) : IClassFixture<SampleFile>, IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();

    public void Dispose() => _dir.Dispose();

    private async Task<CliResult> Pipe(string stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await Cli.RunAsync(args, stdout, stderr, new ReplInput(false, new StringReader(stdin)));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Piped_statements_print_the_same_results_as_the_query_command()
    {
        const string script = "let r = month(active)\n  & week(active)   -- a statement over two lines\ncount r; percent r of month(active)\nevents\nids r limit 3\n42 in r\n";
        var query = await CliHarness.Run(sample.Args("query", script));
        query.ExitCode.ShouldBe(0, query.Err);
        foreach (var args in new[] { sample.Args(), sample.Args("repl") })
        {
            var piped = await Pipe(script, args);
            piped.ExitCode.ShouldBe(0, piped.Err);
            piped.Out.ShouldBe(query.Out);
            piped.Err.ShouldBeEmpty();
        }
        var lines = query.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(5);
        JsonDocument.Parse(lines[0]).RootElement.GetProperty("count").GetInt64().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Piped_table_output_is_only_the_results()
    {
        var piped = await Pipe("count month(active)\n\n# nothing else\n", "--data", sample.Path, "--now", CliHarness.Now);
        piped.ExitCode.ShouldBe(0, piped.Err);
        var lines = piped.Out.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2, piped.Out);
        lines[0].ShouldBe("count");
        long.TryParse(lines[1], out _).ShouldBeTrue(piped.Out);
    }

    [Fact]
    public async Task A_syntax_error_runs_nothing_and_exits_2_with_the_caret()
    {
        var piped = await Pipe("count month(active)\ncount month(active\n", sample.Args());
        piped.ExitCode.ShouldBe(2);
        piped.Out.ShouldBeEmpty();
        piped.Err.ShouldContain("Line 2, column 19: expected ')' or ','");
        piped.Err.ShouldContain("count month(active\n                  ^");
    }

    [Fact]
    public async Task Help_prints_the_help_where_it_stands_and_the_script_goes_on()
    {
        var piped = await Pipe("let r = month(active)\nhelp\ncount r\n?\n", "--data", sample.Path, "--now", CliHarness.Now);
        piped.ExitCode.ShouldBe(0, piped.Err);
        piped.Err.ShouldBeEmpty();
        var count = await CliHarness.Run("query", "count month(active)", "--data", sample.Path, "--now", CliHarness.Now);
        piped.Out.ShouldBe(PipedScript.Help() + "\n" + count.Out + "\n" + PipedScript.Help()); // results set apart by an empty line
        piped.Out.ShouldContain("percent SET of SET");

        // As a result named help in JSON, so the output stays one JSON object per line.
        var json = await Pipe("help;\ncount month(active)\n", sample.Args());
        json.ExitCode.ShouldBe(0, json.Err);
        var lines = json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        JsonDocument.Parse(lines[0]).RootElement.GetProperty("help").GetString().ShouldBe(PipedScript.Help());
        JsonDocument.Parse(lines[1]).RootElement.GetProperty("count").GetInt64().ShouldBeGreaterThan(0);
    }

    [Theory]
    [InlineData("exit")]
    [InlineData("quit")]
    [InlineData("  EXIT;")]
    [InlineData("exit # done")]
    [InlineData("quit -- done")]
    public async Task Exit_and_quit_stop_the_script_with_status_0(string exit)
    {
        // What follows is neither run nor parsed: the syntax error after it does not count.
        var piped = await Pipe($"count month(active)\n{exit}\ncount week(active)\ncount month(active\n", sample.Args());
        piped.ExitCode.ShouldBe(0, piped.Err);
        piped.Err.ShouldBeEmpty();
        var expected = await CliHarness.Run(sample.Args("query", "count month(active)"));
        piped.Out.ShouldBe(expected.Out);
    }

    [Fact]
    public async Task A_command_word_inside_an_unfinished_statement_is_part_of_it()
    {
        var piped = await Pipe("help\ncount month(active,\nexit\n)\n", sample.Args());
        piped.ExitCode.ShouldBe(2);
        piped.Out.ShouldBeEmpty(); // not even the help: a syntax error runs nothing
        piped.Err.ShouldContain("Line 3, column 1: expected a date");
        piped.Err.ShouldContain("exit\n^");
    }

    [Fact]
    public async Task A_failing_statement_stops_the_script_with_status_1_and_keeps_what_was_printed()
    {
        // With now at the calendar's last month, month(active, +1) cannot be resolved: a run-time failure.
        var piped = await Pipe("count month(active)\ncount month(active, +1)\ncount week(active)\n",
            "--data", sample.Path, "--now", "9999-12-15", "--format", "json");
        piped.ExitCode.ShouldBe(1);
        piped.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["{\"count\":0}"]);
        piped.Err.ShouldStartWith("bitmapist: month(active, +1) cannot be resolved");
    }

    [Fact]
    public async Task An_empty_pipe_prints_nothing()
    {
        var piped = await Pipe("", sample.Args());
        piped.ExitCode.ShouldBe(0, piped.Err);
        piped.Out.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_built_executable_reads_statements_from_a_pipe()
    {
        var start = Start(sample.Args());
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync("count month(active)\n42 in day(active)\n");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process.ExitCode.ShouldBe(0, await stderr);
        var expected = await CliHarness.Run(sample.Args("query", "count month(active)\n42 in day(active)"));
        (await stdout).ShouldBe(expected.Out);

        using var bad = Process.Start(Start(sample.Args()))!;
        var badErr = bad.StandardError.ReadToEndAsync();
        var badOut = bad.StandardOutput.ReadToEndAsync();
        await bad.StandardInput.WriteAsync("count month(active) &\n");
        bad.StandardInput.Close();
        await bad.WaitForExitAsync(timeout.Token);
        bad.ExitCode.ShouldBe(2);
        (await badOut).ShouldBeEmpty();
        (await badErr).ShouldContain("^");
    }

    /// <summary>The real console through a pseudo-terminal made by util-linux's <c>script</c>: keys, completion, history, Ctrl-C.</summary>
    [SkippableFact]
    public async Task The_built_executable_runs_interactively_in_a_pseudo_terminal()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "needs util-linux script (Linux)");
        Skip.IfNot(File.Exists("/usr/bin/script"), "util-linux 'script' is not installed: no pseudo-terminal to drive");
        var history = _dir.File("history");
        var dll = Path.Combine(AppContext.BaseDirectory, "bitmapist.dll");
        var command = $"dotnet '{dll}' --data '{sample.Path}' --now {CliHarness.Now} --history '{history}'";
        var start = new ProcessStartInfo("/usr/bin/script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-qfec", command, "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm";
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var reader = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await process.StandardOutput.ReadAsync(buffer)) > 0)
                lock (output) output.Append(buffer, 0, n);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        async Task WaitFor(string text, int count = 1)
        {
            while (true)
            {
                string now;
                lock (output) now = output.ToString();
                if (CountOf(now, text) >= count) return;
                if (process.HasExited || timeout.IsCancellationRequested)
                    throw new ShouldAssertException($"'{text}' never came; the terminal showed:\n{now}");
                await Task.Delay(50);
            }
        }
        async Task Type(string keys)
        {
            await process.StandardInput.WriteAsync(keys);
            await process.StandardInput.FlushAsync();
        }
        try
        {
            await WaitFor(ReplSession.Prompt);
            await Type("cou\tmonth(act\t)\r"); // completion of a keyword and of an event name from the store
            await WaitFor("count │");
            await WaitFor(ReplSession.Prompt, 2);
            await Type("count junk\u0003"); // Ctrl-C drops the line and the session goes on
            await WaitFor("^C");
            await Type("\u001b[A\r"); // Up: the last statement again
            await WaitFor("count │", 2);
            await Type("exit\r");
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        await reader;
        process.ExitCode.ShouldBe(0, output.ToString());
        (await File.ReadAllLinesAsync(history)).ShouldBe(["count month(active)"]);
        CountOf(ScriptedTerminal.Clean(output.ToString()), "count month(active)").ShouldBeGreaterThanOrEqualTo(2);
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static ProcessStartInfo Start(string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "bitmapist.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }
}
