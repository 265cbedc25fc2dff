namespace Bitmapist.Cli.Tests;

/// <summary>Every failure is one sentence on stderr and a non-zero exit code: 2 for a bad command line, 1 for a failed command.</summary>
public sealed class ErrorTests(SampleFile sample) : IClassFixture<SampleFile>
{
    [Theory]
    [InlineData("abc", "not a user id")]
    [InlineData("-1", "outside [0, 4294967295]")]
    [InlineData("4294967296", "outside [0, 4294967295]")]
    [InlineData("1.5", "not a user id")]
    public async Task Bad_ids_are_usage_errors(string id, string fragment)
    {
        (await CliHarness.Run("in", id, "active", "--data", sample.Path)).ShouldFailWith(2, fragment);
    }

    [Theory]
    [InlineData("--at", "yesterday")]
    [InlineData("--at", "2026-13-01")]
    [InlineData("--at", "2026-W54")]
    [InlineData("--now", "soon")]
    public async Task Bad_dates_are_usage_errors(string option, string value)
    {
        (await CliHarness.Run("count", "active", option, value, "--data", sample.Path)).ShouldFailWith(2, value);
    }

    [Fact]
    public async Task Bad_period_and_format_are_usage_errors()
    {
        (await CliHarness.Run("count", "active", "--period", "fortnight", "--data", sample.Path)).ExitCode.ShouldBe(2);
        (await CliHarness.Run("count", "active", "--format", "xml", "--data", sample.Path)).ExitCode.ShouldBe(2);
        (await CliHarness.Run("count", "premium", "--period", "unique", "--at", "2026-11", "--data", sample.Path)).ShouldFailWith(2, "unique");
        (await CliHarness.Run("ids", "active", "--limit", "-1", "--data", sample.Path)).ShouldFailWith(2, "--limit");
    }

    [Fact]
    public async Task Unknown_command_missing_argument_and_no_command_are_usage_errors()
    {
        var unknown = await CliHarness.Run("frobnicate");
        unknown.ExitCode.ShouldBe(2);
        unknown.Err.ShouldContain("frobnicate");
        unknown.Out.ShouldBeEmpty();
        var missing = await CliHarness.Run("count");
        missing.ExitCode.ShouldBe(2);
        missing.Err.ShouldContain("bitmapist count --help");
        (await CliHarness.Run()).ShouldFailWith(2, "give a command");
    }

    [Fact]
    public async Task Redis_and_data_together_are_a_usage_error()
    {
        (await CliHarness.Run("events", "--redis", "localhost", "--data", sample.Path)).ShouldFailWith(2, "either --redis or --data");
    }

    [Fact]
    public async Task A_missing_store_file_is_an_error_for_reads()
    {
        using var dir = CliHarness.TempDir();
        var missing = dir.File("missing.bms");
        (await CliHarness.Run("count", "active", "--data", missing)).ShouldFailWith(1, "does not exist");
        File.Exists(missing).ShouldBeFalse();
    }

    [Fact]
    public async Task A_damaged_store_file_is_reported_and_left_untouched()
    {
        using var dir = CliHarness.TempDir();
        var damaged = dir.File("damaged.bms");
        var bytes = File.ReadAllBytes(sample.Path)[..4096];
        File.WriteAllBytes(damaged, bytes);
        (await CliHarness.Run("events", "--data", damaged)).ShouldFailWith(1, "damaged");
        (await CliHarness.Run("mark", "x", "1", "--data", damaged)).ShouldFailWith(1, "damaged");
        File.ReadAllBytes(damaged).ShouldBe(bytes);

        var other = dir.File("notes.txt");
        File.WriteAllText(other, "not a store");
        (await CliHarness.Run("count", "active", "--data", other)).ShouldFailWith(1, "header");
    }

    [Fact]
    public async Task An_unreachable_redis_is_one_sentence()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        (await CliHarness.Run("count", "active", "--redis", "127.0.0.1:1,connectTimeout=1000")).ShouldFailWith(1, "Cannot connect to Redis");
    }

    [Fact]
    public async Task Verbose_adds_the_causes_one_line_each_after_the_sentence()
    {
        var run = await CliHarness.Run("count", "active", "--redis", "127.0.0.1:1,connectTimeout=1000", "--verbose");
        run.ExitCode.ShouldBe(1);
        var lines = run.Err.TrimEnd().Split('\n');
        lines[0].ShouldStartWith("bitmapist: Cannot connect to Redis");
        lines[0].ShouldNotContain("Exception");
        // The client's own message, which the sentence leaves out, is there under --verbose and only there.
        lines.Skip(1).ShouldNotBeEmpty();
        lines.Skip(1).ShouldAllBe(l => l.StartsWith("bitmapist:   caused by "));
        lines.Skip(1).ShouldContain(l => l.Contains("StackExchange.Redis.RedisConnectionException"));
        run.Err.ShouldNotContain("   at ");
        (await CliHarness.Run("count", "active", "--redis", "127.0.0.1:1,connectTimeout=1000")).Err.ShouldNotContain("caused by");
    }
}
