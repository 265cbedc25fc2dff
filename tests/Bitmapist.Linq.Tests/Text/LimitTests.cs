using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>Each documented limit of the language is exact, and going past it is a syntax error with a caret at the first piece over.</summary>
public class LimitTests
{
    [Fact]
    public void A_query_longer_than_the_limit_is_refused_before_parsing()
    {
        var longest = "count {1}\n" + new string(' ', TextQuery.MaxQueryLength - 10);
        TextQuery.Parse(longest).ShouldHaveSingleItem();

        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(longest + "x"));
        e.Line.ShouldBe(2);
        e.Column.ShouldBe(TextQuery.MaxQueryLength - 10 + 1);
        e.Message.ShouldContain($"the query is {TextQuery.MaxQueryLength + 1} characters long, and at most {TextQuery.MaxQueryLength} are read");
        e.Message.ShouldContain("^");
    }

    [Fact]
    public void A_literal_set_with_more_ids_than_the_limit_points_at_the_first_one_over()
    {
        string Ids(int n) => "count {" + string.Join(", ", Enumerable.Range(1, n)) + "}";
        TextQuery.Parse(Ids(TextQuery.MaxLiteralIds)).ShouldHaveSingleItem();

        var text = Ids(TextQuery.MaxLiteralIds + 1);
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(text));
        e.Line.ShouldBe(1);
        text[(e.Column - 1)..].ShouldBe($"{TextQuery.MaxLiteralIds + 1}}}");
        e.Message.ShouldContain($"the set lists {TextQuery.MaxLiteralIds + 1} ids, and a literal set holds at most {TextQuery.MaxLiteralIds}");
        e.Message.ShouldContain("mark or import them as an event");
    }

    [Fact]
    public void More_let_statements_than_the_limit_point_at_the_first_one_over()
    {
        string Lets(int n) => string.Join('\n', Enumerable.Range(0, n).Select(i => $"let x{i} = month(e{i})"));
        TextQuery.Parse(Lets(TextQuery.MaxLets)).Count.ShouldBe(TextQuery.MaxLets);

        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(Lets(TextQuery.MaxLets + 1)));
        (e.Line, e.Column).ShouldBe((TextQuery.MaxLets + 1, 1));
        e.Message.ShouldContain($"more than {TextQuery.MaxLets} let statements in one query");
    }
}
