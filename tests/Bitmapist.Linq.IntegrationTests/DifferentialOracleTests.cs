using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Tracking;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Random query trees over random marks, run on each store and on plain HashSets (<see cref="SetOracle"/>):
/// the members must be identical. The seed changes every run (<see cref="OracleSeed"/>: a failure names it,
/// <c>BITMAPIST_ORACLE_SEED</c> replays it, <c>BITMAPIST_ORACLE_ITERATIONS</c> runs more cases). "Now" is one
/// of several calendar edges (an ISO week across New Year, hour 0 or 23, a leap day) or a random instant.
/// Marks write hour keys too (hourly tracking), span 400 days, share one pool of users so sets overlap,
/// and use ids across [0, 2^32) on the embedded store; on Redis, where a key costs max id / 8 bytes, most
/// ids stay below 2^17 and a few users go up to 2^20, so results span several 64 KiB GETRANGE pages (ids near 2^32 have their own test below).
/// </summary>
public partial class DifferentialOracleTests(ITestOutputHelper output)
{
    private static readonly string[] Events = ["a", "b", "c:d", "e f", "h", "never"];

    private static readonly DateTime[] Nows =
    [
        new(2027, 1, 2, 10, 5, 0), // Saturday of ISO week 2026-W53: week 0 spans two calendar years, year 0 has 2 days
        new(2026, 1, 1, 0, 20, 0), // hour 0 of a year whose ISO week 1 began on 2025-12-29
        new(2021, 1, 3, 23, 40, 0), // hour 23 of the last day of 2020-W53
        new(2024, 3, 1, 0, 5, 0), // the day after a leap day
        new(2026, 11, 28, 14, 5, 0),
    ];

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public Task Random_queries_match_the_hashset_oracle(string kind) => OracleSeed.RunAsync($"{nameof(Random_queries_match_the_hashset_oracle)}({kind})", async () =>
    {
        var r = OracleSeed.For(nameof(Random_queries_match_the_hashset_oracle));
        await using var store = await CreateStoreAsync(kind, r);
        var data = await OracleData.MarkAsync(store, kind, r);
        output.WriteLine($"seed {OracleSeed.Value}, now {data.Now:yyyy-MM-dd HH:mm}");
        SetExpr[] leaves =
        [
            .. Events.SelectMany(e => new[]
            {
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, -r.Next(0, 3))),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week, -r.Next(0, 8))),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day, -r.Next(0, 60))),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Hour, -r.Next(0, 48))),
                SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Year, -r.Next(0, 2))),
                SetExpr.Event(e, Period.Of(PeriodUnit.Day, data.RandomInstant(r))),
            }),
            SetExpr.Unique("vip"),
            .. Enumerable.Range(0, 12).Select(_ => RandomRange(r, data)), // ranges alone: Ranges_match_the_hashset_oracle
        ];
        var oracle = data.Oracle;
        var cases = OracleSeed.Iterations(kind == StoreKind.Embedded ? 600 : 150);
        int empty = 0, everything = 0, leaf = 0, nonMembers = 0;
        for (var i = 0; i < cases; i++)
        {
            // Queries whose answer is trivial (empty, every user, one leaf) are mostly redrawn, so most cases
            // ask something a wrong plan could get wrong.
            SetExpr query;
            HashSet<uint> members;
            while (true)
            {
                query = RandomFormula.Build(r, leaves, depth: r.Next(8) == 0 ? 6 : r.Next(3, 6), minDepth: r.Next(10) == 0 ? 0 : 1,
                    literalId: data.LiteralId, constantRarity: 2);
                data.AddToUniverse(Subtrees(query).OfType<IdsNode>().SelectMany(n => n.Members));
                members = oracle.Eval(query);
                if (!(members.Count == 0 || members.Count == data.UniverseCount || query.Children.IsEmpty) || r.Next(5) == 0) break;
            }
            await data.FlushAsync();
            var expected = members.Order().Select(x => (long)x).ToList();
            if (expected.Count == 0) empty++;
            else if (members.Count == data.UniverseCount) everything++;
            if (query.Children.IsEmpty) leaf++;

            var set = store.Set(query);
            var context = $"case {i}: {query}";
            if (await set.CountAsync() != expected.Count) context = await SmallestMismatchAsync(store, oracle, query, context);
            (await set.CountAsync()).ShouldBe(expected.Count, context);
            if (i % 3 == 0) (await set.ToListAsync()).ShouldBe(expected, context);
            if (i % 4 == 1)
            {
                foreach (var id in data.ContainsProbes(r, expected))
                {
                    if (!members.Contains((uint)id)) nonMembers++;
                    (await set.ContainsAsync(id)).ShouldBe(members.Contains((uint)id), $"{context}; contains {id}");
                }
            }
            if (i % 5 == 2)
            {
                (await set.MinAsync()).ShouldBe(expected.Count == 0 ? null : expected[0], context);
                (await set.MaxAsync()).ShouldBe(expected.Count == 0 ? null : expected[^1], context);
            }
            if (i % 7 == 3)
            {
                var from = data.ContainsProbes(r, expected).First();
                var ids = new List<long>();
                await foreach (var id in set.IdsAsync(from)) ids.Add(id);
                ids.ShouldBe(expected.Where(x => x >= from), $"{context}; ids from {from}");
                (await set.AnyAsync()).ShouldBe(expected.Count > 0, context);
            }
        }
        output.WriteLine($"{cases} queries: {Share(empty, cases)} empty, {Share(everything, cases)} every user, {Share(leaf, cases)} a single leaf; {nonMembers} non-member contains");
        if (cases >= 200)
        {
            // The generator must keep asking questions with non-trivial answers, or this test proves little.
            (empty / (double)cases).ShouldBeLessThan(0.25, "share of empty results");
            (everything / (double)cases).ShouldBeLessThan(0.10, "share of results that are every user");
            (leaf / (double)cases).ShouldBeLessThan(0.10, "share of single-leaf queries");
            nonMembers.ShouldBeGreaterThan(cases / 8, "contains must be asked about non-members too");
        }
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
        await store.DeleteEventsAsync();
    });

    /// <summary>
    /// Ranges alone, against the oracle's period-by-period evaluation (never the library's cover): every unit,
    /// any-of and all-of, relative and fixed ends, reversed ends, ragged edges (mid-week, mid-month, hours 0, 1,
    /// 22 and 23), ranges across New Year and ISO-year boundaries; plus a fixed grid of hour ranges over the
    /// densely marked event "h" (every hour has a user no other hour has), so a cover that adds or drops one
    /// hour at either edge fails whatever the seed.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public Task Ranges_match_the_hashset_oracle(string kind) => OracleSeed.RunAsync($"{nameof(Ranges_match_the_hashset_oracle)}({kind})", async () =>
    {
        var r = OracleSeed.For(nameof(Ranges_match_the_hashset_oracle));
        await using var store = await CreateStoreAsync(kind, r);
        var data = await OracleData.MarkAsync(store, kind, r);
        output.WriteLine($"seed {OracleSeed.Value}, now {data.Now:yyyy-MM-dd HH:mm}");
        var oracle = data.Oracle;

        var ranges = new List<SetExpr>();
        var today = data.Now.Date;
        foreach (var startHour in new[] { 0, 1, 22, 23 })
        foreach (var endHour in new[] { 0, 1, 22, 23 })
        foreach (var days in new[] { 0, 1, 2 })
        {
            var from = Period.Of(PeriodUnit.Hour, today.AddDays(-3).AddHours(startHour));
            var to = Period.Of(PeriodUnit.Hour, today.AddDays(-3 + days).AddHours(endHour));
            if (to.CompareTo(from) < 0) continue;
            ranges.Add(SetExpr.Range("h", PeriodRef.Of(from), PeriodRef.Of(to)));
            ranges.Add(SetExpr.Range("h", PeriodRef.Of(from), PeriodRef.Of(to), RangeMode.All));
        }
        var random = OracleSeed.Iterations(kind == StoreKind.Embedded ? 1000 : 400);
        for (var i = 0; i < random; i++) ranges.Add(RandomRange(r, data));

        var counts = new Dictionary<PeriodUnit, int>();
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = (EventRangeNode)ranges[i];
            var expected = oracle.Eval(range).Order().Select(x => (long)x).ToList();
            if (expected.Count > 0) counts[range.From.Unit] = counts.GetValueOrDefault(range.From.Unit) + 1;
            var set = store.Set(range);
            var context = $"range {i}: {range}";
            (await set.CountAsync()).ShouldBe(expected.Count, context);
            if (i % 2 == 0) (await set.ToListAsync()).ShouldBe(expected, context);
        }
        output.WriteLine($"{ranges.Count} ranges; non-empty by unit: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
        foreach (var unit in new[] { PeriodUnit.Hour, PeriodUnit.Day, PeriodUnit.Week, PeriodUnit.Month, PeriodUnit.Year })
            counts.GetValueOrDefault(unit).ShouldBeGreaterThan(random >= 200 ? 5 : 0, $"non-empty {unit} ranges");
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
        await store.DeleteEventsAsync();
    });

    /// <summary>
    /// Ids near 2^32 and in the middle of the range, in combined queries. On Redis one id at 2^32-1 makes a
    /// 512 MiB string and a BITOP over it takes seconds, so such ids live in one unique key ("top"), Redis (its
    /// detected profile) runs one combined query over it, and the random combined queries there use keys up to 2^24 (2 MiB strings)
    /// and no complement (which would need a universe holding 2^32-1). The embedded store runs them all.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public Task Ids_across_the_whole_range_in_combined_queries(string kind) => OracleSeed.RunAsync($"{nameof(Ids_across_the_whole_range_in_combined_queries)}({kind})", async () =>
    {
        var r = OracleSeed.For(nameof(Ids_across_the_whole_range_in_combined_queries));
        var now = new DateTime(2026, 11, 28, 14, 5, 0);
        var embedded = kind == StoreKind.Embedded;
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions
        {
            Clock = new FakeTimeProvider(new DateTimeOffset(now, TimeSpan.Zero)),
            Universe = embedded ? SetExpr.Unique("all") : null,
        });
        var data = new Dictionary<string, HashSet<uint>>();
        try
        {
            var batch = store.CreateBatch();
            void Add(string key, uint id)
            {
                if (!data.TryGetValue(key, out var s)) data[key] = s = [];
                s.Add(id);
            }
            void Flag(MarkBatch b, string e, uint id)
            {
                b.MarkUnique(e, id);
                Add(store.Keys.Key(e, Period.Unique), id);
            }
            void Unique(string e, uint id)
            {
                Flag(batch, e, id);
                if (embedded) Flag(batch, "all", id);
            }
            void Mark(string e, uint id)
            {
                batch.Mark(e, id, now);
                foreach (var unit in new[] { PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day })
                    Add(store.Keys.Key(e, Period.Of(unit, now)), id);
                if (embedded) Flag(batch, "all", id);
            }
            uint[] top = [5, 65535, 65536, (1u << 31) - 1, 1u << 31, uint.MaxValue - 65536, uint.MaxValue - 65535, uint.MaxValue - 1, uint.MaxValue];
            foreach (var id in top) Unique("top", id);
            for (var i = 0; i < 12; i++) Unique("top", RandomFormula.Wide(r));
            for (var i = 0; i < 60; i++) Mark("mid", RandomFormula.Wide(r, (1u << 24) - 1));
            Mark("mid", (1u << 24) - 1);
            Mark("mid", 5);
            for (var i = 0; i < 40; i++) Unique("midu", RandomFormula.Wide(r, (1u << 23) - 1));
            for (var i = 0; i < 80; i++) Mark("low", RandomFormula.Wide(r, 1u << 17));
            Mark("low", 65536);
            await batch.ExecuteAsync();
            var oracle = new SetOracle(store.Keys, data, now, SetExpr.Unique("all"));
            var topIds = data[store.Keys.Key("top", Period.Unique)];

            // Reads of "top" itself: no BITOP, cheap even on Redis.
            var topSet = store.Unique("top");
            (await topSet.ContainsAsync(UserIds.Max)).ShouldBeTrue();
            (await topSet.ContainsAsync(UserIds.Max - 2)).ShouldBe(topIds.Contains(uint.MaxValue - 2));
            (await topSet.CountAsync()).ShouldBe(topIds.Count);
            // The real bitmapist-server writes a 512 MiB GET reply under its one lock, stalling every other test
            // that shares it: its ids, min and max of "top" are read on redis-server in the same profile instead.
            if (kind != StoreKind.BitmapistServer)
            {
                var tail = new List<long>();
                await foreach (var id in topSet.IdsAsync(UserIds.Max - 65536)) tail.Add(id); // one GETRANGE page from the end
                tail.ShouldBe(topIds.Where(x => x >= UserIds.Max - 65536).Order().Select(x => (long)x));
            }
            if (kind is not (StoreKind.RedisAsBitmapistServer or StoreKind.BitmapistServer)) // min/max there GET the whole 512 MiB value
            {
                (await topSet.MaxAsync()).ShouldBe(UserIds.Max); // STRLEN + one GETRANGE page from the end
                (await topSet.MinAsync()).ShouldBe(topIds.Min());
            }

            // Combined queries with "top".
            SetExpr topLeaf = SetExpr.Unique("top"), mid = SetExpr.Event("mid", PeriodRef.Relative(PeriodUnit.Day));
            SetExpr[] wideLeaves = [topLeaf, mid, SetExpr.Event("low", PeriodRef.Relative(PeriodUnit.Month)), SetExpr.Unique("midu")];
            if (embedded)
            {
                // Literals mostly at or next to marked ids: one anywhere in [0, 2^32) adds pages to the universe for
                // the rest of the test, which made a long BITMAPIST_ORACLE_ITERATIONS run 15x slower.
                uint[] marked = [.. data.Values.SelectMany(v => v).Distinct()];
                long Literal(Random x) => x.Next(20) == 0 ? RandomFormula.Wide(x) : Math.Clamp(marked[x.Next(marked.Length)] + x.Next(-1, 2), 0, UserIds.Max);
                for (var i = 0; i < OracleSeed.Iterations(150); i++)
                    await CheckAsync(RandomFormula.Build(r, wideLeaves, depth: 4, minDepth: 1, literalId: Literal), Reads.All);
            }
            else if (kind == StoreKind.Redis)
            {
                // top - (mid | {5, 65536}): A XOR (A AND T) over 512 MiB (redis7; bitmapist-server emits the same), then its last page.
                await CheckAsync(SetExpr.Diff(topLeaf, SetExpr.Or(mid, SetExpr.Ids([5, 65536]))), Reads.CountAndTail);
            }

            // Combined random queries over keys up to 2^24 (2 MiB strings on Redis), literals up to 2^23.
            SetExpr[] midLeaves = [.. wideLeaves.Skip(1), SetExpr.Event("low", PeriodRef.Relative(PeriodUnit.Week)), SetExpr.Event("mid", PeriodRef.Relative(PeriodUnit.Month))];
            for (var i = 0; i < OracleSeed.Iterations(embedded ? 150 : 12); i++)
            {
                SetExpr query;
                do query = RandomFormula.Build(r, midLeaves, depth: 3, allowUniverse: embedded, minDepth: 1, literalId: x => RandomFormula.Wide(x, (1u << 23) - 1));
                while (!embedded && Subtrees(query).Any(n => n is NotNode));
                await CheckAsync(query, Reads.All);
            }

            async Task CheckAsync(SetExpr query, Reads reads)
            {
                if (embedded)
                {
                    var flags = store.CreateBatch();
                    foreach (var id in Subtrees(query).OfType<IdsNode>().SelectMany(n => n.Members)) Flag(flags, "all", id);
                    await flags.ExecuteAsync();
                }
                var members = oracle.Eval(query);
                var expected = members.Order().Select(x => (long)x).ToList();
                var set = store.Set(query);
                var context = query.ToString();
                (await set.CountAsync()).ShouldBe(expected.Count, context);
                var from = reads == Reads.CountAndTail || expected.Count == 0 ? UserIds.Max - 65536 : Math.Max(0, expected[^1] - 65_536);
                var ids = new List<long>();
                await foreach (var id in set.IdsAsync(from)) ids.Add(id);
                ids.ShouldBe(expected.Where(x => x >= from), $"{context}; ids from {from}");
                if (reads == Reads.CountAndTail) return;
                // A member, the id after the largest one, and an id anywhere (often near 2^32, 2^31 or a page edge).
                // Redis asks one of them per query: every read runs the BITOPs over 2 MiB strings again.
                long[] probes = [.. expected.Take(1), .. expected.TakeLast(1).Select(x => Math.Min(x + 1, UserIds.Max)), RandomFormula.Wide(r)];
                if (!embedded) probes = [probes[r.Next(probes.Length)]];
                foreach (var id in probes) (await set.ContainsAsync(id)).ShouldBe(members.Contains((uint)id), $"{context}; contains {id}");
                (await set.MaxAsync()).ShouldBe(expected.Count == 0 ? null : expected[^1], context);
                (await set.MinAsync()).ShouldBe(expected.Count == 0 ? null : expected[0], context);
            }
            (await store.ListTemporariesAsync()).ShouldBeEmpty();
        }
        finally
        {
            await store.DeleteEventsAsync();
        }
    });

    private enum Reads { CountAndTail, All }

    private static Task<BitmapStore> CreateStoreAsync(string kind, Random r)
    {
        var now = r.Next(6) == 5 ? new DateTime(2019, 1, 1).AddMinutes(r.Next(0, 12 * 366 * 24 * 60)) : Nows[r.Next(Nows.Length)];
        return StoreKind.CreateAsync(kind, new StoreOptions
        {
            Clock = new FakeTimeProvider(new DateTimeOffset(now, TimeSpan.Zero)),
            Universe = SetExpr.Unique("all"),
            Tracking = new TrackingOptions(Hourly: true), // the range cover reads hour keys at ragged hour edges
        });
    }

    /// <summary>
    /// A range of any unit and mode over the marked window: relative or fixed ends (independently), sometimes
    /// reversed, ragged hour ends biased to hours 0, 1, 22 and 23, all-of ranges short enough to be non-empty.
    /// </summary>
    private static SetExpr RandomRange(Random r, OracleData data)
    {
        var unit = r.Next(20) switch
        {
            < 7 => PeriodUnit.Hour,
            < 11 => PeriodUnit.Day,
            < 14 => PeriodUnit.Week,
            < 18 => PeriodUnit.Month,
            _ => PeriodUnit.Year,
        };
        var all = r.Next(3) == 0;
        var current = Period.Of(unit, data.Now);
        var (back, length) = unit switch
        {
            PeriodUnit.Hour => (r.Next(-24, 24 * 13), all ? r.Next(0, 30) : r.Next(0, r.Next(2) == 0 ? 30 : 24 * 6)),
            PeriodUnit.Day => (r.Next(-2, 400), all ? r.Next(0, 12) : r.Next(0, 120)),
            PeriodUnit.Week => (r.Next(-1, 58), all ? r.Next(0, 4) : r.Next(0, 20)),
            PeriodUnit.Month => (r.Next(-1, 14), all ? r.Next(0, 3) : r.Next(0, 15)),
            _ => (r.Next(0, 2), r.Next(0, 2)),
        };
        var first = current.Delta(-back);
        if (unit == PeriodUnit.Hour && r.Next(2) == 0) // start and/or end on the hours next to midnight
        {
            first = Period.Of(PeriodUnit.Hour, first.Start.Date.AddHours(new[] { 0, 1, 22, 23 }[r.Next(4)]));
            var end = first.Delta(length);
            length += new[] { 0, 1, 22, 23 }[r.Next(4)] - end.Start.Hour;
            if (length < 0) length += 24;
        }
        var last = first.Delta(length);
        PeriodRef Ref(Period p) => r.Next(2) == 0 ? PeriodRef.Of(p) : PeriodRef.Relative(unit, Offset(current, p));
        var (from, to) = (Ref(first), Ref(last));
        if (r.Next(6) == 0) (from, to) = (to, from);
        var e = unit == PeriodUnit.Hour && r.Next(2) == 0 ? "h" : Events[r.Next(Events.Length)];
        return SetExpr.Range(e, from, to, all ? RangeMode.All : RangeMode.Any);
    }

    private static int Offset(Period current, Period p)
    {
        var n = 0;
        for (var q = current; q.CompareTo(p) < 0; q = q.Next()) n++;
        for (var q = current; q.CompareTo(p) > 0; q = q.Previous()) n--;
        return n;
    }

    // On a wrong count, the smallest subtree whose count differs: the case to debug.
    private static async Task<string> SmallestMismatchAsync(BitmapStore store, SetOracle oracle, SetExpr query, string context)
    {
        foreach (var node in Subtrees(query).OrderBy(n => n.ToString().Length))
        {
            var expected = oracle.Eval(node).Count;
            var actual = await store.Set(node).CountAsync();
            if (actual != expected) return $"{context}\nsmallest wrong subtree: {node} counts {actual}, the oracle {expected}";
        }
        return context;
    }

    private static string Share(int n, int of) => $"{100.0 * n / of:0.0}%";

    private static IEnumerable<SetExpr> Subtrees(SetExpr e) => e.Children.SelectMany(Subtrees).Prepend(e);

    /// <summary>The marks of one oracle store and the same bits as HashSets by key.</summary>
    private sealed class OracleData
    {
        private readonly BitmapStore _store;
        private readonly Dictionary<string, HashSet<uint>> _sets = [];
        private readonly List<uint> _users = [];
        private MarkBatch? _pending;
        private int[] _widePages = [];

        private OracleData(BitmapStore store)
        {
            _store = store;
            Now = store.Now;
        }

        public DateTime Now { get; }

        private DateTime WindowStart => Now.Date.AddDays(-400);

        public SetOracle Oracle => new(_store.Keys, _sets, Now, SetExpr.Unique("all"));

        public DateTime RandomInstant(Random r) => WindowStart.AddMinutes(r.Next(0, 402 * 24 * 60));

        /// <summary>
        /// Marks the events with hourly tracking: users drawn from one pool (a few heavy users), daily regulars
        /// of "a" so all-of day ranges are not all empty, and "h" marked every hour of the last 12 days with a
        /// user of its own each hour, plus hourly regulars.
        /// </summary>
        public static async Task<OracleData> MarkAsync(BitmapStore store, string kind, Random r)
        {
            var embedded = kind == StoreKind.Embedded;
            var data = new OracleData(store);
            var batch = store.CreateBatch();
            void Mark(string e, uint id, DateTime at)
            {
                batch.Mark(e, id, at);
                foreach (var unit in new[] { PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day, PeriodUnit.Hour })
                    data.Add(store.Keys.Key(e, Period.Of(unit, at)), id);
                data.Flag("all", id, batch);
            }

            // Most users below 2^17 (byte, word and page edges included). Wide users sit in a few 2^16-bit pages
            // across [0, 2^32) on the embedded store (2^31's and the top two among them: each page costs every key
            // holding one 8 KiB), and below 2^20 on Redis, where a key costs max id / 8 bytes and only a few are marked.
            for (var i = 0; i < 1000; i++) data._users.Add(RandomFormula.Wide(r, (1u << 17) - 1));
            data._widePages = embedded
                ? [0x7FFF, 0x8000, 0xFFFE, 0xFFFF, .. Enumerable.Range(0, 3).Select(_ => r.Next(2, 0xFFFE)).SelectMany(p => new[] { p, p + 1 })]
                : [15, r.Next(2, 15)];
            var wide = Enumerable.Range(0, embedded ? 80 : 6).Select(_ => data.WideUser(r)).ToList();
            data._users.AddRange(wide);
            uint Pick() => embedded && r.Next(5) == 0 ? wide[r.Next(wide.Count)] : data._users[(int)(1000 * Math.Pow(r.NextDouble(), 2))];

            foreach (var (e, marks) in new[] { ("a", 600), ("b", 400), ("c:d", 300) })
                for (var i = 0; i < marks; i++) Mark(e, Pick(), data.RandomInstant(r));
            for (var i = 0; i < 200; i++) Mark("e f", Pick(), data.Now.AddMinutes(-r.Next(0, 45 * 24 * 60)));
            if (!embedded)
                foreach (var id in wide) Mark(Events[r.Next(4)], id, data.RandomInstant(r));

            var regulars = data._users.Take(12).ToArray();
            for (var d = data.WindowStart; d <= data.Now.Date.AddDays(1); d = d.AddDays(1))
                foreach (var id in regulars)
                    if (r.Next(20) != 0) Mark("a", id, d.AddMinutes(r.Next(0, 24 * 60)));

            var hourly = data._users.Skip(12).Take(5).ToArray();
            var k = 0;
            for (var h = data.Now.Date.AddDays(-12); h < data.Now.Date.AddDays(2); h = h.AddHours(1), k++)
            {
                Mark("h", (uint)(196_608 - 150 + k), h.AddMinutes(r.Next(0, 60))); // this hour's own user, across a page edge
                for (var j = r.Next(0, 3); j > 0; j--) Mark("h", Pick(), h.AddMinutes(r.Next(0, 60)));
                foreach (var id in hourly)
                    if (r.Next(10) != 0) Mark("h", id, h.AddMinutes(r.Next(0, 60)));
            }

            foreach (var id in data._users.Where(_ => r.Next(6) == 0)) data.Flag("vip", id, batch);
            foreach (var id in data._users) data.Flag("all", id, batch); // the universe: every user, marked or not
            await batch.ExecuteAsync();
            return data;
        }

        /// <summary>A literal id: mostly a pool user, else a new user in a wide page, rarely one anywhere (below 2^20 on Redis).</summary>
        public long LiteralId(Random r) => r.Next(30) switch
        {
            0 => RandomFormula.Wide(r, (uint)_widePages.Max() * 65536u + 65535),
            < 6 => WideUser(r),
            _ => _users[r.Next(_users.Count)],
        };

        private uint WideUser(Random r)
        {
            var page = (uint)_widePages[r.Next(_widePages.Length)];
            var offset = r.Next(3) == 0 ? (uint)r.Next(0, 65536) : new uint[] { 0, 1, 7, 8, 63, 64, 65471, 65472, 65534, 65535 }[r.Next(10)];
            return (page << 16) + offset;
        }

        /// <summary>Literal ids must be users: the universe holds every id the application knows. Sent with <see cref="FlushAsync"/>.</summary>
        public void AddToUniverse(IEnumerable<uint> ids)
        {
            _pending ??= _store.CreateBatch();
            foreach (var id in ids) Flag("all", id, _pending);
        }

        public int UniverseCount => _sets[_store.Keys.Key("all", Period.Unique)].Count;

        public async Task FlushAsync()
        {
            if (_pending is not null) await _pending.ExecuteAsync();
            _pending = null;
        }

        /// <summary>Ids to ask contains about: a member and a neighbour of it, then a user (or any id) who may not be one.</summary>
        public IEnumerable<long> ContainsProbes(Random r, IReadOnlyList<long> members)
        {
            if (members.Count > 0)
            {
                var m = members[r.Next(members.Count)];
                yield return m;
                yield return Math.Clamp(m + (r.Next(2) == 0 ? -1 : 1), 0, UserIds.Max);
            }
            yield return r.Next(4) switch
            {
                0 => RandomFormula.Wide(r),
                1 => WideUser(r),
                _ => _users[r.Next(_users.Count)],
            };
        }

        private void Flag(string e, uint id, MarkBatch batch)
        {
            batch.MarkUnique(e, id);
            Add(_store.Keys.Key(e, Period.Unique), id);
        }

        private void Add(string key, uint id)
        {
            if (!_sets.TryGetValue(key, out var s)) _sets[key] = s = [];
            s.Add(id);
        }
    }
}
