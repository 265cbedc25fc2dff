using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

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

    /// <summary>let x0 = month(active); let x1 = x0 | x0; ... let x{n}: x{i} has 2^(i+1) - 1 nodes once the names are replaced.</summary>
    private static List<string> DoublingChain(int lets)
    {
        var lines = new List<string> { "let x0 = month(active)" };
        for (var i = 1; i < lets; i++) lines.Add($"let x{i} = x{i - 1} | x{i - 1}");
        return lines;
    }

    [Fact]
    public void A_let_chain_that_doubles_its_set_at_each_step_is_refused_at_the_first_step_over_the_node_limit()
    {
        // Sixty lines of text; planned as a tree it would be 2^60 nodes (it took the host's 24 GB before the limit).
        var lines = DoublingChain(60);
        lines.Add("count x59");
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(string.Join('\n', lines)));
        // x15 has 65,535 nodes; x16 = x15 | x15 has 131,071, the first over 100,000.
        (e.Line, e.Column).ShouldBe((17, 11));
        e.Message.ShouldContain($"this set has more than {TextQuery.MaxExpandedNodes} nodes once each let name in it is replaced by its set (131071)");
        e.Message.ShouldContain("let x16 = x15 | x15");
        e.Message.ShouldContain("use each name once");
    }

    [Fact]
    public void A_set_of_exactly_the_node_limit_parses_and_one_node_more_points_at_it()
    {
        // x15 (65,535 nodes) | x14 (32,767) | k leaves, under one union node: 1 + 65,535 + 32,767 + k nodes.
        string Text(int leaves) => string.Join('\n', DoublingChain(16)) + "\ncount x15 | x14"
            + string.Concat(Enumerable.Range(0, leaves).Select(i => $" | month(e{i})"));
        var atLimit = TextQuery.MaxExpandedNodes - 1 - 65_535 - 32_767;
        TextQuery.Parse(Text(atLimit)).Count.ShouldBe(17);

        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(Text(atLimit + 1)));
        (e.Line, e.Column).ShouldBe((17, 7));
        e.Message.ShouldContain($"({TextQuery.MaxExpandedNodes + 1})");
    }

    [Fact]
    public void A_doubling_let_chain_just_under_the_node_limit_still_answers()
    {
        using var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)) });
        foreach (var id in new[] { 3L, 5, 8 }) store.Mark("active", id, new DateTime(2026, 11, 2));
        store.Mark("active", 13, new DateTime(2026, 10, 2)); // last month: not in month(active)
        var lines = DoublingChain(16);
        lines.Add("count x15");
        var query = TextQuery.Parse(string.Join('\n', lines))[^1].ShouldBeOfType<QueryStatement>().Query;

        store.Set(query.Set).Count().ShouldBe(3);
    }
}
