using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Random query trees over random marks, run on each store and on plain HashSets (<see cref="SetOracle"/>):
/// the members must be identical. Marks spread over several months so keys differ in length; some events
/// are never marked (missing keys); ids sit on byte, word and page edges.
/// </summary>
public class DifferentialOracleTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);
    private static readonly string[] Events = ["a", "b", "c:d", "e f", "never"];

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Random_queries_match_the_hashset_oracle(string kind)
    {
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions
        {
            Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
            Universe = SetExpr.Unique("all"),
        });
        var r = new Random(20261128);
        var data = new Dictionary<string, HashSet<uint>>();
        var batch = store.CreateBatch();
        void Mark(string e, uint id, DateTime at)
        {
            batch.Mark(e, id, at);
            batch.MarkUnique("all", id);
            foreach (var p in new[] { PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day })
                Add(store.Keys.Key(e, Period.Of(p, at)), id);
            Add(store.Keys.Key("all", Period.Unique), id);
        }
        void Add(string key, uint id)
        {
            if (!data.TryGetValue(key, out var s)) data[key] = s = [];
            s.Add(id);
        }
        foreach (var e in Events.SkipLast(1))
        {
            // Each event has its own id range, so its keys have different lengths.
            var max = (uint)r.Next(200, 300_000);
            for (var i = 0; i < r.Next(50, 400); i++)
                Mark(e, RandomFormula.Interesting(r, max), Now.AddDays(-r.Next(0, 100)).AddHours(-r.Next(0, 24)));
        }
        await batch.ExecuteAsync();

        SetExpr[] leaves =
        [
            .. Events.SelectMany(e => new[]
            {
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month)),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, -1)),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week, -r.Next(0, 8))),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day, -r.Next(0, 60))),
            }),
            SetExpr.Event("a", Period.Year(2026)),
            SetExpr.Range("b", PeriodRef.Relative(PeriodUnit.Day, -75), PeriodRef.Relative(PeriodUnit.Day, -3)),
            SetExpr.Range("a", PeriodRef.Relative(PeriodUnit.Day, -2), PeriodRef.Relative(PeriodUnit.Day, 0), RangeMode.All),
            SetExpr.Range("c:d", PeriodRef.Relative(PeriodUnit.Week, -6), PeriodRef.Relative(PeriodUnit.Week, -1)),
        ];
        var oracle = new SetOracle(store.Keys, data, Now, SetExpr.Unique("all"));
        var cases = kind == StoreKind.Embedded ? 1500 : 700;
        for (var i = 0; i < cases; i++)
        {
            var query = RandomFormula.Build(r, leaves, depth: 4);
            // Literal ids must be users: the universe holds every id the application knows.
            var literals = Subtrees(query).OfType<IdsNode>().SelectMany(n => n.Members).ToArray();
            if (literals.Length > 0)
            {
                var flags = store.CreateBatch();
                foreach (var id in literals) { flags.MarkUnique("all", id); Add(store.Keys.Key("all", Period.Unique), id); }
                await flags.ExecuteAsync();
            }
            var expected = oracle.Eval(query).Order().Select(x => (long)x).ToList();
            var set = store.Set(query);
            var context = $"case {i}: {query}";
            (await set.CountAsync()).ShouldBe(expected.Count, context);
            if (i % 3 == 0) (await set.ToListAsync()).ShouldBe(expected, context);
            if (i % 5 == 0 && expected.Count > 0)
            {
                (await set.ContainsAsync(expected[r.Next(expected.Count)])).ShouldBeTrue(context);
                (await set.MinAsync()).ShouldBe(expected[0], context);
                (await set.MaxAsync()).ShouldBe(expected[^1], context);
            }
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Ids_near_two_to_the_32_work(string kind)
    {
        // One SETBIT at 2^32-1 makes a 512 MiB Redis string: one test, then the key is deleted.
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });
        try
        {
            await store.MarkAsync("edge", UserIds.Max);
            await store.MarkAsync("edge", 5);
            await store.MarkAsync("other", 5);
            var edge = store.Day("edge");
            (await edge.ContainsAsync(UserIds.Max)).ShouldBeTrue();
            (await edge.CountAsync()).ShouldBe(2);
            // Min/max in the bitmapist-server profile GET the whole value: 512 MiB here. The real server also holds
            // its one lock while it writes that reply, so every other test sharing it would wait.
            if (kind is StoreKind.RedisAsBitmapistServer or StoreKind.BitmapistServer) return;
            (await edge.MaxAsync()).ShouldBe(UserIds.Max); // STRLEN + one GETRANGE page from the end
            (await edge.MinAsync()).ShouldBe(5);
            // Composite queries over 512 MiB strings take seconds of server BITOP time: embedded only.
            if (kind == StoreKind.Embedded) (await (edge - store.Day("other")).ToListAsync()).ShouldBe([UserIds.Max]);
        }
        finally
        {
            await store.DeleteEventsAsync();
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    private static IEnumerable<SetExpr> Subtrees(SetExpr e) => e.Children.SelectMany(Subtrees).Prepend(e);
}
