using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// "Users with the event on any day of a 3-month range": SetExpr.Range (answered with the fewest covering
/// keys: months, then ISO weeks, then days) vs the OR of the ~90 day keys (the library's plan for that OR,
/// chunked to 16 sources, and a raw single 90-source BITOP), counted on Redis.
/// </summary>
internal sealed class CoverSuite : ISuite
{
    private const double DailyActive = 0.03;
    private const string Event = "visit";

    public string Name => "cover";
    public string Description => "any day in a 3-month range: fewest covering keys vs the OR of ~90 day keys (count, Redis)";

    public async Task RunAsync(BenchContext ctx)
    {
        var verdicts = new Table("target", "measured", "verdict");
        foreach (var bits in new[] { 1 << 20, 1 << 23 }) await RunSize(ctx, bits, verdicts);
        verdicts.Print("targets");
    }

    private async Task RunSize(BenchContext ctx, int bits, Table verdicts)
    {
        var prefix = BenchContext.Prefix(Name);
        var redis = ctx.Redis;
        await redis.DeleteAsync(prefix + "*");
        await using var store = await ctx.StoreAsync(prefix);
        // The library as before issue 14 item 5 (temporaries deleted in the batch, ScratchTtl = 0), side by side, on its
        // own copy of the keys: its DEL would otherwise delete the default store's scratch keys.
        var strictPrefix = BenchContext.Prefix(Name + "-deleting");
        await redis.DeleteAsync(strictPrefix + "*");
        await using var strict = await RedisStore.ConnectAsync(redis.StoreConfiguration(), new StoreOptions { ScratchTtl = TimeSpan.Zero }.WithPrefix(strictPrefix));
        var keyBytes = bits / 8;

        // Data: 120 days (2026-01-01..2026-04-30), each user active on a given day with probability 3%. Day keys are
        // written directly; week and month keys are the OR of their days, exactly what marking would have written.
        var first = new DateTime(2026, 1, 1);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var aggregates = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        long marks = 0;
        for (var d = 0; d < 120; d++)
        {
            var date = first.AddDays(d);
            var ids = Data.BernoulliIds(DailyActive, bits, 1000 + d);
            marks += ids.Length;
            var day = Data.RedisBytes(ids, bits);
            await redis.Db.StringSetAsync(store.Keys.Key(Event, Day(date)), day);
            await redis.Db.StringSetAsync(strict.Keys.Key(Event, Day(date)), day);
            foreach (var unit in new[] { PeriodUnit.Week, PeriodUnit.Month })
            {
                var key = store.Keys.Key(Event, Period.Of(unit, date));
                if (!aggregates.TryGetValue(key, out var agg)) aggregates[key] = agg = new byte[keyBytes];
                var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(agg.AsSpan());
                var b = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(day.AsSpan());
                for (var i = 0; i < a.Length; i++) a[i] |= b[i];
            }
        }
        foreach (var (key, value) in aggregates)
        {
            await redis.Db.StringSetAsync(key, value);
            await redis.Db.StringSetAsync(strictPrefix + key[prefix.Length..], value);
        }
        Console.WriteLine($"\ndata: {marks:N0} marks of '{Event}' over 120 days, ids < 2^{Math.Log2(bits)} (every key is a {Fmt.Bytes(keyBytes)} string), " +
                          $"{120 + aggregates.Count} keys written in {sw.Elapsed.TotalSeconds:0.0} s");

        var t = new Table("range", "strategy", "keys read", "BITOPs", "bytes read by BITOPs", "server ms", "median ms", "vs fewest keys", "before: temporaries deleted, ms", "before: vs fewest keys", "count");
        foreach (var (label, from, to) in new[] { ("aligned: 2026-01-01..2026-03-31 (90 days)", first, new DateTime(2026, 3, 31)),
                                                   ("ragged: 2026-01-10..2026-04-09 (90 days)", new DateTime(2026, 1, 10), new DateTime(2026, 4, 9)) })
        {
            var range = SetExpr.Range(Event, PeriodRef.Of(Day(from)), PeriodRef.Of(Day(to)), RangeMode.Any);
            var days = Enumerable.Range(0, (int)(to - from).TotalDays + 1).Select(i => from.AddDays(i)).ToArray();
            var orOfDays = SetExpr.Or(days.Select(d => SetExpr.Event(Event, Day(d))));
            var dayKeys = days.Select(d => (RedisKey)store.Keys.Key(Event, Day(d))).ToArray();
            var rangeSet = store.Set(range);
            var orSet = store.Set(orOfDays);
            var rangeBefore = strict.Set(range);
            var orBefore = strict.Set(orOfDays);
            var rawDest = (RedisKey)(prefix + "bitop_raw");

            async Task<long> Raw()
            {
                var tran = redis.Db.CreateTransaction();
                _ = tran.StringBitOperationAsync(Bitwise.Or, rawDest, dayKeys);
                var count = tran.StringBitCountAsync(rawDest);
                _ = tran.KeyDeleteAsync(rawDest);
                await tran.ExecuteAsync();
                return await count;
            }

            var counts = (await rangeSet.CountAsync(), await orSet.CountAsync(), await Raw());
            if (counts.Item1 != counts.Item2 || counts.Item2 != counts.Item3) throw new InvalidOperationException($"counts differ: {counts}");
            if (await rangeBefore.CountAsync() != counts.Item1 || await orBefore.CountAsync() != counts.Item1)
                throw new InvalidOperationException("counts differ with temporaries deleted");

            // Server time per query (INFO commandstats, every command but INFO and EXEC), untimed passes of 10 queries.
            async Task<double> ServerMs(UserSet set)
            {
                var before = await redis.CommandStatsFullAsync();
                for (var i = 0; i < 10; i++) await set.CountAsync();
                var after = await redis.CommandStatsFullAsync();
                return after.Where(kv => kv.Key is not ("info" or "exec")).Sum(kv => kv.Value.Usec - before.GetValueOrDefault(kv.Key).Usec) / 10.0 / 1000;
            }
            var (rangeServer, orServer) = (await ServerMs(rangeSet), await ServerMs(orSet));

            var small = bits <= 1 << 20;
            var r = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(7), small ? 3 : 1,
                new Case("range", () => Measure.PerCall(small ? 10 : 5, () => rangeSet.CountAsync())),
                new Case("or", () => Measure.PerCall(small ? 4 : 2, () => orSet.CountAsync())),
                new Case("raw", () => Measure.PerCall(1, Raw)),
                new Case("range-before", () => Measure.PerCall(small ? 10 : 5, () => rangeBefore.CountAsync())),
                new Case("or-before", () => Measure.PerCall(small ? 4 : 2, () => orBefore.CountAsync())));

            var rangePlan = store.Plan(new SetQuery(range, ReadKind.Count));
            var orPlan = store.Plan(new SetQuery(orOfDays, ReadKind.Count));
            t.Row(label, "SetExpr.Range (fewest keys): " + Describe(rangePlan.Bound, store.Keys), Leaves(rangePlan.Bound), rangePlan.Program.Steps.Length,
                Fmt.Bytes(SourceCount(rangePlan.Program) * (long)keyBytes), Fmt.Ms(rangeServer / 1000), Fmt.Ms(r.Median("range")), "1.00x",
                Fmt.Ms(r.Median("range-before")), "1.00x", counts.Item1);
            t.Row("", "library OR of the day keys (chunked to 16 sources)", Leaves(orPlan.Bound), orPlan.Program.Steps.Length,
                Fmt.Bytes(SourceCount(orPlan.Program) * (long)keyBytes), Fmt.Ms(orServer / 1000), Fmt.Ms(r.Median("or")), Fmt.Ratio(r.Ratio("or", "range")),
                Fmt.Ms(r.Median("or-before")), Fmt.Ratio(r.Ratio("or-before", "range-before")), counts.Item2);
            t.Row("", $"raw: one BITOP OR of {dayKeys.Length} keys (fan-in cliff)", dayKeys.Length, 1,
                Fmt.Bytes(dayKeys.Length * (long)keyBytes), "", Fmt.Ms(r.Median("raw")), Fmt.Ratio(r.Ratio("raw", "range")), "", "", counts.Item3);
            var ratio = r.Ratio("or", "range");
            var (lo, hi) = r.RatioRange("or", "range");
            verdicts.Row($"{Fmt.Bytes(keyBytes)} keys, {label.Split(':')[0]}: >= 10x vs OR of day keys",
                $"{Fmt.Ratio(ratio)} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)}); before (temporaries deleted): {Fmt.Ratio(r.Ratio("or-before", "range-before"))}; " +
                $"server time {Fmt.Ratio(orServer / rangeServer)}; vs raw 1 BITOP: {Fmt.Ratio(r.Ratio("raw", "range"))}", Fmt.Verdict(ratio >= 10));
        }
        t.Print($"cover, {Fmt.Bytes(keyBytes)} keys: count on Redis, median of {ctx.Reps(7)} repetitions after {ctx.Warmup(2)} warm-up " +
                $"(\"bytes read\" = BITOP sources x key size; temporaries count as sources)");
        await redis.DeleteAsync(prefix + "*");
        await redis.DeleteAsync(strictPrefix + "*");
    }

    private static Period Day(DateTime d) => Period.Day(d.Year, d.Month, d.Day);

    private static int Leaves(SetExpr e) => e.Children.IsEmpty ? 1 : e.Children.Sum(Leaves);

    private static string Describe(SetExpr bound, KeyScheme scheme)
    {
        var keys = bound.Children.IsEmpty ? [bound] : bound.Children.ToArray();
        var units = keys.OfType<KeyNode>().Select(k => scheme.TryParse(k.StoredKey, out _, out var p) ? p.Unit : (PeriodUnit?)null).ToList();
        return $"{units.Count(u => u == PeriodUnit.Month)} months + {units.Count(u => u == PeriodUnit.Week)} weeks + {units.Count(u => u == PeriodUnit.Day)} days";
    }

    private static int SourceCount(Backends.BatchProgram p) => p.Steps.OfType<Backends.BitOpStep>().Sum(s => s.Sources.Length);
}
