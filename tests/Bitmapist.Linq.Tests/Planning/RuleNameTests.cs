using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Planning.Rules;

namespace Bitmapist.Linq.Tests.Planning;

/// <summary>A rule's class, its file and the name explain prints in its <c>rewrites:</c> lines are one name.</summary>
public partial class RuleNameTests
{
    private static IEnumerable<IRewriteRule> AllRules => Optimizer.Rules.Append(Optimizer.Complement);

    public static TheoryData<string> RuleTypes() => [.. AllRules.Select(r => r.GetType().Name)];

    [Theory]
    [MemberData(nameof(RuleTypes))]
    public void The_printed_name_is_the_class_name_in_kebab_case(string typeName)
    {
        var rule = AllRules.Single(r => r.GetType().Name == typeName);
        typeName.ShouldEndWith("Rule");
        Kebab(typeName[..^"Rule".Length]).ShouldBe(rule.Name);
    }

    [Theory]
    [MemberData(nameof(RuleTypes))]
    public void The_file_is_named_after_the_class(string typeName) =>
        File.ReadAllText(Path.Combine(RulesDirectory(), typeName + ".cs")).ShouldContain($"class {typeName} ");

    [Fact]
    public void Every_rule_file_is_a_rule_the_optimizer_runs()
    {
        var files = Directory.GetFiles(RulesDirectory(), "*.cs").Select(Path.GetFileNameWithoutExtension).Where(f => f != nameof(IRewriteRule));
        files.Order().ShouldBe(AllRules.Select(r => r.GetType().Name).Order());
    }

    private static string Kebab(string pascal) => Capital().Replace(pascal, m => (m.Index > 0 ? "-" : "") + m.Value.ToLowerInvariant());

    private static string RulesDirectory([CallerFilePath] string path = "") =>
        Path.Combine(Path.GetDirectoryName(path)!, "..", "..", "..", "src", "Bitmapist.Linq", "Planning", "Rules");

    [GeneratedRegex("[A-Z]")]
    private static partial Regex Capital();
}
