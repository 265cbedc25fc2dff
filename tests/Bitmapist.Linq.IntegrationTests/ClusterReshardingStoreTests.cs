using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Bitmapist.Linq.Backends.Sharded;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// A store with the sharded layout on the Redis Cluster while one of its shards' slots moves to another primary and
/// back, one key per MIGRATE: queries and marks run all along. While the slot is half moved Redis refuses every
/// multi-key batch of it (EXECABORT, TRYAGAIN, ASK) and after the move the client is sent on (MOVED); the store
/// retries those batches, so every answer must be right and every acknowledged mark must be there afterwards.
/// </summary>
[Collection(ClusterReshardingCollection.Name)]
public class ClusterReshardingStoreTests
{
    private static readonly DateTime Day1 = new(2026, 11, 2, 10, 0, 0, DateTimeKind.Utc);
    private static readonly DateTime Day2 = new(2026, 11, 20, 10, 0, 0, DateTimeKind.Utc);

    [SkippableFact]
    public async Task Queries_and_marks_stay_right_while_a_shards_slot_moves()
    {
        var seeds = RedisClusterServer.Seeds;
        var options = new StoreOptions { Keys = new KeyScheme($"t{Guid.NewGuid():N}_"), Layout = KeyLayout.Sharded(StoreKind.TestShardBits) };
        await using var store = await RedisStore.ConnectAsync(seeds + ",syncTimeout=30000,asyncTimeout=30000", options);
        await using var resharding = await ClusterResharding.ConnectAsync(seeds);

        // Two events over ids in shards 0..5; the oracle is plain sets.
        var width = 1 << StoreKind.TestShardBits;
        var r = new Random(13);
        var a = Enumerable.Range(0, 400).Select(_ => (long)r.Next(0, 6 * width)).ToHashSet();
        var b = Enumerable.Range(0, 400).Select(_ => (long)r.Next(0, 6 * width)).ToHashSet();
        var batch = store.CreateBatch();
        foreach (var id in a) batch.Mark("a", id, Day1);
        foreach (var id in b) batch.Mark("b", id, Day2);
        await batch.ExecuteAsync();
        var both = a.Intersect(b).Order().ToList();
        var either = a.Union(b).Order().ToList();
        var month = Period.Of(PeriodUnit.Month, Day1);

        // The slot of shard 2 moves: its keys (a's and b's month, week and day keys) are behind ASK one after another.
        const uint movingShard = 2;
        var slot = ShardMap.TargetSlot(movingShard);
        var home = await resharding.OwnerAsync(slot);
        var away = resharding.Primaries.First(p => !p.Equals(home));
        var inMovingShard = a.First(id => id >> StoreKind.TestShardBits == movingShard);

        var redirects = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "bitmapist.redis.cluster_redirects") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref redirects, value));
        listener.Start();

        var wrong = new ConcurrentQueue<string>();
        var acknowledged = new ConcurrentQueue<long>();
        var queries = 0;
        using var stop = new CancellationTokenSource();

        async Task QueryLoop()
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var count = await (store.At("a", month) & store.At("b", month)).CountAsync();
                    if (count != both.Count) wrong.Enqueue($"count of a & b: {count}, not {both.Count}");
                    var ids = await (store.At("a", month) | store.At("b", month)).ToListAsync();
                    if (!ids.SequenceEqual(either)) wrong.Enqueue($"ids of a | b: {ids.Count} ids, not the {either.Count} expected");
                    if (!await store.At("a", month).ContainsAsync(inMovingShard)) wrong.Enqueue($"a does not contain {inMovingShard}");
                    Interlocked.Increment(ref queries);
                }
                catch (Exception e)
                {
                    wrong.Enqueue($"query failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        async Task MarkLoop()
        {
            var next = 0;
            while (!stop.IsCancellationRequested)
            {
                // Ids in every shard, the moving one included; a mark is acknowledged once MarkAsync returns.
                var id = (long)(next++ % 6 * width + next / 6);
                try
                {
                    await store.MarkAsync("during", id, Day1);
                    acknowledged.Enqueue(id);
                }
                catch (Exception e)
                {
                    wrong.Enqueue($"mark of {id} failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        // The slot also holds the keys of every other test's shard 2 (the tag is the shard's, whatever the prefix): about
        // ten MIGRATEs whatever their number, with a pause after each so that the loops run against the half-moved slot.
        var batchSize = (int)Math.Max(1, await resharding.CountKeysAsync(home, slot) / 10);
        var loops = new[] { Task.Run(QueryLoop), Task.Run(QueryLoop), Task.Run(MarkLoop) };
        try
        {
            await resharding.MoveSlotAsync(slot, away, batchSize, afterBatch: _ => Task.Delay(40));
            (await resharding.OwnerAsync(slot)).ShouldBe(away);
            await Task.Delay(200);
            await resharding.MoveSlotAsync(slot, home, batchSize, afterBatch: _ => Task.Delay(40));
            (await resharding.OwnerAsync(slot)).ShouldBe(home);
            await Task.Delay(200);
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(loops);
        }

        wrong.Take(5).ShouldBeEmpty($"{wrong.Count} wrong answers or failures; the first five");
        queries.ShouldBeGreaterThan(0);
        var marked = (await store.At("during", month).ToListAsync()).ToHashSet();
        acknowledged.Where(id => !marked.Contains(id)).ShouldBeEmpty("every acknowledged mark is stored");
        acknowledged.ShouldContain(id => id >> StoreKind.TestShardBits == movingShard, "marks went into the moving shard");
        Interlocked.Read(ref redirects).ShouldBeGreaterThan(0, "the cluster turned batches away while the slot moved, and they were retried");
    }
}
