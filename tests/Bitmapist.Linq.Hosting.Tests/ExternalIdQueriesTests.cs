using Bitmapist.Linq.Stores;
using Microsoft.Extensions.DependencyInjection;

namespace Bitmapist.Linq.Hosting.Tests;

/// <summary>Named queries that name users by external id, and ids mapped back, with the IdMap setting.</summary>
public sealed class ExternalIdQueriesTests
{
    private const string Config = """
        {
          "Bitmapist": {
            "IdMap": "users",
            "Queries": {
              "vipActive": "count month(active) & {'alice', 'dave', 'nobody'}",
              "aliceActive": "'alice' in month(active)",
              "active": "ids month(active)",
              "firstTwo": "ids month(active) limit 2"
            }
          }
        }
        """;

    private static async Task<(ServiceProvider Services, BitmapStore Store, NamedQueries Queries)> Seeded()
    {
        var services = Fixture.Services(Config);
        var store = services.GetRequiredService<BitmapStore>();
        store.DefaultIdMap.ShouldNotBeNull().Name.ShouldBe("users");
        var at = Fixture.Now.UtcDateTime;
        foreach (var user in new[] { "carol", "alice", "bob" }) await store.MarkAsync("active", user, at);
        await store.MarkAsync("active", 9, at); // marked by number: no external id
        return (services, store, services.GetRequiredService<NamedQueries>());
    }

    [Fact]
    public async Task A_quoted_literal_and_a_membership_by_external_id_run_as_named_queries()
    {
        var (services, _, queries) = await Seeded();
        using var _ = services;
        (await queries.RunAsync("vipActive")).Count.ShouldBe(1);
        (await queries.RunAsync("aliceActive")).Contains.ShouldBe(true);
        queries["aliceActive"].Kind.ShouldBe(NamedQueryKind.Contains);
        (await queries.ContainsAsync("active", "bob")).ShouldBeTrue();
        (await queries.ContainsAsync("active", "nobody")).ShouldBeFalse();
    }

    [Fact]
    public async Task Ids_are_mapped_back_in_order_of_internal_id()
    {
        var (services, _, queries) = await Seeded();
        using var _ = services;
        var result = await queries.RunAsync("active");
        result.Ids.ShouldBe([0, 1, 2, 9]);
        result.MappedIds.ShouldBe([new(0, "carol"), new(1, "alice"), new(2, "bob"), new(9, null)]);
        result.ToString().ShouldBe("[carol, alice, bob, #9]");
        (await queries.RunAsync("firstTwo")).MappedIds!.Select(m => m.ExternalId).ShouldBe(["carol", "alice"]);
        // paged: each page one lookup, paging on by the last internal id
        var first = await queries.MappedIdsAsync("active", Paging.First(2));
        first.Select(m => m.Display).ShouldBe(["carol", "alice"]);
        (await queries.MappedIdsAsync("active", Paging.First(2).Next(first[^1].Id))).Select(m => m.Display).ShouldBe(["bob", "#9"]);
    }

    [Fact]
    public void Without_an_id_map_a_quoted_literal_fails_at_start_up_with_the_fix()
    {
        using var services = Fixture.Services("""
            { "Bitmapist": { "Queries": { "vip": "count {'alice'}" } } }
            """);
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<NamedQueries>());
        e.Message.ShouldContain("Bitmapist:Queries:vip");
        e.Message.ShouldContain("IdMap");
    }

    [Fact]
    public async Task Without_an_id_map_mapped_ids_say_how_to_configure_one()
    {
        using var services = Fixture.Services("""
            { "Bitmapist": { "Queries": { "active": "ids month(active)" } } }
            """);
        var queries = services.GetRequiredService<NamedQueries>();
        (await queries.RunAsync("active")).MappedIds.ShouldBeNull();
        var e = await Should.ThrowAsync<BitmapistQueryException>(() => queries.MappedIdsAsync("active", Paging.All));
        e.Fix.ShouldNotBeNull().ShouldContain("\"IdMap\": \"users\"");
    }

    [Fact]
    public void A_bad_map_name_is_a_configuration_error()
    {
        using var services = Fixture.Services("""
            { "Bitmapist": { "IdMap": "no spaces" } }
            """);
        Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<BitmapStore>()).Message.ShouldContain("Bitmapist:IdMap");
    }
}
