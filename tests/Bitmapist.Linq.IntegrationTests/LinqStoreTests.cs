using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>LINQ queries on each store give the members the HashSet oracle computes for their hand-built twin.</summary>
public class LinqStoreTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);

    private static SetExpr M(string e, int offset = 0) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, offset));
    private static SetExpr W(string e) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week));

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public async Task Linq_results_match_the_oracle(string kind)
    {
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });
        var r = new Random(11);
        var data = new Dictionary<string, HashSet<uint>>();
        var batch = store.CreateBatch();
        foreach (var e in new[] { "active", "song:played", "signup" })
            for (var i = 0; i < 300; i++)
            {
                var id = RandomFormula.Interesting(r, 5000);
                var at = Now.AddDays(-r.Next(0, 50));
                batch.Mark(e, id, at);
                foreach (var unit in new[] { PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day })
                {
                    var key = store.Keys.Key(e, Period.Of(unit, at));
                    if (!data.TryGetValue(key, out var set)) data[key] = set = [];
                    set.Add(id);
                }
            }
        await batch.ExecuteAsync();
        var oracle = new SetOracle(store.Keys, data, Now);
        var vip = new long[] { 7, 8, 64, 4000 };
        var previous = store.Month("active").Previous();

        var cases = new (UserSet Linq, SetExpr Twin)[]
        {
            (store.Month("active").Where(u => store.Week("song:played").Contains(u)), M("active") & W("song:played")),
            (store.Month("active").Where(u => !store.Week("song:played").Contains(u) && !store.Month("signup").Contains(u)), M("active") - W("song:played") - M("signup")),
            (store.Month("active").Where(u => store.Week("song:played").Contains(u) || vip.Contains(u)), M("active") & (W("song:played") | SetExpr.Ids(vip))),
            (previous.Where(u => store.Month("active").Contains(u)), M("active", -1) & M("active")),
            (store.Month("active").Except(store.Month("signup")).Union(store.Week("signup")), (M("active") - M("signup")) | W("signup")),
            (from u in store.Month("signup") where !store.Month("active", 2026, 10).Contains(u) select u, M("signup") - SetExpr.Event("active", Period.Month(2026, 10))),
        };
        foreach (var (linq, twin) in cases)
        {
            var expected = oracle.Eval(twin).Order().Select(x => (long)x).ToList();
            (await linq.ToListAsync()).ShouldBe(expected, linq.ToString());
            (await linq.CountAsync()).ShouldBe(expected.Count);
            linq.Count().ShouldBe(expected.Count);
            ((IQueryable<long>)linq).LongCount().ShouldBe(expected.Count);
            (await linq.AnyAsync()).ShouldBe(expected.Count > 0);
            if (expected.Count > 0)
            {
                (await linq.FirstAsync()).ShouldBe(expected[0]);
                ((IQueryable<long>)linq).Max().ShouldBe(expected[^1]);
                ((IQueryable<long>)linq).Contains(expected[^1]).ShouldBeTrue();
                (await linq.Skip(1).Take(2).ToListAsync()).ShouldBe(expected.Skip(1).Take(2));
                (await linq.Skip(1).Take(2).CountAsync()).ShouldBe(expected.Skip(1).Take(2).Count());
                linq.Take(3).ToArray().ShouldBe(expected.Take(3));
            }
            var streamed = new List<long>();
            await foreach (var id in linq.AsAsyncEnumerable()) streamed.Add(id);
            streamed.ShouldBe(expected);
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }
}
