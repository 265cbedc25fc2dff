using Bitmapist.Grammar;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>
/// One keyword table (<see cref="QueryGrammar.Keywords"/>): every keyword the grammar's rules define is in it, the
/// printer quotes it, and the syntax-error describer knows what it is. (The REPL's completer is checked in the CLI's
/// tests.) A keyword added to a rule and forgotten in one of these fails here.
/// </summary>
public class KeywordTableTests
{
    /// <summary>The words the parser really treats as keywords: the grammar's key terms that are words.</summary>
    public static TheoryData<string> GrammarKeywords() => [.. Words()];

    private static IEnumerable<string> Words() =>
        new QueryGrammar().KeyTerms.Keys.Where(k => char.IsAsciiLetter(k[0])).Select(k => k.ToLowerInvariant()).Distinct().Order();

    [Fact]
    public void The_table_holds_exactly_the_grammars_keywords()
    {
        var words = Words().ToList();
        QueryGrammar.Keywords.Select(k => k.Word).Order().ShouldBe(words);
        QueryGrammar.Keywords.Select(k => k.Word).ShouldBeUnique();
    }

    [Theory]
    [MemberData(nameof(GrammarKeywords))]
    public void The_printer_quotes_every_keyword_and_reads_it_back(string keyword)
    {
        foreach (var spelling in new[] { keyword, keyword.ToUpperInvariant() })
        {
            TextSyntax.Name(spelling).ShouldBe($"'{spelling}'");
            var set = SetExpr.Event(spelling, PeriodRef.Relative(PeriodUnit.Month));
            TextQuery.ParseSet(set.Text).ShouldBe(set);
        }
    }

    [Theory]
    [MemberData(nameof(GrammarKeywords))]
    public void The_describer_knows_every_keyword(string keyword)
    {
        var k = QueryGrammar.Find(keyword).ShouldNotBeNull();
        var alone = SyntaxErrorDescriber.Phrase(keyword, set: false, units: false);
        var inSet = SyntaxErrorDescriber.Phrase(keyword, set: true, units: false);
        if (k.StartsStatement) alone.ShouldBeNull("a statement keyword is said as 'a statement'");
        else if (k.Kind == KeywordKind.Operator) alone.ShouldBe("an operator (and, or, xor, -)");
        else alone.ShouldBe($"'{keyword}'");
        if (k.Kind is KeywordKind.PeriodFunction or KeywordKind.Function or KeywordKind.Set or KeywordKind.Modifier or KeywordKind.Prefix)
            inSet.ShouldBeNull("a word that starts a set is said as 'a set like month(active)'");
    }

    [Fact]
    public void The_period_functions_and_the_functions_come_from_the_table()
    {
        QueryGrammar.PeriodFunctions.ShouldBe(["year", "month", "week", "day", "hour"]);
        QueryGrammar.FunctionNames.ShouldBe(["year", "month", "week", "day", "hour", "unique", "key"]);
        QueryGrammar.StatementKeywords.Order().ShouldBe(["cohort", "count", "describe", "events", "explain", "funnel", "ids", "let", "percent", "trend"]);
        QueryGrammar.Keywords.Where(k => !k.Reserved).Select(k => k.Word).Order()
            .ShouldBe(["by", "cohort", "cols", "counts", "describe", "first", "from", "funnel", "rows", "since", "trend", "unbounded", "window", "within"]); // events may have these names unquoted
    }
}
