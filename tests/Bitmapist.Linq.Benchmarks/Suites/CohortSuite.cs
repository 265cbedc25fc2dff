using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using StackExchange.Redis;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// A 31-row x 13-column daily cohort table (signup then active) over the sample data: the library's one
/// batch per table against the eager strategy of Python bitmapist (each row's size, each return day's size
/// and each cell as its own awaited commands: BITCOUNT, BITCOUNT, BITOP AND into a result key, BITCOUNT, DEL),
/// on the same Redis, side by side. Both tables are checked equal; round trips are counted through a proxy.
/// </summary>
internal sealed class CohortSuite : ISuite
{
    private static readonly DateTime End = new(2026, 6, 30);
    private const string Text = "cohort signup then active by day rows 31 cols 12";

    public string Name => "cohort";
    public string Description => "31x13 daily cohort table: one batch vs eager round trips per cell (bitmapist)";

    public async Task RunAsync(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var clock = new FixedClock(new DateTimeOffset(End.AddHours(12), TimeSpan.Zero));
        var options = new StoreOptions { Clock = clock, Profile = Execution.CapabilityProfile.Redis7 }.WithPrefix(prefix);
        await using var store = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(), options);
        await store.DeleteEventsAsync();
        var sample = await SampleData.GenerateAsync(store, new SampleDataOptions(End: End));
        Console.WriteLine($"sample data: 200,000 users, {sample.Records:N0} records, {sample.FirstDay:yyyy-MM-dd} to {sample.LastDay:yyyy-MM-dd}");
        var query = ((CohortStatement)TextQuery.Parse(Text).Single()).Query;
        var db = ctx.Redis.Db;

        // Correctness and round trips, through the counting proxy (never timed).
        await using var proxy = new RoundTripProxy(ctx.Redis.Endpoint);
        await using var counted = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(proxy.Endpoint), options);
        await using var countedMux = await RedisServer.ConnectAsync(proxy.Endpoint);
        // Server side cross-check: CONFIG RESETSTAT before each pass, INFO commandstats after (the admin
        // connection's own CONFIG/INFO are left out of the totals).
        await ResetStatsAsync(ctx.Redis);
        var before = proxy.RoundTrips;
        var batched = await counted.CohortAsync(query);
        var batchTrips = proxy.RoundTrips - before;
        var batchStats = await CommandsAsync(ctx.Redis);
        var batchServerMs = LastServerMs;
        await ResetStatsAsync(ctx.Redis);
        before = proxy.RoundTrips;
        var eagerTable = await Eager(countedMux.GetDatabase(), store.Keys, prefix);
        var eagerTrips = proxy.RoundTrips - before;
        var eagerStats = await CommandsAsync(ctx.Redis);
        var eagerServerMs = LastServerMs;
        Console.WriteLine($"INFO commandstats, batch: {Describe(batchStats)}, server {Fmt.Ms(batchServerMs / 1000)} ms in commands (EXEC not added)");
        Console.WriteLine($"INFO commandstats, eager: {Describe(eagerStats)}, server {Fmt.Ms(eagerServerMs / 1000)} ms in commands");
        var batchExec = batchStats.GetValueOrDefault("exec");
        var eagerExec = eagerStats.GetValueOrDefault("exec");
        if (batchExec != 1)
            throw new InvalidOperationException($"Expected exactly one MULTI/EXEC for the batched table, INFO commandstats says {batchExec} EXEC.");
        for (var i = 0; i < 31; i++)
        {
            if (batched.Rows[i].Size != eagerTable[i].Size || !batched.Rows[i].Retained.SequenceEqual(eagerTable[i].Cells))
                throw new InvalidOperationException($"The batched and eager tables differ at row {i} ({batched.Rows[i].Label}).");
        }

        var results = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(9),
            new Case("eager", () => Measure.PerCall(1, () => Eager(db, store.Keys, prefix))),
            new Case("batch", () => Measure.PerCall(1, () => store.CohortAsync(query))));
        var planSeconds = await Measure.PerCall(20, () => Task.FromResult(store.Plan(query)));
        Console.WriteLine($"planning alone (client, no I/O): {Fmt.Ms(planSeconds)} ms per table");
        var ratio = results.Ratio("eager", "batch");
        var (lo, hi) = results.RatioRange("eager", "batch");
        new Table("strategy", "round trips per table (proxy)", "EXEC (commandstats)", "commands (commandstats)", "ms per table (median)")
            .Row("eager (bitmapist)", eagerTrips, eagerExec, eagerStats.Values.Sum(), Fmt.Ms(results.Median("eager")))
            .Row("one batch", batchTrips, batchExec, batchStats.Values.Sum(), Fmt.Ms(results.Median("batch")))
            .Print($"{Text} (tables equal: yes)");
        new Table("target", "measured", "verdict")
            .Row(">= 10x faster than eager", $"{Fmt.Ratio(ratio)} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})", Fmt.Verdict(ratio >= 10))
            .Row("exactly one round trip", $"{batchTrips} (EXEC: {batchExec})", Fmt.Verdict(batchTrips == 1 && batchExec == 1))
            .Print("targets");
        await store.DeleteEventsAsync();
    }

    /// <summary>bitmapist's get_dates_data: one awaited command at a time, a BITOP result key per cell, deleted after.</summary>
    private static async Task<List<(long Size, long?[] Cells)>> Eager(IDatabase db, KeyScheme keys, string prefix)
    {
        var rows = new List<(long, long?[])>();
        var first = End.AddDays(-30);
        var result = prefix + "bitop_eager";
        for (var i = 0; i < 31; i++)
        {
            var day = first.AddDays(i);
            var cohort = keys.Key("signup", Period.Of(PeriodUnit.Day, day));
            var size = await db.StringBitCountAsync(cohort);
            var cells = new long?[13];
            for (var t = 0; t <= 12 && size > 0; t++)
            {
                var back = keys.Key("active", Period.Of(PeriodUnit.Day, day.AddDays(t)));
                if (await db.StringBitCountAsync(back) == 0) continue;
                await db.StringBitOperationAsync(Bitwise.And, result, [cohort, back]);
                cells[t] = await db.StringBitCountAsync(result);
                await db.KeyDeleteAsync(result);
            }
            rows.Add((size, cells));
        }
        return rows;
    }

    private static Task ResetStatsAsync(RedisServer redis) => redis.Db.ExecuteAsync("CONFIG", "RESETSTAT");

    /// <summary>Calls per command since the last RESETSTAT, without the admin connection's CONFIG and INFO.</summary>
    private static async Task<Dictionary<string, long>> CommandsAsync(RedisServer redis)
    {
        var full = await redis.CommandStatsFullAsync();
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        long usec = 0;
        foreach (var (name, (calls, us)) in full)
        {
            if (name.StartsWith("config", StringComparison.Ordinal) || name == "info") continue;
            stats[name] = calls;
            if (name != "exec") usec += us; // EXEC's own time may include its queued commands: not added twice
        }
        LastServerMs = usec / 1000.0;
        return stats;
    }

    /// <summary>Server time (commandstats usec, EXEC left out) of the last pass read by <see cref="CommandsAsync"/>.</summary>
    private static double LastServerMs;

    private static string Describe(Dictionary<string, long> stats) =>
        $"{stats.Values.Sum()} commands (" + string.Join(", ", stats.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}")) + ")";

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
