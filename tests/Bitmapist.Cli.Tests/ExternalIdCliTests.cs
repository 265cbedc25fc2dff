using Bitmapist.Cli.Rendering;
using Bitmapist.Cli.Repl;
using Bitmapist.Cli.Serve;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Spectre.Console;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// External ids in the CLI when the store has an id map: <c>in</c> takes one, literal sets in <c>query</c>, and every
/// output of ids (table, JSON, CSV, <c>--output</c>, the REPL, the web console) maps them back, in order of internal id.
/// </summary>
public sealed class ExternalIdCliTests
{
    private static readonly DateTime At = new(2026, 11, 28, 10, 0, 0, DateTimeKind.Utc); // the day of CliHarness.Now

    /// <summary>
    /// A Redis store (BITMAPIST_REDIS; id maps live in the server, so every run of the CLI sees them) under a prefix of
    /// its own, where carol, alice and bob (mapped in that order) and 9 (by number) were active today.
    /// </summary>
    private static async Task<string[]> SeedAsync(string prefix)
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");
        await using (var store = await RedisStore.ConnectAsync(redis!, new StoreOptions { IdMap = "users" }.WithPrefix(prefix)))
        {
            foreach (var user in new[] { "carol", "alice", "bob" }) await store.MarkAsync("active", user, At);
            await store.MarkAsync("active", 9, At);
            await store.MarkAsync("paid", "o'brien, jr", At);
        }
        return ["--redis", redis!, "--prefix", prefix, "--now", CliHarness.Now];
    }

    private static Task<CliResult> Run(string[] store, params string[] args) => CliHarness.Run([.. args, .. store]);

    private static async Task CleanUpAsync(string[] store)
    {
        await using var redis = await RedisStore.ConnectAsync(store[1], new StoreOptions().WithPrefix(store[3]));
        await redis.DeleteEventsAsync();
    }

    [SkippableFact]
    public async Task Ids_print_external_ids_in_order_of_internal_id_in_every_format()
    {
        using var dir = CliHarness.TempDir();
        var data = await SeedAsync($"cliext_{Guid.NewGuid():N}_");
        StoreSession.IdMapForTests.Value = "users";
        (await Run(data, "ids", "active")).Out.ReplaceLineEndings("\n").ShouldBe("carol\nalice\nbob\n#9\n");
        (await Run(data, "query", "ids month(active)", "--format", "json")).Out.Trim()
            .ShouldBe("""{"ids":[{"id":0,"external":"carol"},{"id":1,"external":"alice"},{"id":2,"external":"bob"},{"id":9,"external":null}]}""");
        (await Run(data, "query", "ids month(active) limit 2 after 0", "--format", "csv")).Out.ReplaceLineEndings("\n").ShouldBe("id,external_id\n1,alice\n2,bob\n");
        (await Run(data, "query", "ids month(paid)", "--format", "csv")).Out.ReplaceLineEndings("\n").ShouldBe("id,external_id\n3,\"o'brien, jr\"\n");
        var file = Path.Combine(dir.Path, "ids.txt");
        (await Run(data, "ids", "active", "--output", file)).ExitCode.ShouldBe(0);
        (await File.ReadAllTextAsync(file)).ReplaceLineEndings("\n").ShouldBe("carol\nalice\nbob\n#9\n");
        await CleanUpAsync(data);
    }

    [SkippableFact]
    public async Task In_and_literal_sets_take_external_ids()
    {
        var data = await SeedAsync($"cliext_{Guid.NewGuid():N}_");
        StoreSession.IdMapForTests.Value = "users";
        (await Run(data, "in", "alice", "active", "--format", "json")).Out.Trim().ShouldBe("""{"contains":true,"external":"alice"}""");
        (await Run(data, "in", "nobody", "active", "--format", "json")).Out.Trim().ShouldBe("""{"contains":false,"external":"nobody"}""");
        // with an id map, a number given to in is an external id too
        (await Run(data, "in", "9", "active", "--format", "json")).Out.Trim().ShouldBe("""{"contains":false,"external":"9"}""");
        (await Run(data, "query", "count month(active) & {'alice', 'bob', 'nobody'}; 'carol' in month(active); count month(active) - {9}", "--format", "json"))
            .Out.ReplaceLineEndings("\n").ShouldBe("""
                {"count":2}
                {"contains":true,"external":"carol"}
                {"count":3}

                """);
        await CleanUpAsync(data);
    }

    [SkippableFact]
    public async Task Without_an_id_map_external_ids_fail_with_how_to_configure_one()
    {
        var data = await SeedAsync($"cliext_{Guid.NewGuid():N}_");
        (await Run(data, "query", "count {'alice'}")).ShouldFailWith(Cli.Failed, "--id-map users");
        (await Run(data, "query", "'alice' in month(active)")).ShouldFailWith(Cli.Failed, "this store has none");
        // and ids stay internal
        (await Run(data, "ids", "active")).Out.ReplaceLineEndings("\n").ShouldBe("0\n1\n2\n9\n");
        (await Run(data, "in", "alice", "active")).ShouldFailWith(Cli.Usage, "'alice' is not a user id");
        await CleanUpAsync(data);
    }

    private static async Task<IdsResult> MappedIdsAsync(string query = "ids month(active)", int more = 0)
    {
        var store = new EmbeddedStore(new StoreOptions { IdMap = "users" });
        foreach (var user in new[] { "carol", "a[b]", "bob" }.Concat(Enumerable.Range(0, more).Select(i => $"u{i}"))) await store.MarkAsync("active", user);
        await store.MarkAsync("active", 9);
        return (IdsResult)await new StatementExecutor(store).ExecuteAsync(TextQuery.Parse(query).Single());
    }

    [Fact]
    public async Task The_REPL_shows_external_ids_and_pages_by_internal_id()
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        var renderer = new ReplRenderer(console);
        // more than the REPL shows: the hint pages on by the internal id of the last one shown
        renderer.Render(await ReplRenderer.PrepareAsync(await MappedIdsAsync(more: ReplRenderer.IdsShown), CancellationToken.None));
        var text = writer.ToString();
        text.ShouldContain("carol");
        text.ShouldContain("a[b]"); // not read as markup
        text.ShouldContain("bob");
        text.ShouldNotContain("#9");
        System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ")
            .ShouldContain($"after {ReplRenderer.IdsShown - 1} for the next page (the internal id of the last one shown");
        renderer.Render(await ReplRenderer.PrepareAsync(await MappedIdsAsync(), CancellationToken.None));
        writer.ToString().ShouldContain("#9");
        renderer.Render(new ContainsResult(1, true) { ExternalId = "alice" });
        writer.ToString().ShouldContain("alice");
    }

    [Fact]
    public async Task The_console_lists_external_ids_and_marks_an_id_without_one()
    {
        var result = await MappedIdsAsync();
        var statement = TextQuery.Parse("ids month(active)").Single();
        var mapped = await result.MappedIds.ToListAsync();
        var html = ConsolePage.Results("ids month(active)", [new Shown(statement, result, [.. mapped.Select(m => m.Id)], mapped)], 100);
        html.ShouldContain("<li>carol</li>");
        html.ShouldContain("<li>a[b]</li>");
        html.ShouldContain("<li class=\"unmapped\" title=\"no external id\">#9</li>");
    }
}
