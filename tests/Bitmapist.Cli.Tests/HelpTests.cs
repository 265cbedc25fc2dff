namespace Bitmapist.Cli.Tests;

public sealed class HelpTests
{
    [Fact]
    public async Task Root_help_lists_every_command_and_global_option()
    {
        var help = await CliHarness.Run("--help");
        help.ExitCode.ShouldBe(0);
        help.Err.ShouldBeEmpty();
        foreach (var word in new[] { "events", "mark", "count", "ids", "in <id> <event>", "explain", "sample", "--redis", "--data", "--prefix", "--now", "--format" })
            help.Out.ShouldContain(word);
    }

    [Theory]
    [InlineData("events", "<prefix>")]
    [InlineData("mark", "--unique")]
    [InlineData("count", "--period")]
    [InlineData("ids", "--limit")]
    [InlineData("in", "<id>")]
    [InlineData("explain", "--at")]
    [InlineData("sample", "--users")]
    public async Task Each_command_has_help(string command, string fragment)
    {
        var help = await CliHarness.Run(command, "--help");
        help.ExitCode.ShouldBe(0);
        help.Out.ShouldContain($"bitmapist {command}");
        help.Out.ShouldContain(fragment);
        help.Out.ShouldContain("--format"); // global options are shown on every command
    }
}
