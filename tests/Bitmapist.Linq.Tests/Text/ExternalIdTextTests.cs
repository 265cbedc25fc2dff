using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>External ids in the text language: quoted members of literal sets and the quoted id of a membership statement.</summary>
public class ExternalIdTextTests
{
    private static SetExpr Month(string e) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month));

    [Theory]
    [InlineData("{'alice', 'bob'}", "{'alice', 'bob'}")]
    [InlineData("{'bob', \"alice\", 'bob'}", "{'alice', 'bob'}")] // repeats removed, ordinal order, double quotes read
    [InlineData("{'o''brien'}", "{'o''brien'}")]
    [InlineData("{\"o'brien\"}", "{'o''brien'}")]
    [InlineData("{'7f3a-11'}", "{'7f3a-11'}")]
    [InlineData("{'42'}", "{'42'}")] // a quoted number is an external id, not the internal id 42
    public void A_literal_of_quoted_ids_is_a_literal_of_external_ids(string text, string printed)
    {
        var set = TextQuery.ParseSet(text);
        set.ShouldBeOfType<ExternalIdsNode>();
        set.Text.ShouldBe(printed);
        TextQuery.ParseSet(set.Text).ShouldBe(set);
    }

    [Fact]
    public void A_mixed_literal_is_the_union_of_its_internal_and_external_ids()
    {
        var set = TextQuery.ParseSet("{1, 'alice', 5, 'bob'}");
        set.ShouldBe(SetExpr.Or(SetExpr.Ids([1, 5]), SetExpr.ExternalIds(["alice", "bob"])));
        TextQuery.ParseSet(set.Text).ShouldBe(set);
    }

    [Fact]
    public void External_literals_combine_with_every_operator()
    {
        var set = TextQuery.ParseSet("month(active) & {'alice', 'bob'} | {'carol'} - month(x) ^ not {'dave'}");
        TextQuery.ParseSet(set.Text).ShouldBe(set);
        set.Text.ShouldContain("{'alice', 'bob'}");
        set.Text.ShouldContain("~{'dave'}");
    }

    [Fact]
    public void The_membership_statement_takes_a_quoted_external_id()
    {
        var statement = TextQuery.Parse("'alice' in month(active)").ShouldHaveSingleItem().ShouldBeOfType<QueryStatement>();
        statement.ExternalId.ShouldBe("alice");
        statement.Query.Read.ShouldBe(ReadKind.Contains);
        statement.Query.Set.ShouldBe(Month("active"));
        statement.Text.ShouldBe("'alice' in month(active)");
        TextQuery.Parse(statement.Text).ShouldHaveSingleItem().ShouldBe(statement);
        TextQuery.Parse("\"o'brien\" in month(active)").ShouldHaveSingleItem().Text.ShouldBe("'o''brien' in month(active)");
        // by internal id, as before
        TextQuery.Parse("42 in month(active)").ShouldHaveSingleItem().ShouldBeOfType<QueryStatement>().ExternalId.ShouldBeNull();
        TextQuery.Parse("explain 'alice' in month(active)").ShouldHaveSingleItem().Text.ShouldBe("explain 'alice' in month(active)");
    }

    [Fact]
    public void A_quoted_name_elsewhere_is_still_a_name()
    {
        // a cohort's quoted template, an event name before during, and a statement after a quoted set on the next line
        TextQuery.Parse("cohort 'sign-up' then active by week").ShouldHaveSingleItem().ShouldBeOfType<CohortStatement>();
        TextQuery.ParseSet("'sign-up' during 2026-01..2026-02").Text.ShouldBe("month('sign-up', 2026-01..2026-02)");
        TextQuery.Parse("count month(a)\n'alice' in month(b)").Select(s => s.Text).ShouldBe(["count month(a)", "'alice' in month(b)"]);
    }

    public static TheoryData<string, string> Errors() => new()
    {
        { "{'alice', ''}", "Line 1, column 11: An external id cannot be empty\n{'alice', ''}\n          ^" },
        { "'' in month(a)", "Line 1, column 1: An external id cannot be empty\n'' in month(a)\n^" },
        { "{'alice', x}", "Line 1, column 11: expected a user id like 42 or an external id like 'alice', found 'x'\n{'alice', x}\n          ^" },
        { "{'alice' 'bob'}", "Line 1, column 10: expected ',' or '}', found the quoted 'bob'\n{'alice' 'bob'}\n         ^" },
        { "ids month(a) after 'alice'", "Line 1, column 20: expected a user id like 42, found the quoted 'alice'\nids month(a) after 'alice'\n                   ^" },
        { "{'alice}", "Line 1, column 2: unterminated quoted name: the ' that starts here has no closing '\n{'alice}\n ^" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Errors_point_at_the_member(string source, string expected) =>
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(source)).Message.ShouldBe(expected);

    [Fact]
    public void An_external_id_over_the_limit_is_refused_with_a_caret()
    {
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse("{1, '" + new string('x', 1025) + "'}"));
        e.Message.ShouldStartWith("Line 1, column 5: The external id 'xxxx");
        e.Message.ShouldContain("1025 bytes of UTF-8; the most is 1024");
    }

    [Fact]
    public void A_literal_counts_its_external_ids_toward_the_most_ids()
    {
        var ids = string.Join(", ", Enumerable.Range(0, TextQuery.MaxLiteralIds + 1).Select(i => $"'u{i}'"));
        Should.Throw<QuerySyntaxException>(() => TextQuery.ParseSet("{" + ids + "}")).Message.ShouldContain($"a literal set holds at most {TextQuery.MaxLiteralIds}");
    }
}
