using Bitmapist.Linq.Reference;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.DependencyInjection;

namespace Bitmapist.Linq.Hosting.Tests;

/// <summary>
/// A back end of one's own in a hosted application (<c>AddBitmapistBackend</c>): the section's prefix, universe and
/// queries apply to the store made over it, and a section that also names Redis or a file is refused.
/// </summary>
public sealed class CustomBackendTests
{
    private const string Section = """
        {
          "Bitmapist": {
            "Prefix": "app_",
            "Universe": "unique(user)",
            "Queries": { "active": "month(active)", "inactive": "count users - month(active)" }
          }
        }
        """;

    [Fact]
    public async Task The_store_runs_on_the_registered_back_end_with_the_sections_settings()
    {
        ReferenceBackend? made = null;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Fixture.Now));
        services.AddBitmapistBackend((_, options) => made = new ReferenceBackend());
        services.AddBitmapist(Fixture.Config(Section).GetSection("Bitmapist"));
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<BitmapStore>();
        store.Backend.ShouldBeSameAs(made);
        store.Keys.Prefix.ShouldBe("app_");
        foreach (var id in new long[] { 1, 2, 3 }) await store.MarkUniqueAsync("user", id);
        await store.MarkAsync("active", 2, Fixture.Now.UtcDateTime);
        var queries = provider.GetRequiredService<NamedQueries>();
        (await queries.CountAsync("active")).ShouldBe(1);
        (await queries.CountAsync("inactive")).ShouldBe(2, "the universe of the section applies");
        (await store.ListEventsAsync()).ShouldBe(["active", "user"]);
    }

    [Fact]
    public void A_section_that_also_names_redis_is_refused()
    {
        var services = new ServiceCollection();
        services.AddBitmapistBackend((_, _) => new ReferenceBackend());
        services.AddBitmapist(Fixture.Config("""{ "Bitmapist": { "Redis": "localhost:1" } }""").GetSection("Bitmapist"));
        using var provider = services.BuildServiceProvider();
        var e = Should.Throw<BitmapistConfigurationException>(() => provider.GetRequiredService<BitmapStore>());
        e.Message.ShouldContain("Bitmapist:Redis is set, and a back end is registered with AddBitmapistBackend");
    }
}
