namespace Bitmapist.Cli.Tests;

/// <summary>The global <c>--layout</c> option: parsing, its errors, and what it does with the stores that need no server.</summary>
public sealed class LayoutOptionTests
{
    [Theory]
    [InlineData("shardy", "'shardy' is not a key layout: write 'bitmapist'")]
    [InlineData("sharded:7", "'sharded:7': a shard width must be 8 to 24 bits")]
    [InlineData("sharded:25", "'sharded:25': a shard width must be 8 to 24 bits")]
    [InlineData("sharded:", "'sharded:' is not a key layout")]
    public async Task A_bad_layout_is_refused_with_the_librarys_message(string layout, string message)
    {
        (await CliHarness.Run("query", "count month(active)", "--layout", layout, "--now", CliHarness.Now))
            .ShouldFailWith(Cli.Usage, "--layout: " + message);
    }

    [Fact]
    public async Task The_sample_answers_the_same_in_either_layout_and_explain_shows_the_shards()
    {
        string[] Args(string layout, string statement) => ["query", statement, "--layout", layout, "--now", CliHarness.Now, "--format", "json"];
        const string statements = "count month(active); count week(active) & day(signup, -3); ids day(song:played, -1) limit 20; percent week(active) of month(active)";
        var bitmapist = await CliHarness.Run(Args("bitmapist", statements));
        var sharded = await CliHarness.Run(Args("sharded:8", statements));
        bitmapist.ExitCode.ShouldBe(0, bitmapist.Err);
        sharded.ExitCode.ShouldBe(0, sharded.Err);
        sharded.Out.ShouldBe(bitmapist.Out);
        sharded.Out.ShouldNotContain("\"count\":0}"); // the sample has data in every one of these

        var explain = (await CliHarness.Run(Args("SHARDED:8", "explain count month(active) & week(signup)"))).Json().GetProperty("explain").GetString()!;
        explain.ShouldContain("sharded layout (shards of 2^8 ids");
        (await CliHarness.Run(Args("bitmapist", "explain count month(active)"))).Json().GetProperty("explain").GetString()!
            .ShouldNotContain("sharded layout");
    }

    [Fact]
    public async Task An_embedded_file_keeps_bitmapists_layout()
    {
        using var dir = CliHarness.TempDir();
        (await CliHarness.Run("mark", "active", "1", "--data", dir.File("s.bms"), "--layout", "sharded"))
            .ShouldFailWith(Cli.Usage, "--layout sharded:20 with --data: an embedded store file keeps bitmapist's layout");
        File.Exists(dir.File("s.bms")).ShouldBeFalse();
        // bitmapist's layout named explicitly is the default, and accepted.
        (await CliHarness.Run("mark", "active", "1", "--data", dir.File("s.bms"), "--layout", "bitmapist")).ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Help_names_the_layouts_and_the_migrate_command()
    {
        var help = await CliHarness.Run("--help");
        help.Out.ShouldContain("--layout");
        help.Out.ShouldContain("migrate");
        var migrate = await CliHarness.Run("migrate", "--help");
        migrate.ExitCode.ShouldBe(0);
        foreach (var word in new[] { "bitmapist migrate", "--from", "--to", "--from-layout", "--to-prefix", "--verify", "--layout" })
            migrate.Out.ShouldContain(word);
    }

    [Fact]
    public async Task Migrate_needs_its_two_stores_and_a_layout_it_can_read()
    {
        (await CliHarness.Run("migrate", "--to", "localhost:1")).ShouldFailWith(Cli.Usage, "--from");
        (await CliHarness.Run("migrate", "--from", "localhost:1", "--to", "localhost:2", "--redis", "localhost:3"))
            .ShouldFailWith(Cli.Usage, "migrate takes its stores from --from and --to, not from --redis or --data");
        (await CliHarness.Run("migrate", "--from", "localhost:1", "--to", "localhost:2", "--from-layout", "flat"))
            .ShouldFailWith(Cli.Usage, "--from-layout: 'flat' is not a key layout");
        (await CliHarness.Run("migrate", "--from", " ", "--to", "localhost:2"))
            .ShouldFailWith(Cli.Usage, "--from and --to need a connection string");
    }
}
