using Bitmapist.Cli.Repl;
using Bitmapist.Linq.Query;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>--universe SET</c> and the REPL's <c>set universe</c>: <c>users</c>, <c>~x</c> and <c>not x</c> work outside the
/// hosting package, and a universe that is not a positive set is refused with the reason.
/// </summary>
public sealed class UniverseTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private async Task<long> Count(SetExpr set)
    {
        await using var store = CliHarness.OpenStore(sample.Path);
        return await store.Set(set).CountAsync();
    }

    private static readonly SetExpr Premium = SetExpr.Unique("premium");
    private static readonly SetExpr DayActive = SetExpr.Event("active", Linq.Model.Period.Day(2026, 11, 28));

    [Fact]
    public async Task Users_and_complements_count_within_the_universe_given()
    {
        var result = (await CliHarness.Run(sample.Args("query", "count users; count ~day(active); count not day(active) & users", "--universe", "unique(premium)"))).Out
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var premium = await Count(Premium);
        var inactive = await Count(Premium - DayActive);
        premium.ShouldBeGreaterThan(inactive);
        inactive.ShouldBeGreaterThan(0);
        result.ShouldBe([$$"""{"count":{{premium}}}""", $$"""{"count":{{inactive}}}""", $$"""{"count":{{inactive}}}"""]);
    }

    [Fact]
    public async Task Without_a_universe_a_complement_fails_and_says_how_to_give_one()
    {
        (await CliHarness.Run(sample.Args("query", "count ~day(active)"))).ShouldFailWith(Cli.Failed, "needs the universe");
        var help = await CliHarness.Run("--help");
        help.Out.ShouldContain("--universe");
    }

    [Theory]
    [InlineData("month(", "is not a set")]
    [InlineData("users", "uses users")]
    [InlineData("unique(premium) | ~month(active)", "uses a complement")]
    [InlineData("@everyone", "uses a parameter")]
    [InlineData(" ", "needs a set")]
    public async Task A_universe_that_is_not_a_positive_set_is_refused(string universe, string reason)
    {
        // users or ~x inside the universe would reach the engine undefined (an internal error before the check).
        (await CliHarness.Run(sample.Args("query", "count users", "--universe", universe))).ShouldFailWith(Cli.Usage, reason);
    }

    private async Task<(ScriptedTerminal Terminal, ReplSession Session)> Repl(string keys, SetExpr? universe = null)
    {
        var terminal = new ScriptedTerminal(width: 120);
        terminal.Type(keys);
        terminal.Close();
        await using var opened = CliHarness.OpenStore(sample.Path);
        var store = universe is null ? opened : new Linq.Stores.BitmapStore(opened.Backend, opened.Options with { Universe = universe });
        var session = new ReplSession(terminal, store, new History(null), "test");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        (await session.RunAsync(timeout.Token)).ShouldBe(0);
        return (terminal, session);
    }

    [Fact]
    public async Task The_REPL_sets_shows_and_clears_the_universe()
    {
        var (terminal, session) = await Repl("count users\nlet paying = unique(premium)\nset universe paying\nuniverse\ncount ~day(active)\nunset universe\ncount users\n");
        var screen = terminal.Screen;
        var n = (await Count(Premium - DayActive)).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        screen.ShouldContain("set universe unique(user)"); // the first count users: the hint
        screen.ShouldContain("universe = unique(premium)");
        screen.ShouldMatch($@"│\s+{n} │");
        session.Universe.ShouldBeNull();
        screen.Split("needs the universe").Length.ShouldBe(3, screen); // before set, and after unset
        session.History.Entries.ShouldContain("set universe paying");
    }

    [Fact]
    public async Task The_REPL_starts_with_the_universe_of_the_command_line_and_refuses_a_bad_one()
    {
        var (terminal, session) = await Repl("universe\nset universe ~unique(premium)\nset universe\n", Premium);
        var screen = terminal.Screen;
        screen.Split("universe = unique(premium)").Length.ShouldBe(3, screen); // shown twice, the bad one not taken
        screen.ShouldContain("set universe '~unique(premium)' uses a complement");
        session.Universe.ShouldBe(Premium);
    }
}
