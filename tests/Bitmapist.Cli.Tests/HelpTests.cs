using System.Text.RegularExpressions;

namespace Bitmapist.Cli.Tests;

public sealed class HelpTests
{
    [Fact]
    public async Task Root_help_lists_every_command_and_global_option()
    {
        var help = await CliHarness.Run("--help");
        help.ExitCode.ShouldBe(0);
        help.Err.ShouldBeEmpty();
        foreach (var word in new[] { "events", "mark", "count", "ids", "in <id> <event>", "explain", "sample", "erase", "--redis", "--data", "--prefix", "--id-map", "--now", "--format" })
            help.Out.ShouldContain(word);
    }

    [Theory]
    [InlineData("events", "<prefix>")]
    [InlineData("mark", "--unique")]
    [InlineData("mark", "--unique-only")]
    [InlineData("mark", "track_unique=True")]
    [InlineData("count", "--period")]
    [InlineData("ids", "--limit")]
    [InlineData("in", "<id>")]
    [InlineData("explain", "--at")]
    [InlineData("sample", "--users")]
    [InlineData("erase", "--resume")]
    [InlineData("erase", "--from-file")]
    public async Task Each_command_has_help(string command, string fragment)
    {
        var help = await CliHarness.Run(command, "--help");
        help.ExitCode.ShouldBe(0);
        help.Out.ShouldContain($"bitmapist {command}");
        help.Out.ShouldContain(fragment);
        help.Out.ShouldContain("--format"); // global options are shown on every command
    }

    [Theory]
    [InlineData("events")]
    [InlineData("mark")]
    [InlineData("import")]
    [InlineData("erase")]
    [InlineData("count")]
    [InlineData("ids")]
    [InlineData("in")]
    [InlineData("explain")]
    [InlineData("sample")]
    [InlineData("cohort")]
    [InlineData("query")]
    [InlineData("repl")]
    public async Task Help_shows_each_default_once(string command)
    {
        // System.CommandLine prints "[default: x]" for an option with a default value: a description must not repeat it.
        var help = await CliHarness.Run(command, "--help");
        help.ExitCode.ShouldBe(0);
        foreach (var line in help.Out.Split('\n'))
            Regex.Matches(line, @"\[default: ").Count.ShouldBeLessThanOrEqualTo(1, line);
    }

    [Fact]
    public async Task Cohort_help_shows_the_serve_limits_defaults()
    {
        var help = await CliHarness.Run("cohort", "--help");
        help.Out.ShouldContain("[default: 10000]");
        help.Out.ShouldContain("[default: 30]");
    }
}
