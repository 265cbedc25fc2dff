using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>The first hour of a new user: errors that say what is wrong in words, and a short, safe echo of the query.</summary>
public class SyntaxErrorPapercutTests
{
    private static QuerySyntaxException Fails(string source) => Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(source));

    [Fact]
    public void An_unclosed_quote_is_an_unterminated_quoted_name()
    {
        var e = Fails("count month('song:played)");
        e.Problem.ShouldBe("unterminated quoted name: the ' that starts here has no closing '");
        e.Column.ShouldBe(13);
        Fails("count month(\"x)").Problem.ShouldStartWith("unterminated quoted name: the \"");
    }

    [Fact]
    public void A_name_with_non_ascii_letters_is_told_to_use_quotes()
    {
        Fails("count month(ünïcode)").Problem.ShouldBe("unexpected 'ü': a name without quotes is ASCII letters, digits and _ : . only; quote it: 'ünïcode'");
        TextQuery.ParseSet("month('ünïcode')").ShouldBe(SetExpr.Event("ünïcode", PeriodRef.Relative(Bitmapist.Linq.Model.PeriodUnit.Month)));
    }

    [Fact]
    public void A_misspelt_option_gets_a_did_you_mean()
    {
        Fails("ids month(active) limt 5").Problem.ShouldEndWith("(did you mean 'limit' instead of 'limt'?)");
        Fails("percent month(active) fo month(signup)").Problem.ShouldEndWith("(did you mean 'of' instead of 'fo'?)");
        // An event name inside a function call is never taken for a misspelt option.
        Fails("count month(limt) &").Problem.ShouldNotContain("did you mean");
    }

    [Fact]
    public void Limit_and_after_come_in_either_order_once_each()
    {
        var a = TextQuery.Parse("ids month(active) limit 5 after 9").ShouldHaveSingleItem().ShouldBeOfType<QueryStatement>();
        var b = TextQuery.Parse("ids month(active) after 9 limit 5").ShouldHaveSingleItem().ShouldBeOfType<QueryStatement>();
        b.ShouldBe(a);
        (a.Limit, a.Query.Id).ShouldBe((5, 10u));
        var twice = Fails("ids month(active) limit 5 limit 6");
        (twice.Problem, twice.Column).ShouldBe(("'limit' is given twice", 27));
        Fails("ids month(active) after 1 limit 2 AFTER 3").Problem.ShouldBe("'after' is given twice");
    }

    [Fact]
    public void A_long_line_is_echoed_as_a_window_around_the_caret()
    {
        var source = "count " + string.Concat(Enumerable.Repeat("month(active) | ", 2000)) + ")";
        var e = Fails(source);
        e.SourceLine.ShouldBe(source);
        var lines = e.Caret.Split('\n');
        lines[0].Length.ShouldBeLessThanOrEqualTo(2 * QuerySyntaxException.Window + 6);
        lines[0].ShouldStartWith("...");
        lines[1].Length.ShouldBe(3 + QuerySyntaxException.Window + 1); // "..." then the window's left half, then the caret
        lines[0][lines[1].Length - 1].ShouldBe(')');
        e.Message.Length.ShouldBeLessThan(400);
    }

    [Fact]
    public void Control_characters_are_never_echoed_raw()
    {
        var e = Fails("count month(a\u0001b) & \u001b[31m");
        e.Problem.ShouldBe("unexpected '\\u0001'");
        e.Message.ShouldNotContain("\u0001");
        e.Message.ShouldNotContain("\u001b");
        e.Caret.Split('\n')[0].ShouldBe("count month(a?b) & ?[31m");
    }

    [Fact]
    public async Task An_event_name_with_a_control_character_is_refused_at_mark_time()
    {
        using var store = new EmbeddedStore();
        var e = await Should.ThrowAsync<ArgumentException>(() => store.MarkAsync("sign\nup", 1));
        e.Message.ShouldContain("'sign\\nup' holds a control character (at position 5)");
        (await store.ListEventsAsync()).ShouldBeEmpty();
    }
}
