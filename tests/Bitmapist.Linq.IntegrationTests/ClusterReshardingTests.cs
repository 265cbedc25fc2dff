using System.Collections.Concurrent;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// <see cref="ClusterResharding"/> itself, on the Redis Cluster of <see cref="RedisClusterServer"/>: a slot moved to
/// another primary and back really moves (owner and keys), and a client reading through it never gets a wrong answer.
/// </summary>
[Collection(ClusterReshardingCollection.Name)]
public class ClusterReshardingTests
{
    [SkippableFact]
    public async Task A_slot_moved_to_another_primary_and_back_keeps_every_read_right()
    {
        var seeds = RedisClusterServer.Seeds;
        await using var resharding = await ClusterResharding.ConnectAsync(seeds);
        await using var client = await ConnectionMultiplexer.ConnectAsync(seeds);
        var db = client.GetDatabase();
        // One hash tag: every key in one slot, a fresh one per run.
        var tag = $"{{resharding-{Guid.NewGuid():N}}}";
        var expected = Enumerable.Range(0, 5).ToDictionary(i => (RedisKey)$"{tag}k{i}", i => (RedisValue)$"v{i}");
        var slot = client.HashSlot(expected.Keys.First());
        foreach (var (key, value) in expected) (await db.StringSetAsync(key, value)).ShouldBeTrue();
        var home = await resharding.OwnerAsync(slot);
        var away = resharding.Primaries.First(p => !p.Equals(home));

        var wrong = new ConcurrentQueue<string>();
        async Task ReadAll(string when)
        {
            foreach (var (key, value) in expected)
            {
                try
                {
                    var got = await db.StringGetAsync(key);
                    if (got != value) wrong.Enqueue($"{when}: {key} read as {(got.IsNull ? "nil" : got)}, not {value}");
                }
                catch (Exception e)
                {
                    wrong.Enqueue($"{when}: {key} failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }

        List<long> awayBatches = [], homeBatches = [];
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await ReadAll("reading alongside");
        });
        try
        {
            // Batches of 2 of the 5 keys: the reads after a batch see the slot half moved (some keys behind ASK).
            await resharding.MoveSlotAsync(slot, away, batchSize: 2, afterBatch: moved =>
            {
                awayBatches.Add(moved);
                return ReadAll($"{moved} keys moved to {away}");
            });
            (await resharding.OwnerAsync(slot)).ShouldBe(away);
            (await resharding.CountKeysAsync(away, slot)).ShouldBe(expected.Count);
            (await resharding.CountKeysAsync(home, slot)).ShouldBe(0);
            await ReadAll($"slot {slot} on {away}");

            await resharding.MoveSlotAsync(slot, home, batchSize: 2, afterBatch: moved =>
            {
                homeBatches.Add(moved);
                return ReadAll($"{moved} keys moved back to {home}");
            });
            (await resharding.OwnerAsync(slot)).ShouldBe(home);
            (await resharding.CountKeysAsync(home, slot)).ShouldBe(expected.Count);
            (await resharding.CountKeysAsync(away, slot)).ShouldBe(0);
            await ReadAll($"slot {slot} back on {home}");
        }
        finally
        {
            // No attempt to repair the cluster after a failure: this collection runs after every other test.
            await stop.CancelAsync();
            await reader;
        }

        wrong.ShouldBeEmpty();
        awayBatches.ShouldBe([2, 4, 5]);
        homeBatches.ShouldBe([2, 4, 5]);
        await db.KeyDeleteAsync([.. expected.Keys]);
    }
}
