using Bitmapist.Cli.Commands;
using Bitmapist.Cli.Rendering;
using Bitmapist.Cli.Repl;
using Bitmapist.Linq;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Spectre.Console;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// Every output format renders every result the library's statement executor returns (a new statement's result
/// with no case in a renderer fails here), and --format lists every format there is.
/// </summary>
public sealed class RendererTests
{
    private static async IAsyncEnumerable<long> Ids(params long[] ids)
    {
        foreach (var id in ids)
        {
            await Task.Yield();
            yield return id;
        }
    }

    /// <summary>One result of each type: the library's, the piped REPL's help and the writing commands' summaries.</summary>
    private static async Task<IReadOnlyList<StatementResult>> Samples()
    {
        await using var store = new EmbeddedStore();
        foreach (var id in new long[] { 1, 2, 3 }) await store.MarkAsync("signup", id, new DateTime(2026, 3, 2));
        await store.MarkAsync("active", 2, new DateTime(2026, 3, 3));
        var cohort = ((CohortStatement)TextQuery.Parse("cohort signup then active by day from 2026-03-02 rows 2 cols 2").Single()).Query;
        return
        [
            new CountResult(3),
            new ContainsResult(4, true),
            new IdsResult(Paging.First(2), Ids(1, 2)),
            new PercentResult(50, 1, 2),
            new EventsResult(["active", "signup"]),
            new ExplainResult("query: count month(active)\n"),
            new CohortResult(await store.CohortAsync(cohort)),
            NoResult.Instance,
            new HelpResult("statements ...\n"),
            new CommandSummary("marked 'a' for user 1", w => w.WriteString("event", "a"), ["event", "id"], [["a", "1"]]),
            new DescribeResult(await store.DescribeEventAsync("signup")), // a TableResult: rendered by its generic case
            new TrendResult(TrendRenderingTests.Trend()),
            new TrendResult(TrendRenderingTests.Ratio()),
            new FunnelResult(TrendRenderingTests.Funnel()),
        ];
    }

    [Fact]
    public async Task The_samples_cover_every_result_type_of_the_library()
    {
        // A TableResult needs no case of its own (every renderer has one generic case, exercised by a sample); any
        // other result type needs a sample here and its case in every renderer.
        var types = typeof(StatementResult).Assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && t.IsSubclassOf(typeof(StatementResult)) && !t.IsSubclassOf(typeof(TableResult))).ToHashSet();
        types.ShouldContain(typeof(CountResult));
        var samples = await Samples();
        types.ShouldBeSubsetOf(samples.Select(s => s.GetType()), "add a sample of the new result type here, and its case in every renderer");
        samples.ShouldContain(s => s is TableResult);
    }

    public static TheoryData<string> Formats() => [.. OutputFormats.Names];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Every_format_renders_every_result(string format)
    {
        foreach (var sample in await Samples())
        {
            var writer = new StringWriter();
            await OutputFormats.Renderer(OutputFormats.Parse(format), writer).RenderAsync(sample, CancellationToken.None);
            if (sample is NoResult) writer.ToString().ShouldBeEmpty();
            else writer.ToString().ShouldNotBeEmpty(sample.GetType().Name);
        }
    }

    private static async IAsyncEnumerable<long> IdsThenLost()
    {
        foreach (var id in new long[] { 1, 2 })
        {
            await Task.Yield();
            yield return id;
        }
        throw new BitmapistStoreException("The read of 'trackist_big_2026-11' failed (GETRANGE): the connection to Redis was lost.");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task A_failure_while_ids_stream_reaches_the_caller_in_every_format(string format)
    {
        // The connection lost after the first page of ids: the user must read that error, not one about the
        // output (JSON closing an object whose array is still open threw "'}' is invalid without a matching open").
        var writer = new StringWriter();
        var renderer = OutputFormats.Renderer(OutputFormats.Parse(format), writer);
        var error = await Should.ThrowAsync<BitmapistStoreException>(() => renderer.RenderAsync(new IdsResult(Paging.All, IdsThenLost()), CancellationToken.None));
        error.Message.ShouldContain("connection to Redis was lost");
    }

    [Fact]
    public async Task The_REPL_renders_every_result()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        var renderer = new ReplRenderer(console);
        foreach (var sample in await Samples())
        {
            var before = writer.ToString().Length;
            renderer.Render(await ReplRenderer.PrepareAsync(sample, CancellationToken.None));
            if (sample is not NoResult) writer.ToString().Length.ShouldBeGreaterThan(before, sample.GetType().Name);
        }
        writer.ToString().ShouldContain("2 ids");
    }

    [Fact]
    public async Task A_table_result_renders_in_every_format_with_no_case_of_its_own()
    {
        var result = new Tally([["active", 3L], ["signup", null]]);
        async Task<string> Render(OutputFormat format)
        {
            var writer = new StringWriter();
            await OutputFormats.Renderer(format, writer).RenderAsync(result, CancellationToken.None);
            return writer.ToString().ReplaceLineEndings("\n");
        }
        (await Render(OutputFormat.Table)).ShouldBe("store: test\nevent   users\nactive  3\nsignup  \n");
        (await Render(OutputFormat.Csv)).ShouldBe("store,event,users\ntest,active,3\ntest,signup,\n");
        (await Render(OutputFormat.Json)).ShouldBe("""{"tally":{"store":"test","rows":[{"event":"active","users":3},{"event":"signup","users":null}]}}""" + "\n");
    }

    private sealed record Tally(IReadOnlyList<System.Collections.Immutable.ImmutableArray<object?>> Values) : TableResult
    {
        public override string Name => "tally";
        public override System.Collections.Immutable.ImmutableArray<string> Columns => ["event", "users"];
        public override IReadOnlyList<System.Collections.Immutable.ImmutableArray<object?>> Rows => Values;
        public override IReadOnlyList<KeyValuePair<string, object?>> Facts => [new("store", "test")];
    }

    [Fact]
    public async Task A_table_labels_each_value_as_psql_does()
    {
        var writer = new StringWriter();
        var table = OutputFormats.Renderer(OutputFormat.Table, writer);
        await table.RenderAsync(new CountResult(1234), CancellationToken.None);
        await table.RenderAsync(NoResult.Instance, CancellationToken.None); // let: nothing, not even the empty line
        await table.RenderAsync(new ContainsResult(4, false), CancellationToken.None);
        await table.RenderAsync(new PercentResult(null, 0, 0), CancellationToken.None);
        writer.ToString().ReplaceLineEndings("\n").ShouldBe("count\n1234\n\ncontains\nfalse\n\npercent\n.\n");
    }

    [Fact]
    public async Task Format_help_names_every_format_and_says_how_csv_writes_several_statements()
    {
        var help = await CliHarness.Run("query", "--help");
        foreach (var name in OutputFormats.Names) help.Out.ShouldContain(name);
        help.Out.ShouldContain("each statement's result is its own CSV table");
    }
}
