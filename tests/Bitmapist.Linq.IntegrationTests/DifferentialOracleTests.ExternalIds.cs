using System.Collections.Immutable;
using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Users named by external id (names, e-mails, UUIDs, unicode, 64-bit ids as decimal text, ids holding quotes, commas,
/// braces and the text of a printed literal) marked through every path that takes one (<c>MarkAsync(event, string)</c>,
/// <see cref="Tracking.MarkBatch"/> marks and unmarks, <see cref="Tracking.BulkImport"/>), then random queries with
/// literal sets of external ids (some never mapped), against an oracle that never touches the library's id map or
/// planner: it numbers the external ids itself (first marked, first numbered) only to reuse <see cref="SetOracle"/>'s
/// period semantics, and its answers are read back as sets of external ids. Counts, membership by external id and the
/// ids read (mapped back to external ids) must be the oracle's. bitmapist-server holds no id maps: there every path
/// by external id must fail with a clear <see cref="BitmapistStoreException"/> and write nothing.
/// </summary>
public partial class DifferentialOracleTests
{
    private static readonly string[] ExternalEvents = ["a", "b", "c:d", "e f"];

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public Task External_ids_match_the_hashset_oracle(string kind) => OracleSeed.RunAsync($"{nameof(External_ids_match_the_hashset_oracle)}({kind})", async () =>
    {
        var r = OracleSeed.For(nameof(External_ids_match_the_hashset_oracle));
        var now = r.Next(6) == 5 ? new DateTime(2019, 1, 1).AddMinutes(r.Next(0, 12 * 366 * 24 * 60)) : Nows[r.Next(Nows.Length)];
        await using var store = await StoreKind.CreateAsync(kind, new StoreOptions
        {
            Clock = new FakeTimeProvider(new DateTimeOffset(now, TimeSpan.Zero)),
            Universe = SetExpr.Unique("all"),
            IdMap = "users",
        });
        if (kind == StoreKind.BitmapistServer)
        {
            await BitmapistServerRefusesIdMapsAsync(store);
            return;
        }
        try
        {
            var data = await ExternalData.MarkAsync(store, r);
            output.WriteLine($"seed {OracleSeed.Value}, now {now:yyyy-MM-dd HH:mm}; {data.Mapped.Count} users mapped, {data.Ghosts.Length} never mapped");
            await data.CheckMapAsync();

            SetExpr[] leaves =
            [
                .. ExternalEvents.SelectMany(e => new[]
                {
                    SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, -r.Next(0, 3))),
                    SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week, -r.Next(0, 6))),
                    SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day, -r.Next(0, 20))),
                    SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Year, -r.Next(0, 2))),
                    SetExpr.Range(e, PeriodRef.Relative(PeriodUnit.Day, -r.Next(0, 90)), PeriodRef.Relative(PeriodUnit.Day, -r.Next(0, 90)),
                        r.Next(4) == 0 ? RangeMode.All : RangeMode.Any),
                }),
                SetExpr.Unique("vip"),
                .. Enumerable.Range(0, 4).Select(_ => SetExpr.ExternalIds(data.RandomLiteral(r, r.Next(1, 40)))),
                SetExpr.ExternalIds(data.Ghosts.Take(3)), // only never-mapped ids: the empty set
            ];
            var cases = OracleSeed.Iterations(kind == StoreKind.Embedded ? 200 : 120);
            int empty = 0, withLiterals = 0, nonMembers = 0, ghostProbes = 0, pages = 0;
            for (var i = 0; i < cases; i++)
            {
                // Numeric literals that the generator draws stand for pool entries (index into the literal pool), so
                // every literal of the query is a set of external ids.
                var query = ToExternal(RandomFormula.Build(r, leaves, depth: r.Next(3, 6), minDepth: r.Next(10) == 0 ? 0 : 1,
                    literalId: x => x.Next(data.LiteralPool.Length), constantRarity: 2), data.LiteralPool);
                var expected = data.Eval(query);
                if (expected.Count == 0) empty++;
                if (Subtrees(query).Any(n => n is ExternalIdsNode)) withLiterals++;
                var set = store.Set(query);
                var context = $"case {i}: {query}";
                if (await set.CountAsync() != expected.Count) context = await data.SmallestMismatchAsync(query, context);
                (await set.CountAsync()).ShouldBe(expected.Count, context);

                foreach (var probe in data.Probes(r, expected))
                {
                    if (!expected.Contains(probe)) nonMembers++;
                    if (!data.Mapped.Contains(probe)) ghostProbes++;
                    (await set.ContainsAsync(probe)).ShouldBe(expected.Contains(probe), $"{context}; contains '{probe}'");
                }
                if (i % 3 == 0) (await data.ReadBackAsync(set, Paging.All, context)).ShouldBe(expected, ignoreOrder: true, context);
                if (i % 5 == 1)
                {
                    // Page by page (keyset paging), each page mapped back: together they are the set, each once. A few
                    // pages per set (each one runs the query again), sometimes one id per page.
                    var limit = r.Next(6) == 0 ? 1 : Math.Max(1, expected.Count / r.Next(1, 5) + r.Next(-1, 2));
                    if (limit == 1 && expected.Count > 20) limit = 7;
                    var read = new List<string>();
                    var paging = new Paging(limit);
                    while (true)
                    {
                        var page = await set.PageAsync(paging);
                        read.AddRange(await data.MapBackAsync(page.Ids, $"{context}; page {paging}"));
                        pages++;
                        if (page.Next is not { } next) break;
                        paging = next;
                    }
                    read.ShouldBe(expected, ignoreOrder: true, $"{context}; pages of {limit}");
                }
                if (i % 4 == 2)
                {
                    // A literal set made with store.Ids, combined through the LINQ operators.
                    var literal = data.RandomLiteral(r, r.Next(1, 12));
                    var both = store.Ids(literal) & set;
                    var inBoth = data.Eval(SetExpr.ExternalIds(literal));
                    inBoth.IntersectWith(expected);
                    (await both.CountAsync()).ShouldBe(inBoth.Count, $"{{{string.Join(", ", literal)}}} & {context}");
                    (await data.ReadBackAsync(both, Paging.All, context)).ShouldBe(inBoth, ignoreOrder: true, $"ids of the literal & {context}");
                }
            }
            output.WriteLine($"{cases} queries: {Share(empty, cases)} empty, {Share(withLiterals, cases)} with literal sets of external ids; " +
                $"{nonMembers} non-member probes ({ghostProbes} never mapped), {pages} pages");
            if (cases >= 100)
            {
                (empty / (double)cases).ShouldBeLessThan(0.35, "share of empty results");
                withLiterals.ShouldBeGreaterThan(cases / 3, "queries with literal sets of external ids");
                ghostProbes.ShouldBeGreaterThan(cases / 4, "membership must be asked about never-mapped ids too");
            }
            (await store.ListTemporariesAsync()).ShouldBeEmpty();
        }
        finally
        {
            await store.DeleteEventsAsync();
            if (kind != StoreKind.Embedded && kind != StoreKind.Reference)
                await IdMapKeys.DeleteAsync(kind == StoreKind.RedisCluster ? RedisClusterServer.Seeds : RedisServer.Endpoint, store, "users");
        }
    });

    /// <summary>bitmapist-server: every use of an external id fails with a clear store error, and writes nothing.</summary>
    private static async Task BitmapistServerRefusesIdMapsAsync(BitmapStore store)
    {
        static async Task Refused(Func<Task> call, string what)
        {
            var e = await Should.ThrowAsync<BitmapistStoreException>(call, what);
            e.Message.ShouldContain("id map 'users'", Case.Sensitive, what);
            e.Message.ShouldContain("bitmapist-server", Case.Insensitive, what);
        }
        await Refused(() => store.MarkAsync("a", "alice"), "MarkAsync(event, string)");
        await Refused(() => store.CreateBatch().Mark("a", "alice").MarkUnique("all", "alice").ExecuteAsync(), "MarkBatch by external id");
        await Refused(async () =>
        {
            var import = store.CreateBulkImport();
            await import.AddAsync("a", "alice", store.Now);
            await import.FlushAsync();
        }, "BulkImport.AddAsync(event, string, at)");
        await Refused(() => store.Ids("alice", "bob").CountAsync(), "a literal set of external ids");
        await Refused(() => store.Month("a").ContainsAsync("alice"), "membership by external id");
        await Refused(() => store.IdMap("users").FindExternalAsync([0]), "FindExternalAsync");
        (await store.ListEventsAsync()).ShouldBeEmpty("a refused mark by external id must write nothing");
    }

    /// <summary><paramref name="e"/> with every numeric literal replaced by the external ids at those indexes of <paramref name="pool"/>.</summary>
    private static SetExpr ToExternal(SetExpr e, string[] pool) => e is IdsNode ids
        ? SetExpr.ExternalIds(ids.Members.Select(i => pool[i]))
        : e.WithChildren([.. e.Children.Select(c => ToExternal(c, pool))]);

    /// <summary>
    /// The marks by external id of one store, and the oracle's copy of them: its own numbering of external ids, the
    /// members of every key under that numbering, and the external ids ever marked (the ones the store must have mapped).
    /// </summary>
    private sealed class ExternalData
    {
        private readonly BitmapStore _store;
        private readonly Dictionary<string, uint> _number = new(StringComparer.Ordinal);
        private readonly List<string> _names = [];
        private readonly Dictionary<string, HashSet<uint>> _sets = [];
        private readonly List<(string Event, string User, DateTime At)> _marks = [];

        private ExternalData(BitmapStore store, string[] users, string[] ghosts)
        {
            _store = store;
            Users = users;
            Ghosts = ghosts;
            LiteralPool = [.. users, .. ghosts];
        }

        /// <summary>The users to mark (every one is marked at least once).</summary>
        public string[] Users { get; }

        /// <summary>External ids never marked, many a near miss of a user's (case, spaces, normalization): never mapped.</summary>
        public string[] Ghosts { get; }

        /// <summary>Users, then ghosts: what literal sets are drawn from.</summary>
        public string[] LiteralPool { get; }

        /// <summary>The external ids marked so far (the oracle's view of what the map holds).</summary>
        public IReadOnlySet<string> Mapped => _number.Keys.ToHashSet(StringComparer.Ordinal);

        private DateTime Now => _store.Now;

        public static async Task<ExternalData> MarkAsync(BitmapStore store, Random r)
        {
            var users = NewUsers(r);
            var known = users.ToHashSet(StringComparer.Ordinal);
            var ghosts = NewGhosts(r, users).Where(g => !known.Contains(g)).Distinct(StringComparer.Ordinal).ToArray();
            var data = new ExternalData(store, users, ghosts);
            // A user at the front of a shuffled pool is marked far more often than one at the end; the specials are
            // anywhere in it.
            r.Shuffle(users);
            string Pick() => users[(int)(users.Length * Math.Pow(r.NextDouble(), 2))];
            string Event() => ExternalEvents[r.Next(ExternalEvents.Length)];
            var queue = users.Concat(Enumerable.Range(0, 1200).Select(_ => Pick())).ToList();

            // 1. One at a time: MarkAsync(event, string), its universe flag with MarkUniqueAsync(event, string).
            foreach (var user in queue.Take(60))
            {
                var at = data.RandomInstant(r);
                var e = Event();
                await store.MarkAsync(e, user, at);
                data.Mark(e, user, at);
                if (data.FlagNew(user)) await store.MarkUniqueAsync("all", user);
            }

            // 2. Batches of marks by external id (with unique flags), then a batch of unmarks (some of never-mapped ids,
            // which must stay unmapped).
            foreach (var chunk in queue.Skip(60).Take(600).Chunk(150))
            {
                var batch = store.CreateBatch();
                foreach (var user in chunk)
                {
                    var at = data.RandomInstant(r);
                    var e = Event();
                    batch.Mark(e, user, at);
                    data.Mark(e, user, at);
                    if (data.FlagNew(user)) batch.MarkUnique("all", user);
                    if (r.Next(8) == 0)
                    {
                        batch.MarkUnique("vip", user);
                        data.Add(store.Keys.Key("vip", Period.Unique), user);
                    }
                }
                await batch.ExecuteAsync();
            }
            var unmarks = store.CreateBatch();
            for (var i = 0; i < 40; i++)
            {
                var (e, user, at) = i % 4 == 0 ? (Event(), ghosts[r.Next(ghosts.Length)], data.RandomInstant(r)) : data.UnmarkableMark(r);
                unmarks.Unmark(e, user, at);
                data.Unmark(e, user, at);
            }
            await unmarks.ExecuteAsync();

            // 3. A bulk import by external id, mapped in small batches so it takes many id map calls.
            var import = new Tracking.BulkImport(store, null) { MapBatchSize = r.Next(40, 200) };
            foreach (var user in queue.Skip(660))
            {
                var at = data.RandomInstant(r);
                var e = Event();
                await import.AddAsync(e, user, at);
                data.Mark(e, user, at);
                if (data.FlagNew(user)) await import.AddUniqueAsync("all", user);
            }
            await import.FlushAsync();
            return data;
        }

        /// <summary>Most marks in the last 40 days (so day and week leaves are not empty), the rest over 400 days.</summary>
        private DateTime RandomInstant(Random r) =>
            Now.AddMinutes(-r.Next(0, (r.Next(2) == 0 ? 40 : 400) * 24 * 60));

        private void Mark(string e, string user, DateTime at)
        {
            _marks.Add((e, user, at));
            foreach (var unit in new[] { PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day })
                Add(_store.Keys.Key(e, Period.Of(unit, at)), user);
        }

        /// <summary>
        /// A mark whose unmark leaves the keys agreeing with each other: the user has no other mark of the event in
        /// its week or month on another day. (Unmarking one day of a user seen on two days of a week clears the
        /// week's bit and keeps the other day's, and then a range read by day keys and one read by its week key
        /// rightly differ: bitmapist's keys are independent, and the oracle reads day by day.)
        /// </summary>
        private (string Event, string User, DateTime At) UnmarkableMark(Random r)
        {
            while (true)
            {
                var (e, user, at) = _marks[r.Next(_marks.Count)];
                Period week = Period.Of(PeriodUnit.Week, at), month = Period.Of(PeriodUnit.Month, at);
                if (_marks.All(m => m.Event != e || m.User != user || m.At.Date == at.Date
                    || (Period.Of(PeriodUnit.Week, m.At) != week && Period.Of(PeriodUnit.Month, m.At) != month)))
                    return (e, user, at.Date.AddMinutes(r.Next(0, 24 * 60))); // any time of that day clears the same keys
            }
        }

        // An unmark clears the bits of the mark's keys; a user never marked has no number and no bits.
        private void Unmark(string e, string user, DateTime at)
        {
            if (!_number.TryGetValue(user, out var n)) return;
            foreach (var unit in new[] { PeriodUnit.Month, PeriodUnit.Week, PeriodUnit.Day })
                if (_sets.TryGetValue(_store.Keys.Key(e, Period.Of(unit, at)), out var s)) s.Remove(n);
        }

        /// <summary>True the first time <paramref name="user"/> is flagged in the universe.</summary>
        private bool FlagNew(string user) => Add(_store.Keys.Key("all", Period.Unique), user);

        private bool Add(string key, string user)
        {
            if (!_number.TryGetValue(user, out var n))
            {
                _number[user] = n = (uint)_names.Count;
                _names.Add(user);
            }
            if (!_sets.TryGetValue(key, out var s)) _sets[key] = s = [];
            return s.Add(n);
        }

        /// <summary>The oracle's answer, as external ids: a literal keeps the external ids that were marked (the others have no internal id).</summary>
        public HashSet<string> Eval(SetExpr query)
        {
            var oracle = new SetOracle(_store.Keys, _sets, Now, SetExpr.Unique("all"));
            return oracle.Eval(Numbered(query)).Select(n => _names[(int)n]).ToHashSet(StringComparer.Ordinal);

            SetExpr Numbered(SetExpr e) => e is ExternalIdsNode x
                ? SetExpr.Ids(x.Members.Where(_number.ContainsKey).Select(m => (long)_number[m]))
                : e.WithChildren([.. e.Children.Select(Numbered)]);
        }

        /// <summary>On a wrong count, the smallest subtree whose members differ, and how: the case to debug.</summary>
        public async Task<string> SmallestMismatchAsync(SetExpr query, string context)
        {
            foreach (var node in Subtrees(query).OrderBy(n => n.ToString().Length))
            {
                var expected = Eval(node);
                var actual = (await ReadBackAsync(_store.Set(node), Paging.All, context)).ToHashSet(StringComparer.Ordinal);
                if (actual.SetEquals(expected)) continue;
                string Show(IEnumerable<string> ids) => string.Join(", ", ids.Order(StringComparer.Ordinal).Take(10).Select(TextSyntax.Quote));
                return $"{context}\nsmallest wrong subtree: {node} has {actual.Count}, the oracle {expected.Count}; " +
                    $"only the store has {{{Show(actual.Except(expected))}}}, only the oracle {{{Show(expected.Except(actual))}}}";
            }
            return context;
        }

        /// <summary>Users and ghosts, some users more than once (the library removes repeats).</summary>
        public string[] RandomLiteral(Random r, int count) =>
            [.. Enumerable.Range(0, count).Select(_ => r.Next(4) == 0 ? Ghosts[r.Next(Ghosts.Length)] : Users[r.Next(Users.Length)])];

        /// <summary>External ids to ask membership about: a member, a marked user, a never-mapped one.</summary>
        public IEnumerable<string> Probes(Random r, HashSet<string> members)
        {
            if (members.Count > 0) yield return members.ElementAt(r.Next(members.Count));
            yield return Users[r.Next(Users.Length)];
            yield return Ghosts[r.Next(Ghosts.Length)];
        }

        /// <summary>The ids of a page of <paramref name="set"/>, which must ascend, mapped back to external ids.</summary>
        public async Task<List<string>> ReadBackAsync(UserSet set, Paging paging, string context)
        {
            var ids = new List<long>();
            await foreach (var id in set.PageIdsAsync(paging)) ids.Add(id);
            return await MapBackAsync(ids, context);
        }

        /// <summary>Internal ids (ascending, each once) to their external ids, each of which must exist.</summary>
        public async Task<List<string>> MapBackAsync(IReadOnlyList<long> ids, string context)
        {
            for (var i = 1; i < ids.Count; i++) ids[i].ShouldBeGreaterThan(ids[i - 1], $"{context}: ids are read in ascending order of internal id");
            var names = await _store.IdMap("users").FindExternalAsync([.. ids.Select(id => (uint)id)]);
            for (var i = 0; i < names.Length; i++) names[i].ShouldNotBeNull($"{context}: the id {ids[i]} read has no external id");
            return [.. names.Select(n => n!)];
        }

        /// <summary>
        /// The map holds exactly the marked users, each with its own internal id that maps back to it; never-mapped
        /// ids (unmarked only) have none; on bitmapist's layout the ids are 0, 1, 2, ...; on the sharded layout each id
        /// lies in the shards of its external id's lane.
        /// </summary>
        public async Task CheckMapAsync()
        {
            var map = _store.IdMap("users");
            var counts = await map.CountAsync();
            counts.Mapped.ShouldBe(_names.Count, "external ids mapped");
            counts.Allocated.ShouldBe(_names.Count, "internal ids handed out (each mapping once, nothing erased)");
            (await map.FindAsync(Ghosts)).ShouldAllBe(id => id == null, "ids only unmarked or only in literals are never mapped");
            var ids = await map.FindAsync(_names);
            ids.ShouldAllBe(id => id != null);
            ids.Distinct().Count().ShouldBe(ids.Length, "two external ids share an internal id");
            (await map.FindExternalAsync([.. ids.Select(id => id!.Value)])).ShouldBe([.. _names], "internal ids map back to their external ids");
            if (_store.Options.Layout.ShardBits is null)
                ids.Select(id => (long)id!.Value).Order().ShouldBe(Enumerable.Range(0, _names.Count).Select(i => (long)i), "bitmapist's layout hands out 0, 1, 2, ...");
            else
                for (var i = 0; i < ids.Length; i++)
                    map.LaneOf(ids[i]!.Value).ShouldBe(map.LaneOf(_names[i]), $"the id of '{_names[i]}' lies in its lane's shards");
        }

        /// <summary>
        /// About 230 users: names with quotes, commas, braces and the text of a printed literal, e-mails, UUIDs, unicode
        /// (composed and decomposed, scripts, emoji, a zero-width space), 64-bit ids as decimal text (the extremes,
        /// 2^32 and 2^53 + 1, which a double cannot hold), numbers as text that are also small internal ids, white space
        /// and control characters, and ids of exactly 1,024 bytes of UTF-8.
        /// </summary>
        private static string[] NewUsers(Random r) =>
        [
            "alice", "Alice", "bob", "o'brien", "'", "''", ",", "a,b", "x", "y", "x', 'y", "{'alice'}", "}", "{", "say \"hi\"",
            "back\\slash", "semi;colon", "users", "{}", "*", "a?b[c]", "bitop_tmp:q:1", "all", "trackist_a_2026-11",
            "alice@example.com", "Alice@Example.COM", "first.last+tag@sub.example.org",
            "José", "Jose\u0301", "naïve", "Straße", "STRASSE", "İstanbul", "istanbul", "日本語ユーザー", "用户", "Ελληνικά", "עברית",
            "مستخدم", "🎉party", "👩‍💻", "a\u200Bb", "ab",
            IdMap.TextOf(0), IdMap.TextOf(1), IdMap.TextOf(-1), IdMap.TextOf(long.MaxValue), IdMap.TextOf(long.MinValue),
            IdMap.TextOf(uint.MaxValue), IdMap.TextOf(1L << 32), IdMap.TextOf((1L << 53) + 1), "42", "042", " 42", "4.2e1",
            " alice", "alice ", "tab\there", "new\nline", "nul\0byte", "\u00a0nbsp",
            new string('x', IdMap.MaxExternalIdBytes), new string('日', 341) + "x",
            .. Enumerable.Range(0, 50).Select(i => $"user-{i}"),
            .. Enumerable.Range(0, 40).Select(i => $"u{i}@example.org"),
            .. Enumerable.Range(0, 40).Select(_ => RandomGuid(r).ToString(r.Next(3) == 0 ? "B" : "D")),
            .. Enumerable.Range(0, 40).Select(_ => IdMap.TextOf(r.NextInt64(long.MinValue, long.MaxValue))),
        ];

        /// <summary>Never marked: new names and UUIDs, and near misses of users' ids that only an exact map tells apart.</summary>
        private static IEnumerable<string> NewGhosts(Random r, string[] users) =>
        [
            "ghost", "ALICE", "alice  ", "o’brien", "x, y", "'x'", "Jose", "josé", "Strasse", "42.0", IdMap.TextOf(long.MaxValue - 1),
            IdMap.TextOf((1L << 53) + 2), "nul", "new", new string('x', IdMap.MaxExternalIdBytes - 1), "user-50", "user-00", "u0@example.org ",
            .. Enumerable.Range(0, 10).Select(_ => RandomGuid(r).ToString()),
            .. users.Take(10).Select(u => u.ToUpperInvariant()),
        ];

        private static Guid RandomGuid(Random r)
        {
            var bytes = new byte[16];
            r.NextBytes(bytes);
            return new Guid(bytes);
        }
    }
}
