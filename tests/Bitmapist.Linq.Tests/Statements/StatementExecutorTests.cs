using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Statements;

/// <summary>
/// The statement executor gives, for every statement of the text language, the library's own answer for the same
/// sets (read through <see cref="UserSet"/>, <see cref="BitmapStore.CohortAsync"/> and explain), with the warnings
/// of the events it read checked after it.
/// </summary>
public class StatementExecutorTests
{
    private static async Task<EmbeddedStore> Seeded()
    {
        var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 15, 12, 0, 0, TimeSpan.Zero)) });
        var batch = store.CreateBatch();
        for (var id = 0; id < 40; id++)
        {
            batch.Mark("active", id, new DateTime(2026, 3, 1 + id % 14));
            if (id % 3 == 0) batch.Mark("signup", id, new DateTime(2026, 3, 2 + id % 10));
            if (id % 4 == 0) batch.Mark("active", id, new DateTime(2026, 2, 10));
        }
        await batch.ExecuteAsync();
        return store;
    }

    private static TextStatement One(string text) => TextQuery.Parse(text).Single();

    private static async Task<StatementResult> Run(BitmapStore store, string text, IReadOnlyDictionary<string, SetExpr>? parameters = null) =>
        await new StatementExecutor(store).ExecuteAsync(One(text), parameters);

    [Fact]
    public async Task Count_and_a_bare_set_are_the_sets_count()
    {
        await using var store = await Seeded();
        var expected = await (store.Month("active") - store.Month("signup")).CountAsync();
        expected.ShouldBeGreaterThan(0);
        (await Run(store, "count month(active) - month(signup)")).ShouldBe(new CountResult(expected));
        (await Run(store, "month(active) - month(signup)")).ShouldBe(new CountResult(expected));
    }

    [Fact]
    public async Task Contains_tells_membership_of_the_id_asked()
    {
        await using var store = await Seeded();
        (await Run(store, "3 in month(signup)")).ShouldBe(new ContainsResult(3, true));
        (await Run(store, "4 in month(signup)")).ShouldBe(new ContainsResult(4, false));
    }

    [Fact]
    public async Task Ids_read_the_page_the_statement_names()
    {
        await using var store = await Seeded();
        var all = await store.Month("active").ToListAsync();
        var result = (IdsResult)await Run(store, "ids month(active) limit 5 after 11");
        result.Paging.ShouldBe(new Paging(5, 11));
        (await result.Ids.ToListAsync()).ShouldBe(all.Where(i => i > 11).Take(5));
        (await result.Ids.ToListAsync()).ShouldBe(all.Where(i => i > 11).Take(5), "each enumeration reads the page again");
        var every = (IdsResult)await Run(store, "ids month(active)");
        every.Paging.ShouldBe(Paging.All);
        (await every.Ids.ToListAsync()).ShouldBe(all);
    }

    [Fact]
    public async Task Percent_is_the_share_of_the_whole_in_the_part()
    {
        await using var store = await Seeded();
        var whole = await store.Month("active").CountAsync();
        var part = await (store.Month("signup") & store.Month("active")).CountAsync();
        part.ShouldBeGreaterThan(0);
        (await Run(store, "percent month(signup) of month(active)")).ShouldBe(new PercentResult(100.0 * part / whole, part, whole));
        // A share of nobody is undefined, not 0%.
        (await Run(store, "percent month(signup) of month(active, 2020-01)")).ShouldBe(new PercentResult(null, 0, 0));
    }

    [Fact]
    public async Task Explain_of_a_percent_is_one_batch_of_its_two_counts()
    {
        await using var store = await Seeded();
        var statement = (PercentStatement)One("percent month(signup) of month(active)");
        var result = (ExplainResult)await Run(store, "explain percent month(signup) of month(active)");
        result.Plan.ShouldBe(store.ExplainCounts([statement.Whole, statement.Numerator]));
        result.Plan.ShouldContain("#0 query: count month(active)");
        result.Plan.ShouldContain("#1 query: count (month(signup) & month(active))");
        result.Plan.Split('\n').Count(l => l.StartsWith("program", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Fact]
    public async Task Explain_of_a_query_and_a_cohort_is_the_stores_explain()
    {
        await using var store = await Seeded();
        var query = ((QueryStatement)One("ids month(active) after 4")).Query;
        ((ExplainResult)await Run(store, "explain ids month(active) after 4")).Plan.ShouldBe(store.Explain(query));
        var cohort = ((CohortStatement)One("cohort signup then active by day rows 3 cols 2")).Query;
        ((ExplainResult)await Run(store, "explain cohort signup then active by day rows 3 cols 2")).Plan.ShouldBe(store.Explain(cohort));
    }

    [Fact]
    public async Task Cohort_events_and_let()
    {
        await using var store = await Seeded();
        var cohort = ((CohortStatement)One("cohort signup then active by day rows 3 cols 2")).Query;
        var table = ((CohortResult)await Run(store, "cohort signup then active by day rows 3 cols 2")).Table;
        CohortJson(table).ShouldBe(CohortJson(await store.CohortAsync(cohort)));
        (await Run(store, "events s")).ShouldBeOfType<EventsResult>().Names.ShouldBe(["signup"]);
        (await Run(store, "let a = month(active)")).ShouldBeSameAs(NoResult.Instance);
    }

    private static string CohortJson(CohortTable table) => Bitmapist.Linq.Cohorts.Rendering.CohortJson.Render(table);

    [Fact]
    public async Task Parameters_are_bound()
    {
        await using var store = await Seeded();
        var values = new Dictionary<string, SetExpr> { ["who"] = SetExpr.Ids([0, 3, 5]) };
        (await Run(store, "count month(signup) & @who", values)).ShouldBe(new CountResult(2));
        var percent = (PercentResult)await Run(store, "percent month(signup) of @who", values);
        (percent.Part, percent.Whole).ShouldBe((2, 3));
    }

    [Fact]
    public async Task Events_with_no_key_are_warned_about_after_the_statement_and_run_alone_does_not_check()
    {
        await using var store = await Seeded();
        var executor = new StatementExecutor(store);
        foreach (var text in new[] { "count month(actve)", "ids day(actve) limit 2", "5 in week(actve)", "percent month(active) of month(actve)", "cohort signup then actve by day rows 2 cols 1" })
        {
            var result = await executor.ExecuteAsync(One(text));
            result.Warnings.ShouldHaveSingleItem(text).EventName.ShouldBe("actve");
            result.Warnings[0].Suggestions.ShouldContain("active");
            (await executor.RunAsync(One(text))).Warnings.ShouldBeEmpty(text);
        }
        (await executor.ExecuteAsync(One("explain count month(actve)"))).Warnings.ShouldBeEmpty("explain reads no event");
        (await executor.ExecuteAsync(One("count month(active)"))).Warnings.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_statement_of_ones_own_runs_through_the_executor_with_no_case_there()
    {
        // What a new statement is (docs/EXTENDING.md): a record that runs itself; the executor needs no case, and a
        // TableResult needs no renderer case either. It reads no event and has no plan, by default.
        await using var store = await Seeded();
        var executor = new StatementExecutor(store);
        var result = (Tally)await executor.ExecuteAsync(new Frobnicate());
        result.Rows.ShouldHaveSingleItem()[1].ShouldBe(await store.Month("active").CountAsync());
        result.Warnings.ShouldBeEmpty();
        var e = Should.Throw<BitmapistQueryException>(() => executor.Explain(new Frobnicate()));
        e.Message.ShouldContain("'frobnicate' has no plan");
        Should.Throw<BitmapistQueryException>(() => executor.Explain(One("events"))).Message.ShouldContain("has no plan");
    }

    private sealed record Frobnicate : TextStatement
    {
        public override string Text => "frobnicate";

        protected internal override async Task<StatementResult> RunAsync(StatementContext context, CancellationToken ct) =>
            new Tally(await context.Set(SetExpr.Event("active", PeriodRef.Relative(Bitmapist.Linq.Model.PeriodUnit.Month))).CountAsync(ct));
    }

    private sealed record Tally(long Active) : TableResult
    {
        public override string Name => "tally";
        public override System.Collections.Immutable.ImmutableArray<string> Columns => ["event", "users"];
        public override IReadOnlyList<System.Collections.Immutable.ImmutableArray<object?>> Rows => [["active", Active]];
    }
}
