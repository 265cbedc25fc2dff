using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary><c>describe EVENT</c> parses, prints back, and leaves <c>describe</c> usable as an event name (the word is not reserved).</summary>
public class DescribeParseTests
{
    [Theory]
    [InlineData("describe active", "active")]
    [InlineData("describe 'song:played'", "song:played")]
    [InlineData("DESCRIBE \"sign up\"", "sign up")]
    [InlineData("describe describe", "describe")]
    public void Describe_names_one_event_and_prints_back(string text, string eventName)
    {
        var statement = TextQuery.Parse(text).ShouldHaveSingleItem().ShouldBeOfType<DescribeStatement>();
        statement.Event.ShouldBe(eventName);
        TextQuery.Parse(statement.Text).ShouldHaveSingleItem().ShouldBe(statement with { Line = 1 });
    }

    [Fact]
    public void The_word_stays_an_event_name_in_sets()
    {
        var statements = TextQuery.Parse("count month(describe)\ndescribe active; describe signup");
        statements.Select(s => s.GetType().Name).ShouldBe(["QueryStatement", "DescribeStatement", "DescribeStatement"]);
    }

    [Fact]
    public void Describe_without_an_event_is_a_syntax_error_that_says_so()
    {
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse("describe"));
        e.Message.ShouldContain("expected an event name");
    }

    [Theory]
    [InlineData("describe percent", "'percent' is a word of the language: write an event of that name in quotes, 'percent'")]
    [InlineData("count month(count)", "'count' is a word of the language: write an event of that name in quotes, 'count'")]
    public void A_keyword_where_an_event_name_goes_says_to_quote_it(string text, string hint)
    {
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(text)).Message.ShouldContain(hint);
        TextQuery.Parse(text.Replace("percent", "'percent'").Replace("(count)", "('count')")).ShouldHaveSingleItem();
    }
}
