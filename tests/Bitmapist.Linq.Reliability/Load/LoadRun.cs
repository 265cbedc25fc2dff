using System.Diagnostics;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Reliability.Load;

/// <summary>
/// N concurrent clients on one store for a fixed time, each mixing mark batches, bulk imports, counts of random
/// formulas, contains, paged ids, percents and cohort tables, and checking every answer against its own oracle
/// (plain HashSets per stored key, evaluated by the differential oracle's <see cref="SetOracle"/>). Each client
/// writes its own events, so its answers are exact whatever the others do; all clients also mark one shared
/// event, whose counts can only be checked against bounds (what was acknowledged before the query started, what
/// was sent before it ended) and whose acknowledged marks must all be there at the end.
/// </summary>
internal sealed class LoadRun(BitmapStore store, LoadFigures figures, Func<string, Task<HashSet<uint>>> readKey)
{
    // Event names are this run's own (a warm-up run on the same store must not share them).
    private readonly string _tag = "r" + Guid.NewGuid().ToString("N")[..6];
    private string Shared => _tag + ":shared";
    private const uint IdRange = 1 << 17;
    private readonly object _sharedLock = new();
    private readonly HashSet<uint> _sharedAcked = [];
    private readonly HashSet<uint> _sharedSent = [];
    private readonly DateTime _now = store.Now;

    /// <summary>
    /// The store's universe (<c>StoreOptions.Universe</c>), so complements can be asked: written once, before the run.
    /// It holds every id the run can mark or name, as the optimizer assumes of a universe (<c>and[users, a] => a</c>).
    /// </summary>
    public static SetExpr Universe { get; } = SetExpr.Unique(UniverseEvent);

    private const string UniverseEvent = "users";
    private HashSet<uint> _universe = [];

    public async Task RunAsync(int clients, TimeSpan duration, int seed)
    {
        var universe = store.CreateBulkImport();
        _universe = [.. Enumerable.Range(0, (int)IdRange).Select(i => (uint)i)];
        foreach (var id in _universe) universe.AddUnique(UniverseEvent, id);
        await universe.FlushAsync();
        var watch = Stopwatch.StartNew();
        var all = Enumerable.Range(0, clients).Select(i => new Client(this, i, new Random(seed + i))).ToList();
        await Task.WhenAll(all.Select(c => Task.Run(() => c.RunAsync(watch, duration))));
        figures.Elapsed = watch.Elapsed;

        // Afterwards, every key read back directly: every acknowledged mark must be there, and nothing else.
        foreach (var c in all)
        {
            foreach (var (key, expected) in c.Data)
            {
                var stored = await readKey(key);
                figures.AcknowledgedMarks += expected.Count;
                figures.LostMarks += expected.Count(id => !stored.Contains(id));
                if (!stored.SetEquals(expected)) figures.WrongAnswer($"key {key} holds {stored.Count} ids, the oracle {expected.Count}");
            }
        }
        var shared = await readKey(store.Keys.Key(Shared, Period.Of(PeriodUnit.Day, _now)));
        figures.AcknowledgedMarks += _sharedAcked.Count;
        figures.LostMarks += _sharedAcked.Count(id => !shared.Contains(id));
        figures.TemporariesLeft = (await store.ListTemporariesAsync()).Count;
    }

    private sealed class Client(LoadRun run, int index, Random r)
    {
        private readonly string[] _events = [$"{run._tag}:c{index}:a", $"{run._tag}:c{index}:b", $"{run._tag}:c{index}:c"];
        private SetExpr[]? _leaves;
        private uint _nextShared = (uint)index * 1_000_000 + 1;

        public Dictionary<string, HashSet<uint>> Data { get; } = new(StringComparer.Ordinal);

        // Time spent in the store's calls of the current operation: the latency figure leaves out the oracle.
        private long _storeTicks;

        private async Task<T> Timed<T>(Func<Task<T>> call)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                return await call();
            }
            finally
            {
                _storeTicks += Stopwatch.GetTimestamp() - started;
            }
        }

        private Task Timed(Func<Task> call) => Timed(async () => { await call(); return 0; });

        private BitmapStore Store => run.Store;

        private SetOracle Oracle => new(Store.Keys, new Dictionary<string, HashSet<uint>>(Data) { [Store.Keys.Key(UniverseEvent, Period.Unique)] = run._universe }, run._now, Universe);

        public async Task RunAsync(Stopwatch watch, TimeSpan duration)
        {
            _leaves = [.. _events.SelectMany(Leaves)];
            while (watch.Elapsed < duration)
            {
                _storeTicks = 0;
                string kind;
                try
                {
                    kind = r.Next(100) switch
                    {
                        < 22 => await MarkBatch(),
                        < 28 => await BulkImport(),
                        < 48 => await Count(),
                        < 58 => await Contains(),
                        < 70 => await PagedIds(),
                        < 77 => await Percent(),
                        < 82 => await Cohort(),
                        _ => await SharedMark(),
                    };
                }
                catch (Exception e) when (e is BitmapistStoreException or BitmapistQueryException)
                {
                    // No fault is injected here: a failure is counted and printed (the fault tests assert them).
                    run.Figures.Failed();
                    continue;
                }
                run.Figures.Record(kind, Stopwatch.GetElapsedTime(0, _storeTicks).TotalMilliseconds);
            }
        }

        private IEnumerable<SetExpr> Leaves(string e)
        {
            yield return SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month));
            yield return SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, -1));
            yield return SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Year));
            for (var w = 0; w < 6; w++) yield return SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week, -w));
            for (var i = 0; i < 6; i++) yield return SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day, -r.Next(0, 40)));
            yield return SetExpr.Range(e, PeriodRef.Relative(PeriodUnit.Day, -6), PeriodRef.Relative(PeriodUnit.Day, 0));
            yield return SetExpr.Range(e, PeriodRef.Relative(PeriodUnit.Day, -20), PeriodRef.Relative(PeriodUnit.Day, -3), RangeMode.All);
            yield return SetExpr.Range(e, PeriodRef.Relative(PeriodUnit.Week, -4), PeriodRef.Relative(PeriodUnit.Week, -1));
        }

        private DateTime RandomTime() => run._now.Date.AddDays(-r.Next(0, 40)).AddHours(r.Next(0, 24)).AddMinutes(r.Next(60));

        private uint RandomId() => RandomFormula.Interesting(r, IdRange - 1);

        private void Acknowledge(string eventName, uint id, DateTime at)
        {
            foreach (var key in Store.Keys.KeysForMark(eventName, at, Store.Options.Tracking))
            {
                if (!Data.TryGetValue(key, out var set)) Data[key] = set = [];
                set.Add(id);
            }
        }

        private async Task<string> MarkBatch()
        {
            var batch = Store.CreateBatch();
            var marks = Enumerable.Range(0, r.Next(1, 6)).Select(_ => (Event: _events[r.Next(_events.Length)], Id: RandomId(), At: RandomTime())).ToList();
            foreach (var m in marks) batch.Mark(m.Event, m.Id, m.At);
            await Timed(() => batch.ExecuteAsync());
            foreach (var m in marks) Acknowledge(m.Event, m.Id, m.At);
            return "mark";
        }

        private async Task<string> BulkImport()
        {
            var import = Store.CreateBulkImport();
            var marks = Enumerable.Range(0, r.Next(20, 300)).Select(_ => (Event: _events[r.Next(_events.Length)], Id: RandomId(), At: RandomTime())).ToList();
            await Timed(async () =>
            {
                foreach (var m in marks) await import.AddAsync(m.Event, m.Id, m.At);
                await import.FlushAsync();
            });
            foreach (var m in marks) Acknowledge(m.Event, m.Id, m.At);
            return "import";
        }

        private SetExpr Formula() =>
            RandomFormula.Build(r, _leaves!, depth: 3, allowUniverse: true, literalId: rr => RandomFormula.Interesting(rr, IdRange - 1), constantRarity: 2);

        private async Task<string> Count()
        {
            var expr = Formula();
            var got = await Timed(() => Store.Set(expr).CountAsync());
            var expected = Oracle.Eval(expr).Count;
            if (got != expected) run.Figures.WrongAnswer($"count {expr.Text}: {got}, oracle {expected}");
            return "count";
        }

        private async Task<string> Contains()
        {
            var expr = Formula();
            var members = Oracle.Eval(expr);
            var id = members.Count > 0 && r.Next(2) == 0 ? members.ElementAt(r.Next(members.Count)) : RandomId();
            var got = await Timed(() => Store.Set(expr).ContainsAsync(id));
            if (got != members.Contains(id)) run.Figures.WrongAnswer($"{id} in {expr.Text}: {got}, oracle {!got}");
            return "contains";
        }

        private async Task<string> PagedIds()
        {
            var expr = Formula();
            var from = r.Next(3) == 0 ? 0 : RandomId();
            var take = r.Next(1, 400);
            var got = new List<long>();
            await Timed(async () =>
            {
                await foreach (var id in Store.Set(expr).IdsAsync(from))
                {
                    got.Add(id);
                    if (got.Count == take) break;
                }
            });
            var expected = Oracle.Eval(expr).Where(id => id >= from).Order().Take(take).Select(id => (long)id).ToList();
            if (!got.SequenceEqual(expected)) run.Figures.WrongAnswer($"ids {expr.Text} after {from} limit {take}: {got.Count} ids, oracle {expected.Count}");
            return "ids";
        }

        private async Task<string> Percent()
        {
            var statement = new PercentStatement(Formula(), Formula());
            var whole = await Timed(() => Store.Set(statement.Whole).CountAsync());
            var part = whole == 0 ? 0 : await Timed(() => Store.Set(statement.Numerator).CountAsync());
            var oracleWhole = Oracle.Eval(statement.Whole).Count;
            var oraclePart = Oracle.Eval(statement.Numerator).Count;
            if (whole != oracleWhole || (whole > 0 && part != oraclePart))
                run.Figures.WrongAnswer($"{statement.Text}: {part}/{whole}, oracle {oraclePart}/{oracleWhole}");
            return "percent";
        }

        private async Task<string> Cohort()
        {
            var unit = r.Next(3) == 0 ? "week" : "day";
            var first = r.Next(4) == 0 ? "first " : "";
            var text = $"cohort {first}'{_events[r.Next(3)]}' then '{_events[r.Next(3)]}' by {unit} rows {r.Next(2, 8)} cols {r.Next(1, 6)} counts";
            var query = ((CohortStatement)TextQuery.Parse(text)[0]).Query;
            var table = await Timed(() => Store.CohortAsync(query));
            // The plan names every count's set; the oracle evaluates those sets on its HashSets.
            var plan = Store.Plan(query);
            var oracle = Oracle;
            long Expected(int read) => oracle.Eval(plan.Counted[read]).Count;
            for (var i = 0; i < table.Rows.Length; i++)
            {
                var row = table.Rows[i];
                if (row.Size != Expected(plan.SizeReads[i])) run.Figures.WrongAnswer($"{text}: row {row.Label} size {row.Size}, oracle {Expected(plan.SizeReads[i])}");
                for (var t = 0; t < row.Retained.Length; t++)
                {
                    long? expected = row.Size == 0 || Expected(plan.ReturnReads[i][t]) == 0 ? null : Expected(plan.CellReads[i][t]);
                    if (row.Retained[t] != expected) run.Figures.WrongAnswer($"{text}: row {row.Label} cell {t}: {row.Retained[t]}, oracle {expected}");
                }
            }
            return "cohort";
        }

        private async Task<string> SharedMark()
        {
            var id = _nextShared++;
            lock (run._sharedLock) run._sharedSent.Add(id);
            await Timed(() => Store.MarkAsync(run.Shared, id, run._now));
            lock (run._sharedLock) run._sharedAcked.Add(id);
            // Read your own write, and a count between what was acknowledged before and what was sent by the end.
            if (!await Timed(() => Store.Day(run.Shared).ContainsAsync(id))) run.Figures.WrongAnswer($"{id} in day({run.Shared}): false right after its mark was acknowledged");
            long low;
            lock (run._sharedLock) low = run._sharedAcked.Count;
            var count = await Timed(() => Store.Day(run.Shared).CountAsync());
            long high;
            lock (run._sharedLock) high = run._sharedSent.Count;
            if (count < low || count > high) run.Figures.WrongAnswer($"count day({run.Shared}): {count}, not in [{low}, {high}]");
            return "shared";
        }
    }

    private BitmapStore Store => store;

    private LoadFigures Figures => figures;
}
