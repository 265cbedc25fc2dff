using Bitmapist.Grammar;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Text;
using Irony.Parsing;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>The grammar, the tree walker and the printer agree: text parses into the query model and back.</summary>
public class TextQueryTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    private static SetExpr Month(string e, int offset = 0) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, offset));

    private static SetExpr Set(string text) => TextQuery.ParseSet(text);

    [Fact]
    public void The_grammar_has_no_conflicts()
    {
        var language = new LanguageData(new QueryGrammar());
        language.Errors.ShouldBeEmpty(string.Join("\n", language.Errors));
        language.ErrorLevel.ShouldBe(GrammarErrorLevel.NoError);
        TextQuery.LanguageData.Errors.ShouldBeEmpty();
    }

    [Theory]
    // and binds tighter than xor, which binds tighter than or
    [InlineData("a | b & c", "(a | (b & c))")]
    [InlineData("a & b | c", "((a & b) | c)")]
    [InlineData("a ^ b & c", "(a ^ (b & c))")]
    [InlineData("a | b ^ c", "(a | (b ^ c))")]
    [InlineData("a or b xor c and d", "(a | (b ^ (c & d)))")]
    // & and - share a level and associate to the left
    [InlineData("a - b & c", "((a - b) & c)")]
    [InlineData("a & b - c", "((a & b) - c)")]
    [InlineData("a - b - c", "(a - b - c)")]
    [InlineData("a - (b - c)", "(a - (b - c))")]
    // chains of one operator are one node; parentheses keep their node
    [InlineData("a & b & c", "(a & b & c)")]
    [InlineData("a & (b & c)", "(a & (b & c))")]
    [InlineData("a | b | c", "(a | b | c)")]
    [InlineData("a ^ b ^ c", "(a ^ b ^ c)")]
    // prefix not binds tightest
    [InlineData("not a & b", "(~a & b)")]
    [InlineData("~(a & b)", "~(a & b)")]
    [InlineData("!~a", "~~a")]
    [InlineData("a AND NOT b", "(a & ~b)")]
    public void Precedence_and_associativity(string text, string expected)
    {
        var names = new Dictionary<string, SetExpr> { ["a"] = Month("a"), ["b"] = Month("b"), ["c"] = Month("c"), ["d"] = Month("d") };
        var parsed = TextQuery.ParseSet(text, names);
        parsed.Text.ShouldBe(expected.Replace("a", "month(a)").Replace("b", "month(b)").Replace("c", "month(c)").Replace("d", "month(d)"));
    }

    public static TheoryData<string, SetExpr> Leaves() => new()
    {
        { "month(active)", Month("active") },
        { "MONTH(active, 0)", Month("active") },
        { "month(active, 2026-11)", SetExpr.Event("active", Period.Month(2026, 11)) },
        { "month(active, -1)", Month("active", -1) },
        { "month(active, +2)", Month("active", 2) },
        { "week('song:played', 2026-W48)", SetExpr.Event("song:played", Period.Week(2026, 48)) },
        { "week(song:played, 2026-W48)", SetExpr.Event("song:played", Period.Week(2026, 48)) },
        { "day(active, 2026-11-28)", SetExpr.Event("active", Period.Day(2026, 11, 28)) },
        { "hour(active, 2026-11-28T14)", SetExpr.Event("active", Period.Hour(2026, 11, 28, 14)) },
        { "year(active, 2026)", SetExpr.Event("active", Period.Year(2026)) },
        { "year(active, -1)", SetExpr.Event("active", PeriodRef.Relative(PeriodUnit.Year, -1)) },
        { "unique(premium)", SetExpr.Unique("premium") },
        { "day(active, -6..0)", SetExpr.Range("active", PeriodRef.Relative(PeriodUnit.Day, -6), PeriodRef.Relative(PeriodUnit.Day)) },
        { "all day(active, -6..0)", SetExpr.Range("active", PeriodRef.Relative(PeriodUnit.Day, -6), PeriodRef.Relative(PeriodUnit.Day), RangeMode.All) },
        { "day(active, 2026-11-01..0)", SetExpr.Range("active", PeriodRef.Of(Period.Day(2026, 11, 1)), PeriodRef.Relative(PeriodUnit.Day)) },
        { "active during 2026-01-03..2026-03-05", SetExpr.Range("active", PeriodRef.Of(Period.Day(2026, 1, 3)), PeriodRef.Of(Period.Day(2026, 3, 5))) },
        { "'song:played' during 2026-10..2026-11", SetExpr.Range("song:played", PeriodRef.Of(Period.Month(2026, 10)), PeriodRef.Of(Period.Month(2026, 11))) },
        { "{1, 5, 42}", SetExpr.Ids([1, 5, 42]) },
        { "{42, 5, 1, 5}", SetExpr.Ids([1, 5, 42]) },
        { "{}", SetExpr.Empty },
        { "users", SetExpr.Universe },
        { "@p", SetExpr.Parameter("p") },
        { "key('trackist_a_2026-11')", SetExpr.Key("trackist_a_2026-11") },
        { "month('it''s', -1)", Month("it's", -1) },
        { "month(\"say \"\"hi\"\"\")", Month("say \"hi\"") },
        { "month('count')", Month("count") },
        { "month(Active) -- a comment\n", Month("Active") },
        { "# a comment\nmonth(active)", Month("active") },
    };

    [Theory]
    [MemberData(nameof(Leaves))]
    public void Every_kind_of_set_parses(string text, SetExpr expected) => Set(text).ShouldBe(expected);

    [Fact]
    public void Every_statement_parses()
    {
        var s = TextQuery.Parse("""
            count month(active)
            ids week(active) limit 10 after 41
            ids week(active)
            42 in month(active)
            percent month(active) of month(active, -1)
            explain 7 in day(active)
            events; events song
            let r = month(active) & month(active, -1)
            r - {1}; month(active)
            """);
        s.Select(x => x.GetType().Name).ShouldBe([
            "QueryStatement", "QueryStatement", "QueryStatement", "QueryStatement", "PercentStatement", "ExplainStatement",
            "EventsStatement", "EventsStatement", "LetStatement", "QueryStatement", "QueryStatement"]);
        s[0].ShouldBe(new QueryStatement(new SetQuery(Month("active"), ReadKind.Count)) { Line = 1 });
        s[1].ShouldBe(new QueryStatement(new SetQuery(Week("active"), ReadKind.Ids, 42), 10) { Line = 2 });
        s[2].ShouldBe(new QueryStatement(new SetQuery(Week("active"), ReadKind.Ids)) { Line = 3 });
        s[3].ShouldBe(new QueryStatement(new SetQuery(Month("active"), ReadKind.Contains, 42)) { Line = 4 });
        s[4].ShouldBe(new PercentStatement(Month("active"), Month("active", -1)) { Line = 5 });
        s[5].ShouldBe(new ExplainStatement(new QueryStatement(new SetQuery(Day("active"), ReadKind.Contains, 7)) { Line = 6 }) { Line = 6 });
        s[6].ShouldBe(new EventsStatement("") { Line = 7 });
        s[7].ShouldBe(new EventsStatement("song") { Line = 7 });
        s[8].ShouldBe(new LetStatement("r", Month("active") & Month("active", -1)) { Line = 8 });
        s[9].ShouldBe(new QueryStatement(new SetQuery(SetExpr.Diff(Month("active") & Month("active", -1), SetExpr.Id(1)), ReadKind.Count), IsBare: true) { Line = 9 });
        s[10].ShouldBe(new QueryStatement(new SetQuery(Month("active"), ReadKind.Count), IsBare: true) { Line = 9 });
        string.Join("\n", s.Select(x => x.Text)).ShouldBe("""
            count month(active)
            ids week(active) limit 10 after 41
            ids week(active)
            42 in month(active)
            percent month(active) of month(active, -1)
            explain 7 in day(active)
            events
            events song
            let r = (month(active) & month(active, -1))
            ((month(active) & month(active, -1)) - {1})
            month(active)
            """);
    }

    [Fact]
    public void Statements_print_back_to_what_parses_to_them()
    {
        var script = "count month(active)\nids week(active) limit 10 after 41\n42 in month(active)\npercent month(active) of month(active, -1)\nexplain count day(active)\nevents 'song:'\nlet r = month(active)\nmonth(active) | {7}";
        var first = TextQuery.Parse(script);
        var second = TextQuery.Parse(string.Join("\n", first.Select(s => s.Text)));
        second.Select(s => s.Text).ShouldBe(first.Select(s => s.Text));
    }

    private static SetExpr Week(string e) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week));
    private static SetExpr Day(string e) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day));

    private static string CorpusFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var corpus = Path.Combine(dir.FullName, "grammar", "corpus");
            if (Directory.Exists(corpus)) return corpus;
        }
        throw new DirectoryNotFoundException("grammar/corpus not found above " + AppContext.BaseDirectory);
    }

    public static TheoryData<string> CorpusFiles() =>
        [.. Directory.GetFiles(CorpusFolder(), "*.bmq").Select(Path.GetFileName).OfType<string>().Order()];

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Every_corpus_file_parses_and_plans(string file)
    {
        var statements = TextQuery.Parse(File.ReadAllText(Path.Combine(CorpusFolder(), file)));
        statements.ShouldNotBeEmpty();
        var store = new EmbeddedStore(new StoreOptions
        {
            Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
            Universe = SetExpr.Unique("registered"),
            IdMap = "users", // the corpus names users by external id too
        });
        var parameters = new Dictionary<string, SetExpr> { ["cohort"] = SetExpr.Unique("premium") };
        void PlanIt(TextStatement s)
        {
            switch (s)
            {
                case QueryStatement q: store.Plan(q.Query, parameters).Optimized.ShouldNotBeNull(); break;
                case PercentStatement p:
                    store.Plan(new SetQuery(p.Numerator, ReadKind.Count), parameters);
                    store.Plan(new SetQuery(p.Whole, ReadKind.Count), parameters);
                    break;
                case ExplainStatement e: PlanIt(e.Statement); break;
                case LetStatement l: store.Plan(new SetQuery(l.Set, ReadKind.Count), parameters); break;
                case CohortStatement c: store.Plan(c.Query, parameters).Program.Reads.ShouldNotBeEmpty(); break;
                case TrendStatement t: store.Plan(t.Query, parameters).Program.Reads.ShouldNotBeEmpty(); break;
                case FunnelStatement f: store.Plan(f.Query, parameters).Program.Reads.ShouldNotBeEmpty(); break;
            }
        }
        foreach (var s in statements) PlanIt(s);
        // and each statement prints back to text that parses to it
        TextQuery.Parse(string.Join("\n", statements.Select(s => s.Text))).Select(s => s.Text)
            .ShouldBe(statements.Select(s => s.Text));
    }

    [Fact]
    public void Every_printed_expression_parses_back_to_itself()
    {
        for (var seed = 0; seed < 3000; seed++)
        {
            var r = new Random(seed);
            var leaves = Enumerable.Range(0, 6).Select(_ => RandomLeaf(r)).ToList();
            var expr = RandomFormula.Build(r, leaves, 4);
            var parsed = TextQuery.ParseSet(expr.Text);
            parsed.Text.ShouldBe(expr.Text, $"seed {seed}");
            parsed.ShouldBe(expr, $"seed {seed}");
        }
    }

    private static readonly string[] ExternalIds = ["alice", "o'brien", "42", "count", "a b", "7f3a-11e9", "Ünï", "\"q\"", "x\ny", "#7"];

    private static readonly string[] EventNames = ["active", "song:played", "a.b", "_x1", "it's", "count", "with space", "x-y", "Ünï", "users", "2fa"];

    private static SetExpr RandomLeaf(Random r)
    {
        var name = EventNames[r.Next(EventNames.Length)];
        var unit = (PeriodUnit)r.Next(5); // Year..Hour
        PeriodRef Ref() => r.Next(2) == 0
            ? PeriodRef.Relative(unit, r.Next(-30, 30))
            : PeriodRef.Of(RandomPeriod(r, unit));
        return r.Next(8) switch
        {
            0 => SetExpr.Unique(name),
            1 => SetExpr.Range(name, Ref(), Ref(), r.Next(2) == 0 ? RangeMode.Any : RangeMode.All),
            2 => SetExpr.Key("trackist_" + name + "_2026-11"),
            3 => SetExpr.Parameter("p" + r.Next(3)),
            // literal sets of external ids (quotes, spaces, keywords, digits, non-ASCII), alone or mixed with internal ids
            4 => r.Next(2) == 0
                ? SetExpr.ExternalIds(Enumerable.Range(0, r.Next(1, 4)).Select(_ => ExternalIds[r.Next(ExternalIds.Length)]))
                : SetExpr.Or(SetExpr.Ids([r.Next(0, 100)]), SetExpr.ExternalIds([ExternalIds[r.Next(ExternalIds.Length)]])),
            _ => SetExpr.Event(name, Ref()),
        };
    }

    private static Period RandomPeriod(Random r, PeriodUnit unit)
    {
        var start = new DateTime(2020, 1, 1).AddHours(r.Next(0, 24 * 365 * 8));
        return Period.Of(unit, start);
    }

    [Fact]
    public void Parsing_is_thread_safe()
    {
        var texts = Enumerable.Range(0, 200).Select(i => $"count month(e{i}) & week(active, -{i % 7}) | {{{i}}}").ToArray();
        var results = new string[texts.Length];
        Parallel.For(0, texts.Length, i => results[i] = TextQuery.Parse(texts[i])[0].Text);
        for (var i = 0; i < texts.Length; i++) results[i].ShouldBe(TextQuery.Parse(texts[i])[0].Text);
    }
}
