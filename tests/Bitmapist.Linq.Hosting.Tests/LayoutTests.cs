using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bitmapist.Linq.Hosting.Tests;

/// <summary>The section's <c>Layout</c>: checked at start-up with the library's message, and given to the store.</summary>
public sealed class LayoutTests
{
    [Theory]
    [InlineData("sharded:30", "Bitmapist:Layout: 'sharded:30': a shard width must be 8 to 24 bits (sharded:20 is the default).")]
    [InlineData("flat", "Bitmapist:Layout: 'flat' is not a key layout: write 'bitmapist'")]
    public async Task A_bad_layout_stops_start_up_with_the_librarys_message(string layout, string message)
    {
        using var host = Fixture.Host($$"""{ "Bitmapist": { "SampleData": true, "SampleUsers": 10, "SampleDays": 2, "Layout": "{{layout}}" } }""");
        var e = await Should.ThrowAsync<BitmapistConfigurationException>(() => host.StartAsync());
        e.Problems.ShouldHaveSingleItem().Setting.ShouldBe("Bitmapist:Layout");
        e.Message.ShouldStartWith(message);
    }

    [Fact]
    public void An_embedded_file_keeps_bitmapists_layout()
    {
        using var services = Fixture.Services("""{ "Bitmapist": { "DataFile": "never-written.bms", "Layout": "sharded" } }""");
        var e = Should.Throw<BitmapistConfigurationException>(() => services.GetRequiredService<BitmapStore>());
        e.Message.ShouldStartWith("Bitmapist:Layout is sharded:20 and Bitmapist:DataFile is set: an embedded store file keeps bitmapist's layout");
        File.Exists("never-written.bms").ShouldBeFalse();
    }

    [Fact]
    public async Task The_sample_in_the_sharded_layout_answers_as_in_bitmapists()
    {
        const string queries = """{ "active": "count month(active)", "both": "count week(active) & week(signup)", "share": "percent week(active) of month(active)" }""";
        using var sharded = Fixture.Services($$"""{ "Bitmapist": { "SampleData": true, "SampleUsers": 3000, "SampleDays": 30, "Layout": "Sharded:8", "Queries": {{queries}} } }""");
        using var plain = Fixture.Services($$"""{ "Bitmapist": { "SampleData": true, "SampleUsers": 3000, "SampleDays": 30, "Queries": {{queries}} } }""");
        sharded.GetRequiredService<BitmapStore>().Options.Layout.ShouldBe(KeyLayout.Sharded(8));
        plain.GetRequiredService<BitmapStore>().Options.Layout.ShouldBe(KeyLayout.Bitmapist);
        var (a, b) = (sharded.GetRequiredService<NamedQueries>(), plain.GetRequiredService<NamedQueries>());
        foreach (var name in new[] { "active", "both" })
        {
            var count = await a.CountAsync(name);
            count.ShouldBeGreaterThan(0, name);
            count.ShouldBe(await b.CountAsync(name), name);
        }
        (await a.PercentAsync("share")).ShouldBe(await b.PercentAsync("share"));
    }

    [SkippableFact]
    public async Task Named_queries_run_on_a_redis_cluster()
    {
        var cluster = RedisClusterServer.Seeds;
        var prefix = $"hostingtest_{Guid.NewGuid():N}_";
        try
        {
            using var host = Fixture.Host($$"""
                { "Bitmapist": { "Redis": "{{cluster}}", "Prefix": "{{prefix}}", "Layout": "sharded:8",
                  "Queries": { "active": "month(active)", "retained": "count @cohort and month(active)" } } }
                """);
            await host.StartAsync();
            var store = host.Services.GetRequiredService<BitmapStore>().ShouldBeOfType<RedisStore>();
            RedisStore.IsCluster(store.Connection).ShouldBeTrue();
            var now = Fixture.Now.UtcDateTime;
            foreach (var id in new long[] { 1, 300, 70_000, 5_000_000 }) await store.MarkAsync("active", id, now);
            var queries = host.Services.GetRequiredService<NamedQueries>();
            (await queries.CountAsync("active")).ShouldBe(4);
            (await queries.CountAsync("retained", new { cohort = new long[] { 300, 5_000_000, 9 } })).ShouldBe(2);
            await host.StopAsync();
        }
        finally
        {
            // Every key under the prefix on every primary: the events, and the layout marker and shard registry.
            await using var store = await RedisStore.ConnectAsync(cluster, new StoreOptions { Keys = new KeyScheme(prefix), Layout = KeyLayout.Sharded(8) });
            foreach (var server in store.Connection.GetServers().Where(s => !s.IsReplica))
                foreach (var key in server.Keys(pattern: prefix + "*"))
                    await store.Connection.GetDatabase().KeyDeleteAsync(key);
        }
    }
}
