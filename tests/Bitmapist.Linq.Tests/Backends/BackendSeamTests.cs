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
        // A disposed store says so, whatever it is asked, rather than its back end's own failure.
        await Should.ThrowAsync<ObjectDisposedException>(() => store.Month("a").CountAsync());
        await Should.ThrowAsync<ObjectDisposedException>(() => store.MarkAsync("a", 1));
        await Should.ThrowAsync<ObjectDisposedException>(() => store.ListEventsAsync());
        await store.DisposeAsync(); // twice is fine
    }

    /// <summary>A back end that learns what its server can do after it is made (a cluster that upgrades, say).</summary>
    private sealed class LearningBackend(IBitmapBackend inner) : IBitmapBackend
    {
        public CapabilityProfile Profile { get; set; } = inner.Profile;
        public Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct) => inner.RunAsync(program, ct);
        public Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct) => inner.WriteBitsAsync(writes, ct);
        public Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct) => inner.MergeAsync(merges, ct);
        public IAsyncEnumerable<string> ScanAsync(string pattern, CancellationToken ct) => inner.ScanAsync(pattern, ct);
        public Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct) => inner.DeleteAsync(keys, ct);
        public Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct) => inner.AnyKeyExistsAsync(groups, ct);
        public IEnumerable<string> Describe(BatchProgram program) => inner.Describe(program);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Fact]
    public async Task A_cached_plan_is_not_reused_once_the_back_ends_profile_changed()
    {
        // The planner reads the back end's profile at every plan, but the plan caches were keyed by the query alone:
        // a difference planned as BITOP DIFF for redis8 was sent again to a back end that now says redis7.
        var backend = new LearningBackend(Engine(CapabilityProfile.Redis8));
        await using var store = new BitmapStore(backend);
        var query = new SetQuery(SetExpr.Key("a") - SetExpr.Key("b"), ReadKind.Count);
        store.Plan(query).Program.Steps.OfType<BitOpStep>().Select(s => s.Op).ShouldContain(BitOpKind.Diff);
        var cohort = new Bitmapist.Linq.Cohorts.CohortQuery(new TemplateNode("signup"), new TemplateNode("active"), Bitmapist.Linq.Model.PeriodUnit.Day) { Rows = 2, Cols = 2 };
        store.Plan(cohort).Program.Profile.ShouldBe(CapabilityProfile.Redis8);

        backend.Profile = CapabilityProfile.Redis7;
        var plan = store.Plan(query);
        plan.Program.Profile.ShouldBe(CapabilityProfile.Redis7);
        plan.Program.Steps.OfType<BitOpStep>().Select(s => s.Op).ShouldNotContain(BitOpKind.Diff);
        store.PlanCounts([query.Set]).Program.Profile.ShouldBe(CapabilityProfile.Redis7);
        store.Plan(cohort).Program.Profile.ShouldBe(CapabilityProfile.Redis7);
    }

    [Fact]
    public async Task The_same_counts_asked_again_reuse_their_program()
    {
        // A back end prepares a program once (the counts script's arguments, the sharded layout's joined batch), keyed by
        // the program object: planning the same counts again must hand back the same program, and other counts another.
        var backend = new LearningBackend(Engine(CapabilityProfile.Redis8));
        await using var store = new BitmapStore(backend);
        SetExpr[] sets = [SetExpr.Key("a") & SetExpr.Key("b"), SetExpr.Key("a")];
        var first = store.PlanCounts(sets).Program;
        store.PlanCounts(sets).Program.ShouldBeSameAs(first);
        var other = store.PlanCounts([SetExpr.Key("a") | SetExpr.Key("c"), SetExpr.Key("a")]).Program;
        other.ShouldNotBeSameAs(first);
        other.Reads.Length.ShouldBe(2);
        backend.Profile = CapabilityProfile.Redis7;
        store.PlanCounts([SetExpr.Key("a") | SetExpr.Key("c"), SetExpr.Key("a")]).Program.Profile.ShouldBe(CapabilityProfile.Redis7);
    }
}
