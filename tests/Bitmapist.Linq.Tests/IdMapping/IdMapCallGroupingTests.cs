using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tests.IdMapping;

/// <summary>
/// IdMap splits a call's ids by lane and into chunks, sends them all at once and puts the answers back in the caller's
/// order: on both layouts (one lane; 16 lanes), with repeats, and past one chunk (10,000 ids) per lane.
/// </summary>
public class IdMapCallGroupingTests
{
    private const int Distinct = 24_000;

    // Every id twice, the second time in another order: repeats go to the back end once and are answered twice.
    private static readonly string[] ExternalIds =
        [.. Enumerable.Range(0, Distinct).Select(i => $"user-{i}"), .. Enumerable.Range(0, Distinct).Select(i => $"user-{(i * 7) % Distinct}")];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Each_id_is_answered_by_its_own_lane_in_the_callers_order(bool sharded)
    {
        using var store = new EmbeddedStore(new StoreOptions { IdMap = "users", Layout = sharded ? KeyLayout.Sharded(8) : KeyLayout.Bitmapist });
        var map = store.IdMap("users");

        var ids = await map.GetOrCreateAsync(ExternalIds);

        for (var i = 0; i < ExternalIds.Length; i++)
            map.LaneOf(ExternalIds[i]).Holds(ids[i]).ShouldBeTrue($"{ExternalIds[i]} got {ids[i]}, not an id of its lane");
        for (var i = 0; i < Distinct; i++) ids[Distinct + i].ShouldBe(ids[(i * 7) % Distinct]);
        ids.Distinct().Count().ShouldBe(Distinct);
        (await map.FindAsync(ExternalIds)).ShouldBe([.. ids.Select(id => (uint?)id)]);
        (await map.FindExternalAsync(ids)).ShouldBe(ExternalIds);
        (await map.GetOrCreateAsync([.. ExternalIds.Reverse()])).ShouldBe([.. ids.Reverse()]);
        (await map.CountAsync()).Mapped.ShouldBe(Distinct);
    }

    [Fact]
    public async Task An_id_never_handed_out_is_answered_null_in_its_place()
    {
        using var store = new EmbeddedStore(new StoreOptions { IdMap = "users" });
        var map = store.IdMap("users");
        var ids = await map.GetOrCreateAsync(["alice", "bob"]);
        (await map.FindExternalAsync([ids[1], 4_000_000_000, ids[0]])).ShouldBe(["bob", null, "alice"]);
    }
}
