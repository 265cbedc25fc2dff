using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// What a get-or-create costs on Redis: ids already mapped are one HMGET and run no script (the script costs the server
/// several times more per id); new ids are that HMGET and then one script call for the missing ones only.
/// </summary>
public class IdMapRoundTripTests
{
    private static StoreOptions Options() => new StoreOptions { IdMap = "users" }.WithPrefix($"t{Guid.NewGuid():N}_");

    [SkippableFact]
    public async Task Mapped_ids_are_one_HMGET_and_new_ones_add_one_script_call_for_the_missing_only()
    {
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(StoreKind.Redis, Options());
        var map = store.IdMap("users");
        var first = await map.GetOrCreateAsync(["alice", "bob"]); // loads the script

        uint[]? again = null;
        var mapped = await redis.ObserveAsync(store, async () => again = await map.GetOrCreateAsync(["bob", "alice", "bob"]));
        again.ShouldBe([first[1], first[0], first[1]]);
        mapped.RoundTrips.Count.ShouldBe(1, string.Join("\n", mapped.Lines));
        mapped.ServerCalls.ShouldBe(new Dictionary<string, long> { ["hmget"] = 1 });

        uint[]? mixed = null;
        var created = await redis.ObserveAsync(store, async () => mixed = await map.GetOrCreateAsync(["carol", "alice"]));
        mixed.ShouldBe([2u, first[0]]);
        created.RoundTrips.Count.ShouldBe(2, string.Join("\n", created.Lines));
        created.RoundTrips[1].Count.ShouldBe(1);
        created.RoundTrips[1][0].ShouldStartWith("EVALSHA");
        created.RoundTrips[1][0].ShouldContain("carol");
        created.RoundTrips[1][0].ShouldNotContain("alice"); // the script gets the missing ids only
        created.ServerCalls["evalsha"].ShouldBe(1);
    }
}
