using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Statements;

/// <summary>
/// One paging model for LINQ and text: <see cref="Paging"/> (limit, after, skip) reads the same ids from a
/// <see cref="UserSet"/> as the text statement <c>ids s limit N after ID</c> and as LINQ's Skip/Take.
/// </summary>
public class PagingTests
{
    private static readonly long[] Members = [0, 1, 5, 9, 10, 64, 65, 200, 4096, 70_000, 4_294_967_295];

    private static EmbeddedStore Store() => new();

    [Fact]
    public async Task A_page_is_the_ids_after_after_then_skip_then_limit()
    {
        await using var store = Store();
        var set = store.Ids(Members);
        foreach (var after in new long?[] { null, 0, 5, 6, 65, 70_000, 4_294_967_294, 4_294_967_295 })
            foreach (var skip in new[] { 0, 1, 3, 20 })
                foreach (var limit in new int?[] { null, 0, 1, 4, 100 })
                {
                    var paging = new Paging(limit, after, skip);
                    var expected = Members.Where(i => after is null || i > after).Skip(skip).Take(limit ?? int.MaxValue).ToList();
                    (await set.PageIdsAsync(paging).ToListAsync()).ShouldBe(expected, paging.ToString());
                    if (after is null) (await set.Skip(skip).Take(limit ?? int.MaxValue).ToListAsync()).ShouldBe(expected, "LINQ's Skip/Take is the same page");
                }
    }

    [Fact]
    public async Task PageAsync_pages_through_a_set_and_says_when_nothing_follows()
    {
        await using var store = Store();
        var set = store.Ids(Members);
        foreach (var limit in new[] { 1, 3, Members.Length, Members.Length + 1 })
        {
            var read = new List<long>();
            Paging? next = Paging.First(limit);
            var pages = 0;
            while (next is { } paging)
            {
                var page = await set.PageAsync(paging);
                page.Ids.Count.ShouldBeLessThanOrEqualTo(limit);
                read.AddRange(page.Ids);
                next = page.Next;
                pages++;
            }
            read.ShouldBe([.. Members], $"limit {limit}");
            pages.ShouldBe((Members.Length + limit - 1) / limit, "a page that ends exactly at the last id has no next page");
        }
        var whole = await set.PageAsync(Paging.All);
        whole.Ids.ShouldBe(Members, "no limit: every id");
        whole.Next.ShouldBeNull("nothing follows");
        (await set.PageAsync(new Paging(0))).Next.ShouldBeNull("a limit of 0 reads nothing");
    }

    [Theory]
    [InlineData("ids SET", null, null)]
    [InlineData("ids SET limit 5", 5, null)]
    [InlineData("ids SET after 41", null, 41L)]
    [InlineData("ids SET limit 5 after 0", 5, 0L)]
    public void The_ids_statement_names_its_page(string text, int? limit, long? after)
    {
        var statement = (QueryStatement)TextQuery.Parse(text.Replace("SET", "month(active)", StringComparison.Ordinal)).Single();
        statement.Paging.ShouldBe(new Paging(limit, after));
        // The factory builds the statement the parser reads back.
        var built = QueryStatement.Ids(statement.Query.Set, statement.Paging);
        (built.Query, built.Limit, built.Text).ShouldBe((statement.Query, statement.Limit, statement.Text));
        ((QueryStatement)TextQuery.Parse(built.Text).Single()).Paging.ShouldBe(statement.Paging);
    }

    [Fact]
    public void Reads_other_than_ids_have_no_page() =>
        ((QueryStatement)TextQuery.Parse("count month(active)").Single()).Paging.ShouldBe(Paging.All);

    [Fact]
    public void After_the_largest_id_is_an_empty_page_as_in_the_text()
    {
        var parsed = (QueryStatement)TextQuery.Parse("ids month(active) after 4294967295").Single();
        var built = QueryStatement.Ids(SetExpr.Event("active", PeriodRef.Relative(Bitmapist.Linq.Model.PeriodUnit.Month)), new Paging(after: 4_294_967_295));
        (built.Query, built.Limit).ShouldBe((parsed.Query, parsed.Limit));
        new Paging(after: 4_294_967_295).IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void Skip_has_no_text_and_an_ids_statement_refuses_it()
    {
        var e = Should.Throw<ArgumentException>(() => QueryStatement.Ids(SetExpr.Universe, new Paging(10, skip: 20)));
        e.Message.ShouldContain("limit 10 skip 20");
        e.Message.ShouldContain("PageIdsAsync");
    }

    [Fact]
    public void Bad_pages_are_refused_before_any_read()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new Paging(-1)).Message.ShouldContain("limit cannot be negative");
        Should.Throw<ArgumentOutOfRangeException>(() => new Paging(skip: -1)).Message.ShouldContain("negative number");
        Should.Throw<ArgumentOutOfRangeException>(() => new Paging(after: -1)).Message.ShouldContain("outside [0, 4294967295]");
        Should.Throw<ArgumentOutOfRangeException>(() => new Paging(after: 4_294_967_296));
    }

    [Fact]
    public void Next_keeps_the_limit_and_moves_after_the_last_id()
    {
        var page = new Paging(10, 5, 3);
        page.Next(77).ShouldBe(new Paging(10, 77));
        page.From.ShouldBe(6);
        Paging.All.From.ShouldBe(0);
        page.ToString().ShouldBe("limit 10 after 5 skip 3");
        Paging.All.ToString().ShouldBe("");
    }
}
