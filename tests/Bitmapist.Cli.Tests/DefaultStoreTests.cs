namespace Bitmapist.Cli.Tests;

/// <summary>With neither --redis nor --data the CLI runs on the built-in sample data (200,000 users: about two seconds).</summary>
public sealed class DefaultStoreTests
{
    [Fact]
    public async Task Without_a_store_the_built_in_sample_is_used_and_only_noted_on_stderr()
    {
        var result = await CliHarness.Run("events", "--now", CliHarness.Now, "--format", "json");
        QueryCommandTests.Strings(result.Json().GetProperty("events")).ShouldBe(["active", "premium", "signup", "song:played"]);
        result.Err.ShouldContain("built-in sample data");
        result.Err.ShouldContain("2026-11-28");
    }

    [Fact]
    public async Task Explain_needs_no_sample_data()
    {
        var result = await CliHarness.Run("explain", "active", "--period", "day", "--now", CliHarness.Now);
        result.ExitCode.ShouldBe(0);
        result.Out.ShouldContain("trackist_active_2026-11-28");
        result.Err.ShouldBeEmpty();
    }
}
