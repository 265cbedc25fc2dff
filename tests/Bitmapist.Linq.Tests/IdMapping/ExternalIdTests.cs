using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;
using Shouldly;
using Xunit;

namespace Bitmapist.Linq.Tests.IdMapping;

/// <summary>Marking, literal sets and membership by external id on the embedded store, both layouts.</summary>
public class ExternalIdTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 0, 0, DateTimeKind.Utc);

    private static EmbeddedStore Store(string layout = "bitmapist", string? idMap = "users") => new(new StoreOptions
    {
        IdMap = idMap,
        Layout = KeyLayout.Parse(layout),
        Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
    });

    [Theory]
    [InlineData("bitmapist")]
    [InlineData("sharded:8")]
    public async Task Marks_by_external_id_are_counted_and_found_by_it(string layout)
    {
        await using var store = Store(layout);
        await store.MarkAsync("active", "alice");
        await store.MarkAsync("active", "bob");
        await store.MarkAsync("active", "alice"); // the same user again
        await store.MarkAsync("paid", "bob");
        (await store.Month("active").CountAsync()).ShouldBe(2);
        (await store.Month("active").ContainsAsync("alice")).ShouldBeTrue();
        (await store.Month("paid").ContainsAsync("alice")).ShouldBeFalse();
        (await store.Month("paid").ContainsAsync("nobody")).ShouldBeFalse();
        (await store.Month("active").Intersect(store.Ids("bob", "nobody")).CountAsync()).ShouldBe(1);
        (await store.Month("active").Except(store.Ids("bob")).CountAsync()).ShouldBe(1);
        var ids = await store.Month("active").ToListAsync();
        (await store.IdMap("users").FindExternalAsync([.. ids.Select(i => (uint)i)])).ShouldBe(["alice", "bob"], ignoreOrder: true);
    }

    [Fact]
    public async Task On_bitmapist_layout_ids_are_dense_from_zero_in_order_of_first_use()
    {
        await using var store = Store();
        var map = store.IdMap("users");
        (await map.GetOrCreateAsync(["carol", "alice", "carol", "bob"])).ShouldBe([0u, 1u, 0u, 2u]);
        (await map.GetOrCreateAsync(["bob", "dave"])).ShouldBe([2u, 3u]);
        (await map.FindAsync(["dave", "erin"])).ShouldBe([3u, null]);
        (await map.GetOrCreateAsync(IdMap.TextOf(9_007_199_254_740_993))).ShouldBe(4u);
        (await map.FindAsync("9007199254740993")).ShouldBe(4u);
        var counts = await map.CountAsync();
        counts.Mapped.ShouldBe(5);
        counts.Allocated.ShouldBe(5);
    }

    [Fact]
    public async Task A_batch_maps_all_its_external_ids_in_one_call_and_an_unmark_creates_none()
    {
        await using var store = Store();
        await store.CreateBatch().Mark("active", "alice").Mark("active", "bob").Unmark("active", "carol").ExecuteAsync();
        (await store.IdMap("users").CountAsync()).Mapped.ShouldBe(2);
        await store.UnmarkAsync("active", "alice", Now);
        (await store.Month("active").ContainsAsync("alice")).ShouldBeFalse();
        (await store.Month("active").CountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task A_bulk_import_by_external_id_maps_in_batches_and_gives_what_marks_give()
    {
        await using var store = Store();
        var import = store.CreateBulkImport();
        for (var i = 0; i < 1000; i++) await import.AddAsync("active", $"user-{i % 300}", Now.AddDays(-(i % 3)));
        await import.AddUniqueAsync("signed_up", "user-7");
        await import.FlushAsync();
        (await store.Month("active").CountAsync()).ShouldBe(300);
        (await store.Day("active", 2026, 11, 28).ContainsAsync("user-3")).ShouldBeTrue();
        (await store.Unique("signed_up").ContainsAsync("user-7")).ShouldBeTrue();
        (await store.IdMap("users").CountAsync()).Mapped.ShouldBe(300);
    }

    [Fact]
    public async Task Literal_sets_of_external_ids_print_quoted_and_bind_to_the_mapped_ids_only()
    {
        await using var store = Store();
        await store.MarkAsync("active", "o'brien");
        var set = SetExpr.ExternalIds(["zed", "o'brien", "zed"]);
        set.Text.ShouldBe("{'o''brien', 'zed'}");
        (await store.Set(set).CountAsync()).ShouldBe(1);
        store.Explain(new SetQuery(SetExpr.And(store.Month("active").ToSetExpr(), set), ReadKind.Count)).ShouldContain("{0}");
        SetExpr.ExternalIds([]).ShouldBe(SetExpr.Empty);
    }

    [Fact]
    public async Task Without_an_id_map_external_ids_are_refused_before_any_io_with_the_fix()
    {
        await using var store = Store(idMap: null);
        var e = await Should.ThrowAsync<InvalidOperationException>(() => store.MarkAsync("active", "alice"));
        e.Message.ShouldContain("StoreOptions.IdMap");
        e.Message.ShouldContain("--id-map");
        await Should.ThrowAsync<InvalidOperationException>(() => store.Ids("alice").CountAsync());
        await Should.ThrowAsync<InvalidOperationException>(() => store.Month("active").ContainsAsync("alice"));
        (await store.IdMap("other").GetOrCreateAsync("alice")).ShouldBe(0u); // a named map works without a default
    }

    [Theory]
    [InlineData("")]
    [InlineData("lone surrogate")] // an attribute cannot carry one: it is made below
    public async Task External_ids_that_could_not_be_told_apart_are_refused(string bad)
    {
        if (bad == "lone surrogate") bad = "a\ud800b";
        await using var store = Store();
        await Should.ThrowAsync<ArgumentException>(() => store.MarkAsync("active", bad));
        await Should.ThrowAsync<ArgumentException>(() => store.IdMap("users").GetOrCreateAsync(["ok", bad]));
        (await store.IdMap("users").CountAsync()).Mapped.ShouldBe(0); // nothing was created for "ok" either
        Should.Throw<ArgumentException>(() => SetExpr.ExternalIds([bad]));
        Should.Throw<ArgumentException>(() => IdMap.ValidateExternalId(new string('x', IdMap.MaxExternalIdBytes + 1)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("a:b")]
    public void Map_names_are_plain_words(string name)
    {
        Should.Throw<ArgumentException>(() => new EmbeddedStore(new StoreOptions { IdMap = name })).Message.ShouldContain("cannot name an id map");
    }

    [Fact]
    public async Task The_maps_keys_are_not_events()
    {
        await using var store = Store("sharded:8");
        await store.MarkAsync("active", "alice");
        (await store.ListEventsAsync()).ShouldBe(["active"]);
        await store.DeleteEventsAsync();
        (await store.IdMap("users").FindAsync("alice")).ShouldNotBeNull(); // deleting events keeps who is who
    }
}
