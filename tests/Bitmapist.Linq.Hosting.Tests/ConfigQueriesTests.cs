using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bitmapist.Linq.Hosting.Tests;

public sealed class ConfigQueriesTests
{
    private const string Sample = """
        {
          "Bitmapist": {
            "SampleData": true,
            "SampleUsers": 3000,
            "SampleDays": 90,
            "Universe": "unique(premium) or year(signup)",
            "Queries": {
              "active": "month(active)",
              "listeners": "count month(active) and week(song:played)",
              "retained": "count @cohort and month(active)",
              "premiumShare": "percent unique(premium) of month(active)",
              "firstToday": "ids day(active) limit 5",
              "member": "7 in year(signup)",
              "churned": [
                "let last = month(active, -1)",
                "count last - month(active)"
              ],
              "inactive": "count users - month(active)"
            }
          }
        }
        """;

    [Fact]
    public void Binds_every_setting()
    {
        using var services = Fixture.Services("""
            {
              "Bitmapist": {
                "Redis": "localhost:6379,abortConnect=false",
                "Prefix": "bitmapist_",
                "Universe": "unique(user)",
                "Tracking": { "Hourly": true, "Unique": true },
                "Queries": {
                  "a": "month(active)",
                  "b": [ "let x = week(active)", "count x" ]
                }
              }
            }
            """);
        var o = services.GetRequiredService<IOptions<BitmapistOptions>>().Value;
        o.Redis.ShouldBe("localhost:6379,abortConnect=false");
        o.DataFile.ShouldBeNull();
        o.SampleData.ShouldBeFalse();
        o.Prefix.ShouldBe("bitmapist_");
        o.Universe.ShouldBe("unique(user)");
        o.Tracking.Hourly.ShouldBeTrue();
        o.Tracking.Unique.ShouldBeTrue();
        o.Queries["a"].ShouldBe("month(active)");
        o.Queries["b"].ShouldBe("let x = week(active)\ncount x");
        o.SectionPath.ShouldBe("Bitmapist");
    }

    [Fact]
    public void Defaults_are_an_empty_embedded_store_with_bitmapist3_keys()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { } }""");
        var o = services.GetRequiredService<IOptions<BitmapistOptions>>().Value;
        o.Prefix.ShouldBe("trackist_");
        o.Queries.ShouldBeEmpty();
        var store = services.GetRequiredService<BitmapStore>().ShouldBeOfType<EmbeddedStore>();
        store.KeyCount.ShouldBe(0);
        store.Keys.Prefix.ShouldBe("trackist_");
        store.Options.Universe.ShouldBeNull();
        services.GetRequiredService<NamedQueries>().Names.ShouldBeEmpty();
    }

    [Fact]
    public async Task Named_queries_match_the_library()
    {
        using var host = Fixture.Host(Sample);
        await host.StartAsync();
        var queries = host.Services.GetRequiredService<NamedQueries>();
        var store = host.Services.GetRequiredService<BitmapStore>();
        store.ShouldBeSameAs(queries.Store);
        store.Now.ShouldBe(Fixture.Now.UtcDateTime);
        queries.Names.ShouldBe(["active", "churned", "firstToday", "inactive", "listeners", "member", "premiumShare", "retained"]);

        var active = await store.Month("active").CountAsync();
        active.ShouldBeGreaterThan(0);
        (await queries.CountAsync("active")).ShouldBe(active);
        (await queries.CountAsync("listeners")).ShouldBe(await (store.Month("active") & store.Week("song:played")).CountAsync());

        var cohort = store.Month("signup").Previous();
        var retained = await (cohort & store.Month("active")).CountAsync();
        retained.ShouldBeGreaterThan(0);
        (await queries.CountAsync("retained", new { cohort = cohort.ToSetExpr() })).ShouldBe(retained);
        (await queries.CountAsync("retained", new { cohort })).ShouldBe(retained);
        (await queries.CountAsync("retained", new Dictionary<string, SetExpr> { ["cohort"] = cohort.ToSetExpr() })).ShouldBe(retained);
        (await queries.CountAsync("retained", new Dictionary<string, object?> { ["@cohort"] = new long[] { 1, 2, 3 } }))
            .ShouldBe(await (store.Ids(1, 2, 3) & store.Month("active")).CountAsync());

        var churned = await (store.Month("active").Previous() - store.Month("active")).CountAsync();
        (await queries.CountAsync("churned")).ShouldBe(churned);
        (await queries.CountAsync("inactive")).ShouldBe(await (store.Users - store.Month("active")).CountAsync());

        var premium = await (store.Unique("premium") & store.Month("active")).CountAsync();
        (await queries.PercentAsync("premiumShare")).ShouldBe(100.0 * premium / active);

        var first = await store.Day("active").Take(5).ToListAsync();
        first.Count.ShouldBe(5);
        (await queries.IdsAsync("firstToday")).ShouldBe(first);
        (await queries.IdsAsync("firstToday", limit: 2)).ShouldBe(first[..2]);
        (await queries.ContainsAsync("active", first[0])).ShouldBeTrue();

        (await queries.RunAsync("member")).ShouldBe(new NamedQueryResult("member", NamedQueryKind.Contains, Contains: await store.Year("signup").ContainsAsync(7)));
        var run = await queries.RunAsync("firstToday");
        run.Kind.ShouldBe(NamedQueryKind.Ids);
        run.Ids.ShouldBe(first);
        (await queries.RunAsync("active")).ToString().ShouldBe(active.ToString(System.Globalization.CultureInfo.InvariantCulture));

        queries["retained"].Parameters.ShouldBe(["cohort"]);
        queries["RETAINED"].Kind.ShouldBe(NamedQueryKind.Count);
        queries.Set("retained", new { cohort }).ToSetExpr().ShouldBe((cohort & store.Month("active")).ToSetExpr());
        queries.Explain("listeners").ShouldBe((store.Month("active") & store.Week("song:played")).Explain());
        await host.StopAsync();
    }

    [Fact]
    public async Task Named_queries_run_through_the_library_statement_executor()
    {
        using var host = Fixture.Host(Sample);
        await host.StartAsync();
        var queries = host.Services.GetRequiredService<NamedQueries>();
        var store = queries.Store;
        var executor = new Bitmapist.Linq.Statements.StatementExecutor(store);

        // A percent's explain is the executor's: one batch counting the whole and the part.
        var explain = queries.Explain("premiumShare");
        explain.ShouldBe(executor.Explain(queries["premiumShare"].Statement));
        explain.ShouldContain("#0 query: count month(active)");
        explain.Split('\n').Count(l => l.StartsWith("program", StringComparison.Ordinal)).ShouldBe(1);

        // Ids page with the one paging model: the statement's own page, or any other.
        var all = await store.Day("active").ToListAsync();
        all.Count.ShouldBeGreaterThan(8);
        (await queries.IdsAsync("firstToday", new Paging(3, all[1]))).ShouldBe(all[2..5]);
        (await queries.IdsAsync("firstToday", new Paging(2, skip: 4))).ShouldBe(all[4..6]);
        (await queries.IdsAsync("firstToday", Paging.First(5).Next(all[4]))).ShouldBe(all[5..10]);
        (await queries.IdsAsync("firstToday", limit: -1)).ShouldBeEmpty("a negative limit reads nothing, as before");
        await Should.ThrowAsync<BitmapistQueryException>(() => queries.IdsAsync("premiumShare", Paging.All));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_bad_query_stops_start_up_naming_it_with_line_column_and_caret()
    {
        using var host = Fixture.Host("""
            {
              "Bitmapist": {
                "Queries": {
                  "good": "month(active)",
                  "retention": [ "let cohort = month(signup, -1)", "count cohort andd month(active)" ]
                }
              }
            }
            """);
        var e = await Should.ThrowAsync<BitmapistConfigurationException>(() => host.StartAsync());
        e.Setting.ShouldBe("Bitmapist:Queries:retention");
        e.SyntaxError.ShouldNotBeNull().Line.ShouldBe(2);
        e.Message.ShouldBe("""
            The query Bitmapist:Queries:retention does not parse: line 2, column 14: 'andd' is not a set: write a period function like month(andd), or define it first with let andd = ...
            count cohort andd month(active)
                         ^
            """.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_misspelt_function_is_reported_when_the_service_is_resolved_without_a_host()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "Queries": { "weekly": "count weak(active)" } } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Message.ShouldBe("""
            The query Bitmapist:Queries:weekly does not parse: line 1, column 7: unknown function 'weak': did you mean week?
            count weak(active)
                  ^
            """.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_query_that_cannot_be_planned_stops_start_up()
    {
        using var host = Fixture.Host("""{ "Bitmapist": { "Queries": { "others": "count users - month(active)" } } }""");
        var e = await Should.ThrowAsync<BitmapistConfigurationException>(() => host.StartAsync());
        e.Setting.ShouldBe("Bitmapist:Queries:others");
        e.Message.ShouldStartWith("The query Bitmapist:Queries:others cannot be planned: ");
        e.InnerException.ShouldBeAssignableTo<BitmapistQueryException>();
    }

    [Theory]
    [InlineData("count month(active); count week(active)", "The query Bitmapist:Queries:q holds 2 statements (lines 1, 1): a named query is one statement or a set, optionally after let statements; give each its own name.")]
    [InlineData("events", "The query Bitmapist:Queries:q is 'events' (line 1): a named query is a count, ids, in, percent, cohort, trend or funnel statement or a set.")]
    [InlineData("let a = month(active)", "The query Bitmapist:Queries:q only defines names with let: end it with the statement or set that uses them, like count a.")]
    [InlineData("-- nothing but a comment", "The query Bitmapist:Queries:q is empty: write one statement or a set, like count month(active).")]
    public void A_query_must_be_one_statement(string text, string message)
    {
        using var services = Fixture.Services($$"""{ "Bitmapist": { "Queries": { "q": "{{text}}" } } }""");
        Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>()).Message.ShouldBe(message);
    }

    [Fact]
    public void A_bad_universe_stops_start_up()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "Universe": "unique(user" } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Setting.ShouldBe("Bitmapist:Universe");
        e.Message.ShouldStartWith("The universe Bitmapist:Universe does not parse: line 1, column 12: ");
        e.Message.ShouldEndWith("\nunique(user\n           ^");
    }

    [Fact]
    public async Task IdMap_names_the_stores_id_map()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "IdMap": "users" } }""");
        var store = services.GetRequiredService<BitmapStore>();
        store.Options.IdMap.ShouldBe("users");
        // Marking by external id works only with a map: the setting reached the store.
        await store.MarkAsync("active", "alice");
        (await store.IdMap("users").FindAsync("alice")).ShouldBe(0u);
    }

    [Fact]
    public void A_bad_id_map_name_stops_start_up_with_the_librarys_message()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "IdMap": "my users" } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Setting.ShouldBe("Bitmapist:IdMap");
        e.Message.ShouldBe("Bitmapist:IdMap: 'my users' cannot name an id map: use 1 to 64 letters, digits, '_', '-' or '.', e.g. 'users'.");
    }

    [Theory]
    [InlineData("users", "users")]
    [InlineData("unique(user) - ~year(active)", "a complement")]
    public void A_universe_made_of_itself_stops_start_up(string universe, string problem)
    {
        using var services = Fixture.Services($$"""{ "Bitmapist": { "Universe": "{{universe}}" } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Setting.ShouldBe("Bitmapist:Universe");
        e.Message.ShouldBe($"The universe Bitmapist:Universe ({universe}) uses {problem}: the universe is the set 'users' and '~x' stand for, " +
            "so it must be made of events, flags and ids, e.g. unique(user) or year(active, -2..0).");
    }

    [Fact]
    public async Task A_missing_parameter_is_a_clear_error()
    {
        using var services = Fixture.Services(Sample.Replace("\"SampleUsers\": 3000", "\"SampleUsers\": 50"));
        var queries = services.GetRequiredService<NamedQueries>();
        var e = await Should.ThrowAsync<BitmapistQueryException>(() => queries.CountAsync("retained"));
        e.Message.ShouldBe("The query Bitmapist:Queries:retained needs the parameter @cohort, which has no value. " +
                           "Pass it when running the query, e.g. new { cohort = store.Month(\"signup\") }.");
        var unknown = await Should.ThrowAsync<BitmapistQueryException>(() => queries.CountAsync("retained", new { cohort = SetExpr.Empty, cohrt = SetExpr.Empty }));
        unknown.Message.ShouldBe("The query Bitmapist:Queries:retained has no parameter @cohrt. Its parameters are @cohort.");
        var wrongType = await Should.ThrowAsync<ArgumentException>(() => queries.CountAsync("retained", new { cohort = "month(signup)" }));
        wrongType.Message.ShouldStartWith("The parameter @cohort is a String: pass a SetExpr, a UserSet, a user id or a collection of ids.");
        Should.Throw<KeyNotFoundException>(() => queries["retaind"]).Message.ShouldStartWith("There is no named query 'retaind'; the queries are active, churned, ");
        await Should.ThrowAsync<BitmapistQueryException>(() => queries.CountAsync("premiumShare"));
        await Should.ThrowAsync<BitmapistQueryException>(() => queries.PercentAsync("active"));
    }

    [Fact]
    public async Task Redis_without_a_server_is_a_store_error()
    {
        using var host = Fixture.Host("""{ "Bitmapist": { "Redis": "127.0.0.1:1,connectTimeout=2000" } }""");
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => host.StartAsync());
        e.Message.ShouldStartWith("Cannot connect to Redis at '127.0.0.1:1,connectTimeout=2000'");
    }

    [Fact]
    public async Task Two_stores_fail_validation_at_start_up()
    {
        using var host = Fixture.Host("""{ "Bitmapist": { "Redis": "localhost", "DataFile": "x.bin" } }""");
        var e = await Should.ThrowAsync<BitmapistConfigurationException>(() => host.StartAsync());
        e.Message.ShouldBe("Bitmapist:Redis and Bitmapist:DataFile are set together: choose one store.");
    }

    [Fact]
    public async Task A_data_file_is_opened_with_the_configured_prefix()
    {
        var path = Path.Combine(Path.GetTempPath(), $"bitmapist-hosting-{Guid.NewGuid():N}.bin");
        try
        {
            using (var seed = new EmbeddedStore(new StoreOptions().WithPrefix("app_")))
            {
                await seed.MarkAsync("active", 1, Fixture.Now.UtcDateTime);
                await seed.MarkAsync("active", 2, Fixture.Now.UtcDateTime);
                seed.SaveAs(path);
            }
            using var services = Fixture.Services($$"""
                { "Bitmapist": { "DataFile": "{{path.Replace("\\", "\\\\")}}", "Prefix": "app_", "Queries": { "active": "month(active)" } } }
                """);
            (await services.GetRequiredService<NamedQueries>().CountAsync("active")).ShouldBe(2);
            services.GetRequiredService<BitmapStore>().ShouldBeOfType<EmbeddedStore>().FilePath.ShouldBe(Path.GetFullPath(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Marks_written_to_a_data_file_are_kept_without_a_save()
    {
        // The hosting package never calls Save: the store's journal makes each acknowledged mark durable.
        var path = Path.Combine(Path.GetTempPath(), $"bitmapist-hosting-{Guid.NewGuid():N}.bin");
        try
        {
            using (var services = Fixture.Services($$"""{ "Bitmapist": { "DataFile": "{{path.Replace("\\", "\\\\")}}" } }"""))
                await services.GetRequiredService<BitmapStore>().MarkAsync("active", 7, Fixture.Now.UtcDateTime);
            using var reopened = EmbeddedStore.OpenReadOnly(path);
            (await reopened.Month("active", 2026, 11).ToListAsync()).ShouldBe([7L]);
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + "*")) File.Delete(file);
        }
    }

    [Fact]
    public async Task The_store_is_a_singleton_disposed_with_the_container()
    {
        var services = Fixture.Services("""{ "Bitmapist": { "Tracking": { "Unique": true } } }""");
        var store = services.GetRequiredService<BitmapStore>();
        services.GetRequiredService<BitmapStore>().ShouldBeSameAs(store);
        store.Options.Tracking.Unique.ShouldBeTrue();
        await store.MarkAsync("active", 5);
        (await store.Unique("active").CountAsync()).ShouldBe(1);
        await services.DisposeAsync();
        await Should.ThrowAsync<ObjectDisposedException>(() => store.Month("active").CountAsync());
    }

    [Fact]
    public async Task A_percentage_of_an_empty_whole_is_null_not_zero()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "Queries": { "share": "percent month(active) of month(nobody)", "full": "percent {1} of {1, 2}" } } }""");
        var queries = services.GetRequiredService<NamedQueries>();
        (await queries.PercentAsync("share")).ShouldBeNull();
        var result = await queries.RunAsync("share");
        result.Percent.ShouldBeNull();
        result.ToString().ShouldBe(".");
        (await queries.PercentAsync("full")).ShouldBe(50.0);
        (await queries.RunAsync("full")).ToString().ShouldBe("50%");
    }

    [Fact]
    public async Task Every_problem_of_the_section_is_reported_at_once_and_clearly()
    {
        using var host = Fixture.Host("""{ "Bitmapist": { "Querys": { "a": "month(active)" }, "SampleData": "maybe", "SampleDays": "ten", "Tracking": { "Hourli": true } } }""");
        var e = await Should.ThrowAsync<BitmapistConfigurationException>(() => host.StartAsync());
        e.Problems.Select(p => p.Message).ShouldBe([
            "Bitmapist:Querys is not a setting (did you mean Queries?): the settings are Redis, DataFile, SampleData, SampleUsers, SampleDays, Prefix, Layout, Universe, IdMap, Tracking, Queries.",
            "Bitmapist:Tracking:Hourli is not a setting (did you mean Hourly?): the settings are Hourly, Unique.",
            "Bitmapist:SampleData is 'maybe': write true or false.",
            "Bitmapist:SampleDays is 'ten': write a whole number.",
        ]);
        e.Message.ShouldStartWith("The Bitmapist configuration has 4 problems:\n\nBitmapist:Querys is not a setting");
        e.Setting.ShouldBe("Bitmapist:Querys");
    }

    [Fact]
    public void An_empty_prefix_and_two_stores_are_reported_together()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "Prefix": "", "Redis": "localhost", "SampleData": true } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Problems.Select(p => p.Setting).ShouldBe(["Bitmapist:Redis", "Bitmapist:Prefix"]);
    }

    [Fact]
    public void Every_bad_query_is_reported_not_only_the_first()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "Queries": { "a": "count weak(active)", "b": "month(active)", "c": "events" } } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Problems.Select(p => p.Setting).ShouldBe(["Bitmapist:Queries:a", "Bitmapist:Queries:c"]);
        e.Message.ShouldContain("unknown function 'weak': did you mean week?");
        e.Message.ShouldContain("The query Bitmapist:Queries:c is 'events'");
    }
}
