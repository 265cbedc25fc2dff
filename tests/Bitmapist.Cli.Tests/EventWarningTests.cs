using Bitmapist.Cli.Repl;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// A statement that reads an event with no key in any period warns on stderr (a notice in the REPL) with "did you
/// mean", and still prints its result on stdout and exits 0 (issue 11 item 5: <c>count month(actve)</c> silently gave 0).
/// </summary>
public sealed class EventWarningTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private const string Warning = "bitmapist: warning: The event 'actve' has no data in any period of this store, so it reads as an empty set: did you mean 'active'?";

    [Fact]
    public async Task A_misspelt_event_warns_on_stderr_and_stdout_keeps_the_result()
    {
        var result = await CliHarness.Run(sample.Args("query", "count month(actve)"));
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.Trim().ShouldBe("{\"count\":0}");
        result.Err.Trim().ShouldBe(Warning);
    }

    [Fact]
    public async Task Each_reading_statement_warns_about_its_own_missing_events()
    {
        var result = await CliHarness.Run(sample.Args("query",
            "count month(active); ids day(singup) limit 2; 5 in week(actve); percent month(active) of unique(premum); cohort signup then actve by week rows 2 cols 1; explain count month(actve)"));
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(6);
        var warned = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        warned.ShouldAllBe(l => l.StartsWith("bitmapist: warning: The event '", StringComparison.Ordinal));
        warned.Select(l => l.Split('\'')[1]).ShouldBe(["singup", "actve", "premum", "actve"], "count month(active) and explain read nothing missing");
        warned[0].ShouldEndWith("did you mean 'signup'?");
        warned[2].ShouldEndWith("did you mean 'premium'?");
    }

    [Fact]
    public async Task An_event_with_no_data_in_the_period_read_does_not_warn()
    {
        // The sample's data ends on 2026-11-28: a month in 2020 has none, which is a real 0, not a typo.
        var result = await CliHarness.Run(sample.Args("query", "count month(active, 2020-01) | day(signup, -400)"));
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.Trim().ShouldBe("{\"count\":0}");
        result.Err.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_event_commands_warn_too()
    {
        foreach (var args in new[] { sample.Args("count", "actve"), sample.Args("ids", "actve"), sample.Args("in", "5", "actve") })
        {
            var result = await CliHarness.Run(args);
            result.ExitCode.ShouldBe(0, result.Err);
            result.Out.ShouldNotBeEmpty();
            result.Err.Trim().ShouldBe(Warning, string.Join(' ', args));
        }
        (await CliHarness.Run(sample.Args("count", "active"))).Err.ShouldBeEmpty();
    }

    [Fact]
    public async Task The_cohort_command_warns_too()
    {
        var typo = await CliHarness.Run(sample.Args("cohort", "signup then actve", "--by", "week", "--rows", "2", "--cols", "1"));
        typo.ExitCode.ShouldBe(0, typo.Err);
        typo.Out.ShouldNotBeEmpty();
        typo.Err.Trim().ShouldBe(Warning);
        (await CliHarness.Run(sample.Args("cohort", "signup then active", "--by", "week", "--rows", "2", "--cols", "1"))).Err.ShouldBeEmpty();
    }

    [Fact]
    public async Task Piped_statements_warn_on_stderr()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await Cli.RunAsync(sample.Args("repl"), stdout, stderr, new ReplInput(false, new StringReader("count month(actve)\ncount month(active)\n")));
        code.ShouldBe(0, stderr.ToString());
        stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(2);
        stderr.ToString().Trim().ShouldBe(Warning);
    }

    [Fact]
    public async Task The_repl_shows_a_notice_under_the_result()
    {
        var terminal = new ScriptedTerminal(width: 200); // the notice on one line
        terminal.Type("count month(actve)\ncount month(active)\n");
        terminal.Close();
        await using var store = CliHarness.OpenStore(sample.Path);
        using var dir = CliHarness.TempDir();
        var session = new ReplSession(terminal, store, new History(dir.File("history")), "test");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        (await session.RunAsync(timeout.Token)).ShouldBe(0);

        var screen = terminal.Screen;
        screen.ShouldContain("warning: The event 'actve' has no data in any period of this store, so it reads as an empty set: did you mean 'active'?");
        screen.IndexOf("warning:", StringComparison.Ordinal).ShouldBeGreaterThan(screen.IndexOf("count month(actve)", StringComparison.Ordinal));
        screen.IndexOf("warning:", StringComparison.Ordinal).ShouldBeLessThan(screen.IndexOf("count month(active)", StringComparison.Ordinal));
        screen.Split("warning:").Length.ShouldBe(2, "only the misspelt statement warns");
    }
}
