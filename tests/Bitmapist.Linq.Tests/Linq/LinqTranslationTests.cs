using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Linq;

/// <summary>LINQ queries translate to the same query-model expression (and so the same plan) as the hand-built twin.</summary>
[Collection(DefaultStoreCollection.Name)]
public class LinqTranslationTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);
    private readonly EmbeddedStore _store = new(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)) });

    private static SetExpr Month(string e, int offset = 0) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, offset));
    private static SetExpr Week(string e) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week));
    private static SetExpr Day(string e) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day));

    private string OptimizedPlan(SetExpr e)
    {
        var text = _store.Explain(new SetQuery(e, ReadKind.Count));
        return text[text.IndexOf("optimized:", StringComparison.Ordinal)..];
    }

    private void ShouldTranslateTo(UserSet linq, SetExpr expected)
    {
        linq.ToSetExpr().ShouldBe(expected, linq.Expression.ToString());
        OptimizedPlan(linq.ToSetExpr()).ShouldBe(OptimizedPlan(expected));
    }

    [Fact]
    public void The_design_cards_example_works_as_written()
    {
        Events.DefaultStore = _store;
        var query = Events.Month("active").Where(u => Events.Week("song:played").Contains(u));
        ShouldTranslateTo(query, Month("active") & Week("song:played"));
        query.Count().ShouldBe(0);
    }

    public static TheoryData<string> Shapes() => [.. Cases().Keys];

    private static Dictionary<string, (Func<BitmapStore, UserSet> Linq, SetExpr Expected)> Cases() => new()
    {
        ["where-contains"] = (s => s.Month("a").Where(u => s.Week("b").Contains(u)), Month("a") & Week("b")),
        ["where-not"] = (s => s.Month("a").Where(u => !s.Week("b").Contains(u)), Month("a") & ~Week("b")),
        ["where-and"] = (s => s.Month("a").Where(u => s.Week("b").Contains(u) && s.Day("c").Contains(u)), Month("a") & (Week("b") & Day("c"))),
        ["where-or"] = (s => s.Month("a").Where(u => s.Week("b").Contains(u) || s.Day("c").Contains(u)), Month("a") & (Week("b") | Day("c"))),
        ["where-xor"] = (s => s.Month("a").Where(u => s.Week("b").Contains(u) ^ s.Day("c").Contains(u)), Month("a") & (Week("b") ^ Day("c"))),
        ["where-twice"] = (s => s.Month("a").Where(u => s.Week("b").Contains(u)).Where(u => !s.Day("c").Contains(u)), Month("a") & Week("b") & ~Day("c")),
        ["nested-lambda"] = (s => s.Month("a").Where(u => s.Week("b").Where(v => s.Day("c").Contains(v)).Contains(u)), Month("a") & (Week("b") & Day("c"))),
        ["equals-id"] = (s => s.Month("a").Where(u => u == 42 || u == 7), Month("a") & (SetExpr.Ids([42]) | SetExpr.Ids([7]))),
        ["not-equals-id"] = (s => s.Month("a").Where(u => u != 42), Month("a") & ~SetExpr.Ids([42])),
        ["id-list-contains"] = (s => s.Month("a").Where(u => new long[] { 1, 2, 3 }.Contains(u)), Month("a") & SetExpr.Ids([1, 2, 3])),
        ["intersect"] = (s => s.Month("a").Intersect(s.Week("b")), Month("a") & Week("b")),
        ["union"] = (s => s.Month("a").Union(s.Week("b")), Month("a") | Week("b")),
        ["except"] = (s => s.Month("a").Except(s.Week("b")), Month("a") - Week("b")),
        ["operators"] = (s => (s.Month("a") & s.Week("b")) | (s.Day("c") - s.Week("b")) ^ s.Month("d"), (Month("a") & Week("b")) | ((Day("c") - Week("b")) ^ Month("d"))),
        ["previous-month"] = (s => s.Month("a").Where(u => s.Month("a").Previous().Contains(u)), Month("a") & Month("a", -1)),
        ["query-syntax"] = (s => from u in s.Month("a") where s.Unique("premium").Contains(u) select u, Month("a") & SetExpr.Unique("premium")),
        ["select-identity"] = (s => s.Month("a").Select(u => u), Month("a")),
        ["queryable-where"] = (s => (UserSet)Queryable.Where(s.Month("a"), u => s.Week("b").Contains(u)), Month("a") & Week("b")),
        ["true-and-false"] = (s => s.Month("a").Where(u => true).Where(u => s.Week("b").Contains(u) || false), Month("a") & SetExpr.Universe & (Week("b") | SetExpr.Empty)),
        ["composed-xor"] = (s => s.Month("a").Where(u => u != 3) ^ s.Week("b").Where(u => s.Day("c").Contains(u)), (Month("a") & ~SetExpr.Ids([3])) ^ (Week("b") & Day("c"))),
        ["composed-complement"] = (s => s.Month("a") & ~s.Week("b").Where(u => s.Day("c").Contains(u)), Month("a") & ~(Week("b") & Day("c"))),
        ["composed-operand"] = (s => s.Month("a").Where(u => (s.Week("b") | s.Day("c")).Contains(u)), Month("a") & (Week("b") | Day("c"))),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Linq_and_hand_built_queries_give_the_same_plan(string shape)
    {
        var (linq, expected) = Cases()[shape];
        ShouldTranslateTo(linq(_store), expected);
    }

    [Fact]
    public void Captured_variables_are_read_at_every_execution()
    {
        var store = _store;
        var id = 5L;
        var query = store.Month("a").Where(u => u == id);
        query.ToSetExpr().ShouldBe(Month("a") & SetExpr.Ids([5]));
        id = 6;
        query.ToSetExpr().ShouldBe(Month("a") & SetExpr.Ids([6]));

        var other = store.Week("b");
        var byCapturedSet = store.Month("a").Where(u => other.Contains(u));
        byCapturedSet.ToSetExpr().ShouldBe(Month("a") & Week("b"));
        other = store.Day("c");
        byCapturedSet.ToSetExpr().ShouldBe(Month("a") & Day("c"));

        var month = 10;
        var byArgs = store.Month("a").Where(u => store.Month("b", 2026, month).Contains(u));
        byArgs.ToSetExpr().ShouldBe(Month("a") & SetExpr.Event("b", Period.Month(2026, 10)));
        month = 11;
        byArgs.ToSetExpr().ShouldBe(Month("a") & SetExpr.Event("b", Period.Month(2026, 11)));
    }

    [Fact]
    public void Ten_thousand_captured_values_make_one_cache_entry()
    {
        var store = new EmbeddedStore();
        store.TranslationCache.Clear();
        for (long i = 0; i < 10_000; i++)
        {
            var captured = i;
            var query = store.Month("a").Where(u => u == captured);
            query.ToSetExpr().ShouldBe(Month("a") & SetExpr.Ids([captured]));
        }
        store.TranslationCache.Count.ShouldBe(1);
        store.TranslationCache.Misses.ShouldBe(1);
        store.TranslationCache.Hits.ShouldBe(9_999);
    }

    [Fact]
    public void A_captured_large_object_is_collectable_after_the_query()
    {
        var store = new EmbeddedStore();
        var weak = RunWithLargeCapture(store);
        for (var i = 0; i < 5 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        weak.IsAlive.ShouldBeFalse("the translation cache must not keep captured values");
        store.TranslationCache.Count.ShouldBe(1);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference RunWithLargeCapture(BitmapStore store)
    {
        var big = Enumerable.Range(0, 100_000).Select(i => (long)i).ToList();
        var query = store.Month("a").Where(u => big.Contains(u));
        query.Count().ShouldBe(0);
        return new WeakReference(big);
    }

    [Fact]
    public void The_cache_stays_within_its_bound()
    {
        var store = new EmbeddedStore(new StoreOptions { TranslationCacheCapacity = 64 });
        for (var i = 0; i < 1000; i++)
        {
            // Each set built outside the lambda is a literal of the query: 1000 distinct shapes.
            var week = store.Week("e" + i);
            _ = store.Month("a").Intersect(week).Where(u => u != 0).ToSetExpr();
            store.TranslationCache.Count.ShouldBeLessThanOrEqualTo(64);
        }
    }

    [Fact]
    public async Task This_month_moves_with_the_clock_even_from_the_cache()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 23, 59, 0, TimeSpan.Zero));
        var store = new EmbeddedStore(new StoreOptions { Clock = clock });
        await store.MarkAsync("active", 1);                                      // November
        await store.MarkAsync("active", 2, new DateTime(2026, 12, 1, 0, 30, 0)); // December
        var query = store.Month("active").Where(u => store.Month("active").Contains(u));
        (await query.ToListAsync()).ShouldBe([1]);
        clock.Advance(TimeSpan.FromMinutes(2));                                  // now 2026-12-01 00:01
        (await query.ToListAsync()).ShouldBe([2]);
        store.TranslationCache.Hits.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task A_compiled_query_binds_its_argument_per_call()
    {
        var store = new EmbeddedStore();
        await store.MarkAsync("active", 1, new DateTime(2026, 10, 3));
        await store.MarkAsync("active", 2, new DateTime(2026, 11, 3));
        await store.MarkUniqueAsync("premium", 2);
        var activeIn = CompiledQuery.Create(store, (int month) => store.Month("active", 2026, month).Where(u => !store.Unique("premium").Contains(u)));
        (await activeIn(10).ToListAsync()).ShouldBe([1]);
        (await activeIn(11).ToListAsync()).ShouldBeEmpty();
        activeIn(10).ToSetExpr().ShouldBe(SetExpr.Event("active", Period.Month(2026, 10)) & ~SetExpr.Unique("premium"));
    }

    [Fact]
    public void The_plan_log_sees_every_plan_before_it_runs()
    {
        var seen = new List<string>();
        var store = new EmbeddedStore(new StoreOptions { PlanLog = p => seen.Add(p.Query.ToString()) });
        store.Month("a").Where(u => store.Week("b").Contains(u)).Count();
        seen.ShouldBe(["count (month(a) & week(b))"]);
        store.Month("a").Where(u => store.Week("b").Contains(u)).ToPlanString().ShouldContain("optimized:");
    }
}
