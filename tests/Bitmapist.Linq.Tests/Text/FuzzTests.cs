using System.Diagnostics;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>Random and mutated queries: the only failure allowed is a syntax error, and every parse is quick.</summary>
public class FuzzTests
{
    private static readonly string[] Vocabulary =
    [
        "count", "ids", "in", "percent", "of", "explain", "events", "let", "limit", "after", "all", "during", "users",
        "month", "week", "day", "hour", "year", "unique", "key", "and", "or", "xor", "not", "(", ")", "{", "}", ",", "..",
        ";", "\n", "&", "|", "^", "-", "~", "!", "=", "@p", "active", "'song:played'", "\"q\"", "''", "0", "-1", "+2", "42",
        "2026", "2026-11", "2026-W48", "2026-W60", "2026-11-28", "2026-13-40", "2026-11-28T14", "99999999999", "--", "#",
        "mnth", "x.y", "$", "'unterminated",
    ];

    private static readonly string[] Seeds =
    [
        "count month(active) & week('song:played') - week(active, -1)",
        "ids all day(active, -6..0) limit 10 after 41",
        "42 in active during 2026-01-03..2026-03-05 | {1, 5, 42}",
        "percent month(active) of month(signup, -1); explain count users & ~unique(premium)",
        "let r = month(active) xor key('trackist_a_2026-11')\nr - @p",
    ];

    [Fact]
    public void Random_and_mutated_queries_fail_only_with_syntax_errors()
    {
        var r = new Random(20261128);
        TextQuery.Parse(Seeds[0]); // warm up
        var slowest = TimeSpan.Zero;
        var slowestText = "";
        for (var i = 0; i < 20000; i++)
        {
            var text = i % 2 == 0 ? Soup(r) : Mutate(r, Seeds[r.Next(Seeds.Length)]);
            var watch = Stopwatch.StartNew();
            try
            {
                TextQuery.Parse(text);
            }
            catch (QuerySyntaxException e)
            {
                e.Line.ShouldBeGreaterThan(0);
                e.Column.ShouldBeGreaterThan(0);
                e.Message.ShouldContain("^");
            }
            catch (Exception e)
            {
                throw new ShouldAssertException($"{e.GetType().Name} for {text}: {e}");
            }
            if (watch.Elapsed > slowest) (slowest, slowestText) = (watch.Elapsed, text);
        }
        slowest.ShouldBeLessThan(TimeSpan.FromMilliseconds(100), slowestText);
    }

    [Fact]
    public void Deep_nesting_is_a_syntax_error_not_a_crash()
    {
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(new string('(', 5000) + "users" + new string(')', 5000)))
            .Problem.ShouldBe($"the expression nests more than {TextQuery.MaxNesting} levels deep");
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(new string('~', 5000) + "users"));
        TextQuery.ParseSet(string.Join(" & ", Enumerable.Range(0, 5000).Select(i => $"day(e{i})"))).Children.Length.ShouldBe(5000);
    }

    private static string Soup(Random r) =>
        string.Join(r.Next(3) == 0 ? "" : " ", Enumerable.Range(0, r.Next(1, 25)).Select(_ => Vocabulary[r.Next(Vocabulary.Length)]));

    private const string Alphabet = "(){},.;'\"-&|^~!@#0123456789 \nabcW:T";

    private static string Mutate(Random r, string s)
    {
        var chars = s.ToList();
        for (var n = r.Next(1, 4); n > 0 && chars.Count > 0; n--)
        {
            var at = r.Next(chars.Count);
            switch (r.Next(3))
            {
                case 0: chars.RemoveAt(at); break;
                case 1: chars.Insert(at, Alphabet[r.Next(Alphabet.Length)]); break;
                default: chars[at] = Alphabet[r.Next(Alphabet.Length)]; break;
            }
        }
        return new string([.. chars]);
    }
}
