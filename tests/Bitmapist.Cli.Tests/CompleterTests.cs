using Bitmapist.Cli.Repl;
using Bitmapist.Grammar;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// The REPL's completer reads the grammar's keyword table (<see cref="QueryGrammar.Keywords"/>): every keyword the
/// grammar defines is offered where it fits and quoted as an event name, so a keyword added to the grammar cannot be
/// forgotten here.
/// </summary>
public sealed class CompleterTests
{
    private static readonly Completer NoStore = new((_, _) => Task.FromResult<IReadOnlyList<string>>([]), () => []);

    /// <summary>The words the parser really treats as keywords: the grammar's key terms that are words.</summary>
    public static TheoryData<string> GrammarKeywords() =>
        [.. new QueryGrammar().KeyTerms.Keys.Where(k => char.IsAsciiLetter(k[0])).Select(k => k.ToLowerInvariant()).Distinct().Order()];

    private static async Task<IReadOnlyList<string>> Offered(string before, string word) =>
        [.. (await NoStore.CompleteAsync(before, word, CancellationToken.None)).Select(c => c.Display)];

    [Theory]
    [MemberData(nameof(GrammarKeywords))]
    public async Task Every_keyword_is_offered_inside_a_cohort_statement_and_quoted_as_an_event_name(string keyword)
    {
        (await Offered("cohort signup ", keyword[..1])).ShouldContain(keyword);
        (await Offered("cohort signup then active by week ", keyword)).ShouldContain(keyword);
        Completer.Quote(keyword).ShouldBe($"'{keyword}'");
        Completer.Quote(keyword.ToUpperInvariant()).ShouldBe($"'{keyword.ToUpperInvariant()}'");
    }

    [Fact]
    public async Task A_cohorts_words_are_offered_only_in_a_cohort_statement()
    {
        // "cou" must still complete to "count " at the start of a statement: "counts" is a cohort's option.
        (await Offered("", "cou")).ShouldBe(["count"]);
        (await Offered("count month(a); ", "cou")).ShouldBe(["count"]);
        (await Offered("cohort signup then active by week ", "cou")).ShouldBe(["count", "counts"]);
        (await Offered("cohort signup then active by week; ", "cou")).ShouldBe(["count"], "the cohort ended at ';'");
        (await Offered("count month('cohort') ", "ro")).ShouldBeEmpty("a quoted name is not the cohort keyword");
        (await Offered("COHORT signup then active ", "b")).ShouldBe(["by"]);
    }

    [Fact]
    public async Task Trend_and_funnel_and_their_words_are_offered_where_they_fit()
    {
        (await Offered("", "tre")).ShouldBe(["trend"]);
        (await Offered("", "fun")).ShouldBe(["funnel"]);
        (await Offered("trend active ", "b")).ShouldBe(["by"]);
        (await Offered("trend active by day ", "wi")).ShouldBe(["window", "within"]);
        (await Offered("trend active by day ", "r")).ShouldBe(["rows"]);
        (await Offered("trend active by day rows 30 ", "fr")).ShouldBe(["from"]);
        (await Offered("trend active by day window 7 ", "o")).ShouldBe(["of", "or"]);
        (await Offered("funnel signup ", "th")).ShouldBe(["then"]);
        (await Offered("FUNNEL signup then active by week ", "withi")).ShouldBe(["within"]);
        (await Offered("count month(a) ", "wi")).ShouldBeEmpty("the table statements' words only inside one");
        (await Offered("trend active by day; count month(a) ", "wi")).ShouldBeEmpty("the trend ended at ';'");
    }

    [Fact]
    public async Task Functions_are_offered_with_their_parenthesis_and_keywords_with_a_space()
    {
        var completions = await NoStore.CompleteAsync("cohort signup then active ", "mon", CancellationToken.None);
        completions.ShouldBe([new Completion("month", "month(")]);
        (await NoStore.CompleteAsync("cohort a then b ", "unb", CancellationToken.None)).ShouldBe([new Completion("unbounded", "unbounded ")]);
    }
}
