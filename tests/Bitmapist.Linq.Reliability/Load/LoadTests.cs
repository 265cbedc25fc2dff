using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Reliability.Infrastructure;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Bitmapist.Linq.Reliability.Load;

/// <summary>
/// The load runs: <see cref="Budget.Clients"/> clients for <see cref="Budget.Load"/> on the embedded store and on
/// one Redis (<c>BITMAPIST_REDIS</c>, else a private redis-server). Asserted: no wrong answer, no acknowledged mark
/// lost, no temporary left. Printed (docs/reliability.md): operations/s, p50/p99 latency, client heap.
/// </summary>
[Collection(Serial.Name)]
public class LoadTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 14, 0, 0, TimeSpan.Zero);

    private static StoreOptions Options() => new()
    {
        Clock = new FakeTimeProvider(Now),
        Keys = new KeyScheme($"load{Guid.NewGuid():N}_"),
        Universe = LoadRun.Universe,
    };

    [Fact]
    public async Task Concurrent_clients_on_the_embedded_store_get_only_right_answers_and_keep_every_acknowledged_mark()
    {
        await using var store = new EmbeddedStore(Options());
        await Run("embedded", store, async key => [.. (await store.Set(SetExpr.Key(key)).ToListAsync()).Select(id => (uint)id)]);
    }

    [SkippableFact]
    public async Task Concurrent_clients_on_one_redis_get_only_right_answers_keep_every_acknowledged_mark_and_leave_no_temporary()
    {
        using var own = Environment.GetEnvironmentVariable("BITMAPIST_REDIS") is { Length: > 0 } ? null : RedisProcess.Start();
        var endpoint = own?.Endpoint ?? Environment.GetEnvironmentVariable("BITMAPIST_REDIS")!;
        await using var store = await RedisStore.ConnectAsync(endpoint + ",syncTimeout=30000,asyncTimeout=30000", Options());
        using var direct = await ConnectionMultiplexer.ConnectAsync(endpoint);
        var db = direct.GetDatabase();
        try
        {
            // Read back with plain GET and a bit decoder of the test's own, not through the library.
            await Run($"redis {store.Profile}", store, async key => RedisBits.Decode(await db.StringGetAsync(key)));
        }
        finally
        {
            await store.DeleteEventsAsync();
        }
    }

    private async Task Run(string name, BitmapStore store, Func<string, Task<HashSet<uint>>> readKey)
    {
        var figures = new LoadFigures { Clients = Budget.Clients };
        // Warm up (JIT, connection, scripts) so the heap figure compares steady states.
        await new LoadRun(store, new LoadFigures(), readKey).RunAsync(2, TimeSpan.FromMilliseconds(300), OracleSeed.Value);
        figures.ManagedBytesBefore = GC.GetTotalMemory(forceFullCollection: true);
        await OracleSeed.RunAsync(name, () => new LoadRun(store, figures, readKey).RunAsync(Budget.Clients, Budget.Load, OracleSeed.Value));
        figures.ManagedBytesAfter = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine(figures.Report(name));
        output.WriteLine($"seed {OracleSeed.Value} ({OracleSeed.Replay} replays the same operations, not the same interleaving)");
        figures.WrongAnswers.ShouldBe(0, string.Join("\n", figures.Wrong));
        figures.LostMarks.ShouldBe(0);
        figures.TemporariesLeft.ShouldBe(0);
        figures.Operations.ShouldBeGreaterThan(0);
    }
}
