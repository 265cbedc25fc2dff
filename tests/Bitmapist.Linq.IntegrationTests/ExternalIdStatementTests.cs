using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// External ids in the text language on every store that holds id maps (embedded, Redis, sharded Redis): literal
/// sets of quoted ids, <c>'alice' in SET</c>, and <c>ids</c> mapped back to external ids in order of internal id.
/// </summary>
public class ExternalIdStatementTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    /// <summary>The stores with id maps (bitmapist-server holds bitmaps only).</summary>
    public static TheoryData<string> Kinds() => [StoreKind.Embedded, StoreKind.Redis, StoreKind.RedisSharded];

    private static Task<BitmapStore> Create(string kind, string? idMap = "users") =>
        StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)), IdMap = idMap });

    /// <summary>alice, bob and carol active this month, bob and dave paid; 7 marked by number (no external id).</summary>
    private static async Task<BitmapStore> Seeded(string kind)
    {
        var store = await Create(kind);
        var batch = store.CreateBatch();
        foreach (var user in new[] { "alice", "bob", "carol" }) batch.Mark("active", user, Now);
        foreach (var user in new[] { "bob", "dave" }) batch.Mark("paid", user, Now);
        batch.Mark("active", 7, Now);
        await batch.ExecuteAsync();
        return store;
    }

    private static async Task<StatementResult> Run(BitmapStore store, string text) =>
        await new StatementExecutor(store).ExecuteAsync(TextQuery.Parse(text).ShouldHaveSingleItem());

    private static async Task<long> Count(BitmapStore store, string text) => ((CountResult)await Run(store, text)).Count;

    private static async Task<List<MappedId>> Mapped(IdsResult result)
    {
        var list = new List<MappedId>();
        await foreach (var id in result.MappedIds) list.Add(id);
        return list;
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Membership_by_external_id(string kind)
    {
        await using var store = await Seeded(kind);
        var alice = await store.DefaultIdMap!.FindAsync("alice");
        (await Run(store, "'alice' in month(active)")).ShouldBe(new ContainsResult(alice!.Value, true) { ExternalId = "alice" });
        ((ContainsResult)await Run(store, "'dave' in month(active)")).Contains.ShouldBeFalse();
        ((ContainsResult)await Run(store, "'dave' in month(paid)")).Contains.ShouldBeTrue();
        // an external id with no internal id is in no set
        (await Run(store, "'nobody' in month(active)")).ShouldBe(new ContainsResult(-1, false) { ExternalId = "nobody" });
        // a quoted number is an external id, not the internal id 7
        ((ContainsResult)await Run(store, "'7' in month(active)")).Contains.ShouldBeFalse();
        ((ContainsResult)await Run(store, "7 in month(active)")).Contains.ShouldBeTrue();
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Literal_sets_of_external_ids_in_and_or_and_diff(string kind)
    {
        await using var store = await Seeded(kind);
        (await Count(store, "count {'alice', 'bob', 'nobody'}")).ShouldBe(2); // the unmapped id adds nothing
        (await Count(store, "count month(active) & {'bob', 'dave'}")).ShouldBe(1);
        (await Count(store, "count month(active) | {'dave'}")).ShouldBe(5);
        (await Count(store, "count month(active) - {'alice', 'carol'}")).ShouldBe(2); // bob and 7
        (await Count(store, "count month(active) & {7, 'carol'}")).ShouldBe(2);
        (await Count(store, "count month(paid) ^ {'dave', 'carol'}")).ShouldBe(2); // bob and carol
        ((PercentResult)await Run(store, "percent {'bob'} of month(paid)")).Percent.ShouldBe(50);
        // several count statements with literals run in one batch and agree
        var results = new List<StatementResult>();
        await foreach (var r in new StatementExecutor(store).ExecuteAllAsync(TextQuery.Parse("count {'alice'}; count {'nobody'}; month(paid) & {'bob'}")))
            results.Add(r);
        results.ShouldBe([new CountResult(1), new CountResult(0), new CountResult(1)]);
        // let binds a literal of external ids like any set
        (await new StatementExecutor(store).ExecuteAllAsync(TextQuery.Parse("let vip = {'alice', 'dave'}\ncount vip & month(paid)")).ToListAsync())[^1]
            .ShouldBe(new CountResult(1));
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Ids_are_mapped_back_in_order_of_internal_id_across_pages(string kind)
    {
        await using var store = await Create(kind);
        // More users than one lookup page, named so that alphabetical order is not internal-id order.
        var users = Enumerable.Range(0, IdsResult.MapPageSize + 500).Select(i => $"user-{(i * 7919) % 100_003:D6}").Distinct().ToList();
        var batch = store.CreateBatch();
        foreach (var user in users) batch.Mark("active", user, Now);
        batch.Mark("active", 3_000_000, Now); // marked by number: no external id, still listed
        await batch.ExecuteAsync();

        var result = (IdsResult)await Run(store, "ids month(active)");
        result.IdMap.ShouldNotBeNull();
        var mapped = await Mapped(result);
        mapped.Count.ShouldBe(users.Count + 1);
        mapped.Select(m => m.Id).ShouldBe(mapped.Select(m => m.Id).Order(), "in order of internal id");
        var internalIds = await store.DefaultIdMap!.FindAsync(users);
        var expected = users.Select((u, i) => new MappedId(internalIds[i]!.Value, u)).OrderBy(m => m.Id).ToList();
        var wrong = mapped.Where(m => m.ExternalId is not null).Zip(expected).Count(p => p.First != p.Second);
        wrong.ShouldBe(0, "each internal id with its own external id");
        mapped.Single(m => m.ExternalId is null).ShouldBe(new MappedId(3_000_000, null));
        mapped.Single(m => m.ExternalId is null).Display.ShouldBe("#3000000");
        mapped.Select(m => m.ExternalId).Where(x => x is not null).ShouldNotBe(users.Order(StringComparer.Ordinal).Cast<string?>(), "the order is not alphabetical");

        // a page after an internal id, as the REPL and console page on
        var page = (IdsResult)await Run(store, $"ids month(active) limit 3 after {mapped[1].Id}");
        (await Mapped(page)).ShouldBe(mapped.Skip(2).Take(3));
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Without_an_id_map_statements_naming_external_ids_say_how_to_configure_one(string kind)
    {
        await using var store = await Create(kind, idMap: null);
        await store.MarkAsync("active", 1, Now);
        var executor = new StatementExecutor(store);
        foreach (var text in new[] { "count {'alice'}", "'alice' in month(active)", "ids month(active) & {1, 'alice'}", "explain count {'alice'}",
                     "trend month(active) & {'alice'} by day rows 2" })
        {
            var e = await Should.ThrowAsync<BitmapistQueryException>(() => executor.ExecuteAsync(TextQuery.Parse(text).Single()), text);
            e.Message.ShouldContain("this store has none");
            e.Fix.ShouldNotBeNull().ShouldContain("StoreOptions.IdMap");
            e.Fix.ShouldContain("--id-map users");
        }
        // a batch of counts yields the results before the statement that cannot run, then its own error
        var results = new List<StatementResult>();
        var error = await Should.ThrowAsync<BitmapistQueryException>(async () =>
        {
            await foreach (var r in executor.ExecuteAllAsync(TextQuery.Parse("count month(active); count {'alice'}"))) results.Add(r);
        });
        results.ShouldBe([new CountResult(1)]);
        error.Message.ShouldContain("count {'alice'}");
        // ids output of a store without a map stays internal ids
        var ids = (IdsResult)await Run(store, "ids month(active)");
        ids.IdMap.ShouldBeNull();
        (await Mapped(ids)).ShouldBe([new MappedId(1, null)]);
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public async Task Explain_shows_the_lookup_and_the_bound_internal_ids(string kind)
    {
        await using var store = await Seeded(kind);
        var bob = (await store.DefaultIdMap!.FindAsync("bob"))!.Value;
        var plan = ((ExplainResult)await Run(store, "explain count month(active) & {'bob', 'nobody'}")).Plan;
        plan.ShouldContain("{'bob', 'nobody'}");
        plan.ShouldContain($"{{{bob}}}");
        var contains = ((ExplainResult)await Run(store, "explain 'bob' in month(active)")).Plan;
        contains.ShouldStartWith($"lookup:    'bob' is internal id {bob} in the id map 'users'\n");
        contains.ShouldContain($"query:     {bob} in month(active)");
        ((ExplainResult)await Run(store, "explain 'nobody' in month(active)")).Plan.ShouldContain("has no internal id in the id map 'users'");
    }
}
