using Bitmapist.Linq.Text;
using Irony.Parsing;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>
/// The parser's tables are built once per process, ahead of the first parse when a host asks
/// (<see cref="TextQuery.Prepare"/>), and on the paths a Native AOT build can run.
/// </summary>
public class PrepareTests
{
    [Fact]
    public async Task Prepare_starts_one_build_and_parsing_uses_its_tables()
    {
        var first = TextQuery.Prepare();
        TextQuery.Prepare().ShouldBeSameAs(first, "a second call must not queue a second build");
        await first;
        TextQuery.LanguageData.ShouldBeSameAs(TextQuery.LanguageData);
        TextQuery.LanguageData.CanParse().ShouldBeTrue();
        TextQuery.ParseSet("month(active) & week(active)").Text.ShouldBe("(month(active) & week(active))");
    }

    [Fact]
    public async Task Parses_that_race_the_build_all_succeed()
    {
        // Whoever comes first builds the tables; the others wait for them (this process may have built them already,
        // which the assertion does not mind: every parse must succeed and agree either way).
        var parses = Enumerable.Range(0, 8).Select(i => Task.Run(() => TextQuery.ParseSet($"month(e{i}) | week(e{i})").Text)).ToList();
        parses.Add(Task.Run(async () => { await TextQuery.Prepare(); return "prepared"; }));
        var texts = await Task.WhenAll(parses);
        texts[..8].ShouldBe(Enumerable.Range(0, 8).Select(i => $"(month(e{i}) | week(e{i}))").ToArray());
    }

    [Fact]
    public void The_grammar_never_builds_ast_nodes()
    {
        // Irony builds AST nodes by reflection (AstBuilder, its one trim warning), which a Native AOT build cannot
        // promise to keep; the CLI's project silences that warning (IL2104) because this flag is off.
        TextQuery.LanguageData.Grammar.LanguageFlags.HasFlag(LanguageFlags.CreateAst).ShouldBeFalse();
    }
}
