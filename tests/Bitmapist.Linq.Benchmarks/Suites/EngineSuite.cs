using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Issue 14's data and targets for the embedded engine: day bitmaps of the 2^24-id universe with ~200k random
/// ids each (the shape of the Python bitmapist's own benchmark data: 1.2% dense, every page an array), a
/// depth-4 query on the embedded store vs the same query on a local Redis, the bytes a query allocates, and a
/// 31x13 daily cohort (signups 20k a day) - the first table in the process and warm. Then the sample data's
/// cohort table against per-cell evaluation on the same embedded store.
/// </summary>
internal sealed class EngineSuite : ISuite
{
    private static readonly DateTime End = new(2026, 6, 30);
    private const int Universe = 1 << 24;
    private const string Depth4 = "((a & b) | (c & d)) ^ (e | (f & a'))";

    public string Name => "engine";
    public string Description => "embedded engine (issue 14): depth-4 vs Redis, bytes per query, 31x13 cohort first/warm, cohort vs per cell";

    public async Task RunAsync(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var clock = new FixedClock(new DateTimeOffset(End.AddHours(12), TimeSpan.Zero));
        var options = new StoreOptions { Clock = clock }.WithPrefix(prefix);
        using var embedded = new EmbeddedStore(options);
        await using var redis = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(), options);
        var day = Period.Of(PeriodUnit.Day, End);

        // Events a..f on the last day, a' = a the day before; signup (20k) and active (200k) on 44 days.
        var random = new Random(14);
        var keys = new List<(string Key, PagedBitmap Bitmap)>();
        foreach (var e in new[] { "a", "b", "c", "d", "e", "f" }) keys.Add((embedded.Keys.Key(e, day), RandomBitmap(random, 200_000)));
        keys.Add((embedded.Keys.Key("a", Period.Of(PeriodUnit.Day, End.AddDays(-1))), RandomBitmap(random, 200_000)));
        for (var i = 0; i < 44; i++)
        {
            var d = Period.Of(PeriodUnit.Day, End.AddDays(-43 + i));
            keys.Add((embedded.Keys.Key("signup", d), RandomBitmap(random, 20_000)));
            keys.Add((embedded.Keys.Key("active", d), RandomBitmap(random, 200_000)));
        }
        await embedded.MergeAsync([.. keys.Select(k => new BitmapMerge(k.Key, k.Bitmap))], CancellationToken.None);
        foreach (var (key, bitmap) in keys) await ctx.Redis.Db.StringSetAsync(key, bitmap.ToRedisBytes());
        Console.WriteLine($"data: {keys.Count} day bitmaps of 2^24 ids (200k random ids; signup 20k); embedded {Fmt.Bytes(embedded.MemoryBytes)}, " +
            $"Redis strings {Fmt.Bytes(keys.Sum(k => (long)k.Bitmap.ToRedisBytes().Length))}");

        // The first cohort table in this process: planning, JIT and the run, before any other query here.
        var cohortText = "cohort signup then active by day rows 31 cols 12";
        var cohort = ((CohortStatement)TextQuery.Parse(cohortText).Single()).Query;
        var firstTable = await Measure.PerCall(1, () => embedded.CohortAsync(cohort));

        var set = Depth4Set(embedded);
        var redisSet = Depth4Set(redis);
        var expected = await redisSet.CountAsync();
        if (await set.CountAsync() != expected) throw new InvalidOperationException("the depth-4 counts differ");
        var embeddedTable = await embedded.CohortAsync(cohort);
        var redisTable = await redis.CohortAsync(cohort);
        for (var i = 0; i < embeddedTable.Rows.Length; i++)
            if (embeddedTable.Rows[i].Size != redisTable.Rows[i].Size || !embeddedTable.Rows[i].Retained.SequenceEqual(redisTable.Rows[i].Retained))
                throw new InvalidOperationException($"the cohort tables differ at row {i}: embedded {embeddedTable.Rows[i].Size}: {string.Join(",", embeddedTable.Rows[i].Retained)}; Redis {redisTable.Rows[i].Size}: {string.Join(",", redisTable.Rows[i].Retained)}");

        var r = await Measure.SideBySide(ctx.Warmup(3), ctx.Reps(15), 5,
            new Case("embedded", () => Measure.PerCall(5, () => set.CountAsync())),
            new Case("redis", () => Measure.PerCall(5, () => redisSet.CountAsync())),
            new Case("cohort-embedded", () => Measure.PerCall(1, () => embedded.CohortAsync(cohort))),
            new Case("cohort-redis", () => Measure.PerCall(1, () => redis.CohortAsync(cohort))));
        var allocated = await AllocatedPerCall(20, () => set.CountAsync());
        var cohortAllocated = await AllocatedPerCall(5, () => embedded.CohortAsync(cohort));

        var (lo, hi) = r.RatioRange("redis", "embedded");
        new Table("query", "embedded ms", "Redis ms", "Redis / embedded (paired median)", "range", "embedded bytes allocated per call")
            .Row($"count {Depth4} = {expected:N0}", Fmt.Ms(r.Median("embedded")), Fmt.Ms(r.Median("redis")), Fmt.Ratio(r.Ratio("redis", "embedded")),
                $"{Fmt.Ratio(lo)}..{Fmt.Ratio(hi)}", $"{allocated:N0}")
            .Row($"{cohortText} (warm)", Fmt.Ms(r.Median("cohort-embedded")), Fmt.Ms(r.Median("cohort-redis")), Fmt.Ratio(r.Ratio("cohort-redis", "cohort-embedded")),
                "", $"{cohortAllocated:N0}")
            .Row($"the same table, first in this process (plan + JIT + run)", Fmt.Ms(firstTable), "", "", "", "")
            .Print($"{ctx.Reps(15)} repetitions of 5 interleaved slices (5 calls a slice for the query, 1 for a table) after {ctx.Warmup(3)} warm-up");

        // The sample data: the library's one-batch table against each cell as its own query, both embedded.
        using var sample = new EmbeddedStore(new StoreOptions { Clock = clock });
        await SampleData.GenerateAsync(sample, new SampleDataOptions(End: End));
        var first = End.AddDays(-30);
        var perCell = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(7),
            new Case("table", () => Measure.PerCall(1, () => sample.CohortAsync(cohort))),
            new Case("cells", () => Measure.PerCall(1, () => PerCell(sample, first))));
        var table = await sample.CohortAsync(cohort);
        var cells = await PerCell(sample, first);
        for (var i = 0; i < 31; i++)
            if (!table.Rows[i].Retained.Select(c => c ?? 0).SequenceEqual(cells[i]))
                throw new InvalidOperationException($"the sample table and the per-cell counts differ at row {i}");
        var (clo, chi) = perCell.RatioRange("cells", "table");
        new Table("strategy", "ms per table (median)", "cells / table (paired median)", "range")
            .Row("one batch (CohortAsync)", Fmt.Ms(perCell.Median("table")), "1.00x", "")
            .Row("31 x 13 cells, each (signup(d) & active(d+t)).CountAsync()", Fmt.Ms(perCell.Median("cells")), Fmt.Ratio(perCell.Ratio("cells", "table")), $"{Fmt.Ratio(clo)}..{Fmt.Ratio(chi)}")
            .Print($"sample data (200,000 users, 120 days to {End:yyyy-MM-dd}), embedded store: {cohortText}");

        var depthRatio = r.Ratio("redis", "embedded");
        var cohortPerCell = perCell.Ratio("cells", "table");
        new Table("target", "measured", "verdict")
            .Row("embedded depth-4 >= 3x faster than local Redis", Fmt.Ratio(depthRatio), Fmt.Verdict(depthRatio >= 3))
            .Row("<= 64 KB allocated per depth-4 query", $"{allocated / 1024.0:0.0} KB", Fmt.Verdict(allocated <= 64 * 1024))
            .Row("31x13 cohort warm <= 10 ms", $"{Fmt.Ms(r.Median("cohort-embedded"))} ms", Fmt.Verdict(r.Median("cohort-embedded") <= 0.010))
            .Row("31x13 cohort, first table in a process <= 60 ms", $"{Fmt.Ms(firstTable)} ms", Fmt.Verdict(firstTable <= 0.060))
            .Row("sample cohort >= 30x faster than per-cell", Fmt.Ratio(cohortPerCell), Fmt.Verdict(cohortPerCell >= 30))
            .Print("targets");
    }

    /// <summary>((a &amp; b) | (c &amp; d)) ^ (e | (f &amp; a')), every event on the last day and a' the day before.</summary>
    private static UserSet Depth4Set(BitmapStore store)
    {
        var day = Period.Of(PeriodUnit.Day, End);
        UserSet At(string e) => store.At(e, day);
        return ((At("a") & At("b")) | (At("c") & At("d"))) ^ (At("e") | (At("f") & store.At("a", Period.Of(PeriodUnit.Day, End.AddDays(-1)))));
    }

    private static async Task<List<long[]>> PerCell(BitmapStore store, DateTime first)
    {
        var rows = new List<long[]>();
        for (var i = 0; i < 31; i++)
        {
            var d = first.AddDays(i);
            var signup = store.At("signup", Period.Of(PeriodUnit.Day, d));
            var row = new long[13];
            for (var t = 0; t <= 12; t++) row[t] = await (signup & store.At("active", Period.Of(PeriodUnit.Day, d.AddDays(t)))).CountAsync();
            rows.Add(row);
        }
        return rows;
    }

    private static PagedBitmap RandomBitmap(Random random, int count)
    {
        var ids = new uint[count];
        for (var i = 0; i < count; i++) ids[i] = (uint)random.Next(Universe);
        Array.Sort(ids);
        return PagedBitmap.Of(ids);
    }

    /// <summary>Bytes allocated by the whole process per call, over <paramref name="calls"/> calls (nothing else runs meanwhile).</summary>
    private static async Task<long> AllocatedPerCall<T>(int calls, Func<Task<T>> call)
    {
        await call();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < calls; i++) await call();
        return (GC.GetTotalAllocatedBytes(precise: true) - before) / calls;
    }
}
