using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// What a get-or-create costs on Redis. A large call reads first: its mapped ids are one HMGET and run no script (the
/// script costs the server about 3x more per id), its new ids then go to one script call, without the mapped ones. A
/// small call (a single mark) is one script call whatever its ids, so a mark by external id stays two round trips.
/// </summary>
public class IdMapRoundTripTests
{
    private static StoreOptions Options() => new StoreOptions { IdMap = "users" }.WithPrefix($"t{Guid.NewGuid():N}_");

    private static readonly string[] Many = [.. Enumerable.Range(0, 150).Select(i => $"user-{i}")];

    [SkippableFact]
    public async Task A_large_call_of_mapped_ids_is_one_HMGET_and_its_new_ids_add_one_script_call_for_them_only()
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(StoreKind.Redis, Options());
        var map = store.IdMap("users");
        var first = await map.GetOrCreateAsync(Many); // loads the script

        uint[]? again = null;
        var mapped = await redis.ObserveAsync(store, async () => again = await map.GetOrCreateAsync([.. Many.Reverse(), Many[0]]));
        again.ShouldBe([.. first.Reverse(), first[0]]);
        mapped.RoundTrips.Count.ShouldBe(1, string.Join("\n", mapped.Lines));
        mapped.ServerCalls.ShouldBe(new Dictionary<string, long> { ["hmget"] = 1 });

        uint[]? mixed = null;
        var created = await redis.ObserveAsync(store, async () => mixed = await map.GetOrCreateAsync(["carol", .. Many]));
        mixed.ShouldBe([150u, .. first]);
        created.RoundTrips.Count.ShouldBe(2, string.Join("\n", created.Lines));
        created.RoundTrips[1].Count.ShouldBe(1);
        created.RoundTrips[1][0].ShouldStartWith("EVALSHA");
        created.RoundTrips[1][0].ShouldContain("carol");
        created.RoundTrips[1][0].ShouldNotContain("user-"); // the script gets the missing ids only
        created.ServerCalls["evalsha"].ShouldBe(1);
    }

    [SkippableFact]
    public async Task A_single_mark_by_external_id_is_two_round_trips_new_or_mapped()
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(StoreKind.Redis, Options());
        await store.MarkAsync("active", "alice"); // loads the script
        foreach (var who in new[] { "alice", "bob" })
        {
            var seen = await redis.ObserveAsync(store, () => store.MarkAsync("active", who));
            seen.RoundTrips.Count.ShouldBe(2, string.Join("\n", seen.Lines));
            seen.RoundTrips[0][0].ShouldStartWith("EVALSHA");
        }
        (await store.IdMap("users").FindAsync(["alice", "bob"])).ShouldBe([0u, 1u]);
    }
}
