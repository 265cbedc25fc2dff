using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>The parser's documented limits hold exactly at their edges.</summary>
public class ParserEdgeTests
{
    private static string Nested(int depth, string inner) => new string('(', depth) + inner + new string(')', depth);

    [Fact]
    public void Exactly_MaxNesting_grouping_parentheses_are_accepted_and_one_more_is_refused()
    {
        // A function's own parentheses, as in month(active), are not a level of nesting.
        TextQuery.ParseSet(Nested(TextQuery.MaxNesting, "month(active)")).ShouldBe(TextQuery.ParseSet("month(active)"));
        TextQuery.ParseSet(Nested(TextQuery.MaxNesting, "day(active, -6..0)")).ShouldBe(TextQuery.ParseSet("day(active, -6..0)"));
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.ParseSet(Nested(TextQuery.MaxNesting + 1, "month(active)")));
        e.Problem.ShouldBe($"the expression nests more than {TextQuery.MaxNesting} levels deep");
        e.Column.ShouldBe(TextQuery.MaxNesting + 1);
    }

    [Fact]
    public void Parentheses_and_prefix_operators_count_together()
    {
        TextQuery.ParseSet(Nested(TextQuery.MaxNesting / 2, new string('~', TextQuery.MaxNesting / 2) + "users")).ShouldNotBeNull();
        Should.Throw<QuerySyntaxException>(() => TextQuery.ParseSet(Nested(TextQuery.MaxNesting / 2, new string('~', TextQuery.MaxNesting / 2 + 1) + "users")));
    }

    [Fact]
    public async Task The_page_after_the_largest_id_is_empty_not_an_error()
    {
        var statement = TextQuery.Parse("ids {1, 4294967295} after 4294967295").ShouldHaveSingleItem().ShouldBeOfType<QueryStatement>();
        statement.Query.Read.ShouldBe(ReadKind.Ids);
        using var store = new EmbeddedStore();
        (await store.Set(statement.Query.Set).IdsAsync(statement.Query.Id).ToListAsync()).ShouldBeEmpty();

        var before = TextQuery.Parse("ids {1, 4294967295} after 4294967294").ShouldHaveSingleItem().ShouldBeOfType<QueryStatement>();
        (await store.Set(before.Query.Set).IdsAsync(before.Query.Id).ToListAsync()).ShouldBe([4294967295L]);
    }
}
