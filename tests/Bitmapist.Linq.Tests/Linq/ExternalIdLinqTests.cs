using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Linq;

/// <summary>Literal sets of external ids inside LINQ predicates: translated, cached by shape, and run.</summary>
[Collection(DefaultStoreCollection.Name)]
public class ExternalIdLinqTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    private static async Task<EmbeddedStore> StoreAsync()
    {
        var store = new EmbeddedStore(new StoreOptions { IdMap = "users", Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });
        foreach (var user in new[] { "alice", "bob", "carol" }) await store.MarkAsync("a", user, Now);
        await store.MarkAsync("b", "bob", Now);
        return store;
    }

    private static async Task<string?[]> ExternalAsync(BitmapStore store, UserSet set) =>
        await store.DefaultIdMap!.FindExternalAsync([.. (await set.ToListAsync()).Select(i => (uint)i)]);

    [Fact]
    public async Task Store_Ids_of_strings_inside_a_predicate_translates_and_runs()
    {
        var store = await StoreAsync();
        var query = store.Month("a").Where(u => store.Ids("alice", "bob", "nobody").Contains(u));
        query.ToSetExpr().ShouldBe(SetExpr.Event("a", PeriodRef.Relative(PeriodUnit.Month)) & SetExpr.ExternalIds(["alice", "bob", "nobody"]));
        (await ExternalAsync(store, query)).ShouldBe(["alice", "bob"]); // an unmapped id adds nothing
        (await query.CountAsync()).ShouldBe(2);
        (await store.Month("a").Where(u => !store.Ids("alice").Contains(u) && store.Month("b").Contains(u)).CountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task Events_Ids_of_strings_inside_a_predicate_translates_and_runs()
    {
        var store = await StoreAsync();
        Events.DefaultStore = store;
        try
        {
            var query = store.Month("a").Where(u => Events.Ids("carol").Contains(u) || Events.Ids("bob").Contains(u));
            (await ExternalAsync(store, query)).ShouldBe(["bob", "carol"]);
            (await store.Month("a").Intersect(Events.Ids("alice", "carol")).CountAsync()).ShouldBe(2);
        }
        finally
        {
            Events.DefaultStore = null!;
        }
    }

    [Fact]
    public async Task A_captured_array_of_external_ids_is_a_parameter_slot_read_at_every_run()
    {
        var store = await StoreAsync();
        Events.DefaultStore = store;
        try
        {
            store.TranslationCache.Clear();
            foreach (var names in new[] { new[] { "alice" }, new[] { "bob", "carol" }, new[] { "nobody" } })
            {
                var query = store.Month("a").Where(u => Events.Ids(names).Contains(u));
                query.ToSetExpr().ShouldBe(SetExpr.Event("a", PeriodRef.Relative(PeriodUnit.Month)) & SetExpr.ExternalIds(names));
                (await query.CountAsync()).ShouldBe(names[0] == "nobody" ? 0 : names.Length);
            }
            // one shape, three values: one translation, read again with each array
            store.TranslationCache.Count.ShouldBe(1);
            store.TranslationCache.Misses.ShouldBe(1);
        }
        finally
        {
            Events.DefaultStore = null!;
        }
    }

    [Fact]
    public async Task An_array_mutated_between_runs_is_read_again()
    {
        var store = await StoreAsync();
        var names = new[] { "alice" };
        var query = store.Month("a").Where(u => store.Ids(names).Contains(u));
        (await ExternalAsync(store, query)).ShouldBe(["alice"]);
        names[0] = "carol";
        (await ExternalAsync(store, query)).ShouldBe(["carol"]);
    }

    [Fact]
    public void A_string_compared_with_the_user_is_refused_with_the_fix()
    {
        var store = new EmbeddedStore(new StoreOptions { IdMap = "users" });
        var names = new[] { "alice" };
        var e = Should.Throw<UnsupportedQueryException>(() => store.Month("a").Where(u => names.Contains(u.ToString())).ToSetExpr());
        e.Fix.ShouldContain("store.Ids(");
        e.Fix.ShouldContain(".Contains(u)");
    }

    [Fact]
    public async Task Without_an_id_map_running_says_how_to_configure_one()
    {
        var store = new EmbeddedStore();
        var query = store.Month("a").Where(u => store.Ids("alice").Contains(u));
        var e = await Should.ThrowAsync<InvalidOperationException>(() => query.CountAsync());
        e.Message.ShouldContain("StoreOptions.IdMap");
        e.Message.ShouldContain("--id-map");
    }
}
