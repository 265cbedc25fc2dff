using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tests.Backends;

/// <summary>The facade over a back end: the profile the planner uses is the back end's own, and it owns the back end.</summary>
public class BackendSeamTests
{
    private static EmbeddedBackend Engine(CapabilityProfile profile) => new(profile, new Dictionary<string, PagedBitmap>(StringComparer.Ordinal));

    [Fact]
    public void A_profile_in_the_options_that_contradicts_the_back_end_is_refused()
    {
        var e = Should.Throw<ArgumentException>(() => new BitmapStore(Engine(CapabilityProfile.Embedded), new StoreOptions { Profile = CapabilityProfile.Redis7 }));
        e.Message.ShouldContain("StoreOptions.Profile is 'redis7' but the back end EmbeddedBackend runs 'embedded'");
    }

    [Fact]
    public async Task The_store_plans_for_its_back_ends_profile_and_disposes_it()
    {
        var engine = Engine(CapabilityProfile.Redis7);
        var store = new BitmapStore(engine, new StoreOptions { Profile = CapabilityProfile.Redis7 });
        store.Profile.ShouldBe(CapabilityProfile.Redis7);
        store.Plan(new SetQuery(SetExpr.Or(Enumerable.Range(0, 20).Select(i => SetExpr.Key($"k{i}"))), ReadKind.Count))
            .Program.Steps.Length.ShouldBe(2, "redis7 splits a 20-source OR at 16 sources");
        await store.DisposeAsync();
        Should.Throw<ObjectDisposedException>(() => engine.KeyCount);
    }
}
