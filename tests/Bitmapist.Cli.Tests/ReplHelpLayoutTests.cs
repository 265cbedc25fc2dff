using Bitmapist.Cli.Repl;

namespace Bitmapist.Cli.Tests;

/// <summary>The REPL's help on narrow and wide terminals: every statement's syntax and example on lines of their own, never wrapped.</summary>
public sealed class ReplHelpLayoutTests
{
    [Theory]
    [InlineData(90, "statement, then an example")]
    [InlineData(200, "example")]
    public async Task Help_shows_each_statement_and_example_whole(int width, string header)
    {
        var terminal = new ScriptedTerminal(width);
        terminal.Type("help\n");
        terminal.Close();
        await using var store = new Linq.Stores.EmbeddedStore();
        await new ReplSession(terminal, store, new History(null), "test").RunAsync(CancellationToken.None);
        var screen = terminal.Screen;
        screen.ShouldContain(header);
        foreach (var (statement, example) in ReplSession.HelpRows)
        {
            screen.ShouldContain(statement); // whole: a wrapped syntax would be cut at the border
            screen.ShouldContain(example);
        }
    }
}
