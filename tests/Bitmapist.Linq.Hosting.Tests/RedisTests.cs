using Bitmapist.Linq.Stores;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bitmapist.Linq.Hosting.Tests;

/// <summary>
/// Named queries on a real Redis when BITMAPIST_REDIS names one (CI sets it); skipped otherwise, unless
/// BITMAPIST_REQUIRE_REDIS=1 makes a missing server a failure. Keys live under a prefix of their own, deleted after.
/// </summary>
public sealed class RedisTests
{
    [SkippableFact]
    public async Task Named_queries_run_on_redis()
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");

        var prefix = $"hostingtest_{Guid.NewGuid():N}_";
        try
        {
            using var host = Fixture.Host($$"""
                {
                  "Bitmapist": {
                    "Redis": "{{redis}}",
                    "Prefix": "{{prefix}}",
                    "Queries": {
                      "active": "month(active)",
                      "retained": "count @cohort and month(active)",
                      "share": "percent week(active) of month(active)",
                      "dauOfMau": "trend active by day rows 2 of active & @cohort by month"
                    }
                  }
                }
                """);
            await host.StartAsync();
            var store = host.Services.GetRequiredService<BitmapStore>().ShouldBeOfType<RedisStore>();
            var now = Fixture.Now.UtcDateTime;
            foreach (var id in new long[] { 1, 2, 3 }) await store.MarkAsync("active", id, now);
            await store.MarkAsync("active", 4, now.AddDays(-20));
            var queries = host.Services.GetRequiredService<NamedQueries>();
            (await queries.CountAsync("active")).ShouldBe(4);
            (await queries.CountAsync("retained", new { cohort = new long[] { 2, 3, 9 } })).ShouldBe(2);
            (await queries.PercentAsync("share")).ShouldBe(75.0);
            // Each row's whole: the month's active {1, 2, 3, 4} within the cohort {2, 3, 4}; the 27th: nobody, the 28th: {2, 3}.
            var trend = await queries.TrendAsync("dauOfMau", new { cohort = new long[] { 2, 3, 4 } });
            trend.Rows.Select(r => (r.Count, r.Whole)).ShouldBe([(0L, (long?)3), (2L, 3)]);
            await host.StopAsync();
        }
        finally
        {
            await using var store = await RedisStore.ConnectAsync(redis!, new StoreOptions().WithPrefix(prefix));
            await store.DeleteEventsAsync();
        }
    }
}
