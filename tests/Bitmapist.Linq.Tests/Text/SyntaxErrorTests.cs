using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>Each syntax error, snapshotted with its caret: where, what was expected in words, and suggestions.</summary>
public class SyntaxErrorTests
{
    public static TheoryData<string, string> Errors() => new()
    {
        { "month(active", "Line 1, column 13: expected ')' or ',', found the end of the query\nmonth(active\n            ^" },
        { "count mnth(active)", "Line 1, column 7: unknown function 'mnth': did you mean month?\ncount mnth(active)\n      ^" },
        { "weak(active, -1)", "Line 1, column 1: unknown function 'weak': did you mean week?\nweak(active, -1)\n^" },
        { "foo(x)", "Line 1, column 1: unknown function 'foo': functions are year, month, week, day, hour, unique, key\nfoo(x)\n^" },
        { "day(active, )", "Line 1, column 13: expected a date like 2026-11-28 or an offset like -1, found ')'\nday(active, )\n            ^" },
        { "day(active, 2026-11)", "Line 1, column 13: expected a day like 2026-11-28 or an offset like -1, found the month 2026-11\nday(active, 2026-11)\n            ^" },
        { "month(active, 2026)", "Line 1, column 15: expected a month like 2026-11 or an offset like -1, found the year 2026\nmonth(active, 2026)\n              ^" },
        { "week(active, 2026-W60)", "Line 1, column 14: 2026-W60 is not a valid date\nweek(active, 2026-W60)\n             ^" },
        { "count", "Line 1, column 6: expected a set like month(active), found the end of the query\ncount\n     ^" },
        { "month(active) & & week(x)", "Line 1, column 17: expected a set like month(active), found '&'\nmonth(active) & & week(x)\n                ^" },
        { "ids month(active) limit x", "Line 1, column 25: expected a number like 10, found 'x'\nids month(active) limit x\n                        ^" },
        { "{1, x}", "Line 1, column 5: expected a user id like 42 or an external id like 'alice', found 'x'\n{1, x}\n    ^" },
        { "{1, 99999999999}", "Line 1, column 5: expected a user id like 42 (0 to 4294967295), found '99999999999'\n{1, 99999999999}\n    ^" },
        { "count active", "Line 1, column 7: 'active' is not a set: write a period function like month(active), or define it first with let active = ...\ncount active\n      ^" },
        { "all (active, -6..0)", "Line 1, column 5: expected a period function (year, month, week, day or hour), found '('\nall (active, -6..0)\n    ^" },
        { "all day(active)", "Line 1, column 15: expected ',', found ')'\nall day(active)\n              ^" },
        { "count month(active)\nids week(active) limit\n", "Line 2, column 23: expected a number like 10, found the end of the query\nids week(active) limit\n                      ^" },
        { "active during 2026-01..2026-03-05", "Line 1, column 24: expected a month like 2026-11 to end the range, found '2026-03-05'\nactive during 2026-01..2026-03-05\n                       ^" },
        { "month(active, $)", "Line 1, column 15: unexpected '$'\nmonth(active, $)\n              ^" },
        { "let = month(active)", "Line 1, column 5: expected a name, found '='\nlet = month(active)\n    ^" },
        { "percent month(active) month(x)", "Line 1, column 23: expected 'of' or an operator (and, or, xor, -), found 'month'\npercent month(active) month(x)\n                      ^" },
        { "key(active)", "Line 1, column 5: expected a quoted key like 'trackist_active_2026-11', found 'active'\nkey(active)\n    ^" },
        { "42 month(a)", "Line 1, column 4: expected 'in', found 'month'\n42 month(a)\n   ^" },
        { "\tcount (", "Line 1, column 9: expected a set like month(active), found the end of the query\n\tcount (\n\t       ^" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Error_message_with_caret(string source, string expected)
    {
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(source));
        e.Message.ShouldBe(expected);
        e.Line.ShouldBe(int.Parse(expected[5..expected.IndexOf(',')]));
    }

    [Fact]
    public void Exception_parts()
    {
        var e = Should.Throw<QuerySyntaxException>(() => TextQuery.Parse("count month(active)\n  week(x, )"));
        (e.Line, e.Column).ShouldBe((2, 11));
        e.SourceLine.ShouldBe("  week(x, )");
        e.Caret.ShouldBe("  week(x, )\n          ^");
        e.Problem.ShouldBe("expected a date like 2026-11-28 or an offset like -1, found ')'");
        e.ShouldBeAssignableTo<BitmapistQueryException>();
    }

    [Fact]
    public void ParseSet_rejects_statements() =>
        Should.Throw<QuerySyntaxException>(() => TextQuery.ParseSet("count month(a)")).Problem
            .ShouldBe("expected a single set like month(active), not a statement");
}
