using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Query;

/// <summary>A store's universe must be a positive set: one that names itself has no meaning and used to reach the emitter.</summary>
public class UniverseOptionTests
{
    [Theory]
    [InlineData("users", "uses users")]
    [InlineData("~unique(banned)", "uses a complement")]
    [InlineData("unique(user) - not month(active)", "uses a complement")]
    [InlineData("@everyone | unique(user)", "uses a parameter")]
    public void A_universe_made_of_itself_is_refused_when_the_store_is_made(string universe, string problem)
    {
        // Before: InvalidOperationException "Internal error: 'users' (Universe) reached the emitter" at the first complement.
        var e = Should.Throw<ArgumentException>(() => new EmbeddedStore(new StoreOptions { Universe = TextQuery.ParseSet(universe) }));
        e.Message.ShouldContain(problem);
        e.Message.ShouldContain("must be made of events, flags and ids");
    }

    [Fact]
    public async Task A_positive_universe_is_accepted_and_complements_run_against_it()
    {
        await using var store = new EmbeddedStore(new StoreOptions { Universe = TextQuery.ParseSet("unique(user) | {7} - unique(banned)") });
        await store.MarkUniqueAsync("user", 1);
        await store.MarkUniqueAsync("user", 2);
        await store.MarkAsync("active", 2);
        (await store.Set(TextQuery.ParseSet("~month(active)")).IdsAsync().ToListAsync()).ShouldBe([1L, 7L]);
        StoreOptions.UniverseProblem(SetExpr.Unique("user")).ShouldBeNull();
    }
}
