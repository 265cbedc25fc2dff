using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Testing;
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
        var options = new StoreOptions { Clock = clock, Profile = Backends.CapabilityProfile.Redis7 }.WithPrefix(prefix);
        await using var store = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(), options);
        // The same table as one MULTI/EXEC of every command (what bitmapist-server, which runs no Lua, gets).
        var multiOptions = options with { Profile = Backends.CapabilityProfile.Redis7 with { HasScripts = false } };
        await using var multiStore = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(), multiOptions);
        await store.DeleteEventsAsync();
        var sample = await SampleData.GenerateAsync(store, new SampleDataOptions(End: End));
        Console.WriteLine($"sample data: 200,000 users, {sample.Records:N0} records, {sample.FirstDay:yyyy-MM-dd} to {sample.LastDay:yyyy-MM-dd}");
        var query = ((CohortStatement)TextQuery.Parse(Text).Single()).Query;
        var db = ctx.Redis.Db;

        // Correctness and round trips, through the counting proxy (never timed).
        await using var proxy = new RoundTripProxy(ctx.Redis.Endpoint);
        await using var counted = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(proxy.Endpoint), options);
        await using var countedMulti = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(proxy.Endpoint), multiOptions);
        await using var countedMux = await RedisServer.ConnectAsync(proxy.Endpoint);
        // Server side cross-check: CONFIG RESETSTAT before each pass, INFO commandstats after (the admin
        // connection's own CONFIG/INFO are left out of the totals).
        // Steady state, as timed below: the first call sends the script's text (EVAL, and StackExchange.Redis
        // loads it in the same write); later calls send its SHA (EVALSHA).
        await counted.CohortAsync(query);
        await ResetStatsAsync(ctx.Redis);
        var before = proxy.RoundTrips;
        var batched = await counted.CohortAsync(query);
        var batchTrips = proxy.RoundTrips - before;
        var batchStats = await CommandsAsync(ctx.Redis);
        var batchServerMs = LastServerMs;
        Console.WriteLine($"INFO commandstats, batch (script): {Describe(batchStats)}; server {Fmt.Ms(batchServerMs / 1000)} ms in the commands the script ran");
        await ResetStatsAsync(ctx.Redis);
        before = proxy.RoundTrips;
        var multiTable = await countedMulti.CohortAsync(query);
        var multiTrips = proxy.RoundTrips - before;
        var multiStats = await CommandsAsync(ctx.Redis);
        var multiServerMs = LastServerMs;
        Console.WriteLine($"INFO commandstats, batch (MULTI/EXEC): {Describe(multiStats)}; server {Fmt.Ms(multiServerMs / 1000)} ms in commands (EXEC not added)");
        await ResetStatsAsync(ctx.Redis);
        before = proxy.RoundTrips;
        var eagerTable = await Eager(countedMux.GetDatabase(), store.Keys, prefix);
        var eagerTrips = proxy.RoundTrips - before;
        var eagerStats = await CommandsAsync(ctx.Redis);
        var eagerServerMs = LastServerMs;
        Console.WriteLine($"INFO commandstats, eager: {Describe(eagerStats)}; server {Fmt.Ms(eagerServerMs / 1000)} ms in commands");
        var batchCalls = Calls(batchStats);
        var multiCalls = Calls(multiStats);
        var eagerCalls = Calls(eagerStats);
        if (batchCalls != 1 || batchStats.GetValueOrDefault("exec") != 0)
            throw new InvalidOperationException($"Expected exactly one script call for the batched table, INFO commandstats says {Describe(batchStats)}.");
        if (multiCalls != 1)
            throw new InvalidOperationException($"Expected exactly one MULTI/EXEC for the MULTI/EXEC table, INFO commandstats says {Describe(multiStats)}.");
        for (var i = 0; i < 31; i++)
        {
            if (batched.Rows[i].Size != eagerTable[i].Size || !batched.Rows[i].Retained.SequenceEqual(eagerTable[i].Cells))
                throw new InvalidOperationException($"The batched and eager tables differ at row {i} ({batched.Rows[i].Label}).");
            if (multiTable.Rows[i].Size != eagerTable[i].Size || !multiTable.Rows[i].Retained.SequenceEqual(eagerTable[i].Cells))
                throw new InvalidOperationException($"The MULTI/EXEC and eager tables differ at row {i} ({multiTable.Rows[i].Label}).");
        }

        var results = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(9),
            new Case("eager", () => Measure.PerCall(1, () => Eager(db, store.Keys, prefix))),
            new Case("multi", () => Measure.PerCall(1, () => multiStore.CohortAsync(query))),
            new Case("batch", () => Measure.PerCall(1, () => store.CohortAsync(query))));
        // The timed batch reuses its cached plan (a table asked again within the hour); a first table pays for
        // planning on top (binding, optimizing and emitting about 500 sets).
        var cold = await Measure.PerCall(5, () => Task.FromResult(CohortPlan.Create(query, new Planning.BindContext(clock.GetUtcNow().UtcDateTime, store.Keys), store.Profile)));
        var hit = await Measure.PerCall(20, () => Task.FromResult(store.Plan(query)));
        Console.WriteLine($"planning alone (client, no I/O): {Fmt.Ms(cold)} ms for a first table, {Fmt.Ms(hit)} ms from the store's plan cache; " +
            $"a first table by script: about {Fmt.Ms(results.Median("batch") + cold)} ms, {Fmt.Ratio(results.Median("eager") / (results.Median("batch") + cold))} faster than eager");
        var ratio = results.Ratio("eager", "batch");
        var (lo, hi) = results.RatioRange("eager", "batch");
        var (multiLo, multiHi) = results.RatioRange("eager", "multi");
        new Table("strategy", "round trips per table (proxy)", "EXEC + EVAL(SHA) (commandstats)", "commands run (commandstats)", "server ms in commands", "ms per table (median)", "eager / this")
            .Row("eager (bitmapist)", eagerTrips, eagerCalls, eagerStats.Values.Sum(), Fmt.Ms(eagerServerMs / 1000), Fmt.Ms(results.Median("eager")), "1.00x")
            .Row("one MULTI/EXEC (bitmapist-server)", multiTrips, multiCalls, multiStats.Values.Sum(), Fmt.Ms(multiServerMs / 1000), Fmt.Ms(results.Median("multi")),
                $"{Fmt.Ratio(results.Ratio("eager", "multi"))} ({Fmt.Ratio(multiLo)}..{Fmt.Ratio(multiHi)})")
            .Row("one script call (Redis)", batchTrips, batchCalls, batchStats.Values.Sum(), Fmt.Ms(batchServerMs / 1000), Fmt.Ms(results.Median("batch")),
                $"{Fmt.Ratio(ratio)} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})")
            .Print($"{Text} (tables equal: yes)");
        new Table("target", "measured", "verdict")
            .Row(">= 10x faster than eager", $"{Fmt.Ratio(ratio)} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})", Fmt.Verdict(ratio >= 10))
            .Row("exactly one round trip", $"{batchTrips} (script calls: {batchCalls})", Fmt.Verdict(batchTrips == 1 && batchCalls == 1))
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

    /// <summary>Round trips the server saw as batches: EXEC, EVAL and EVALSHA calls.</summary>
    private static long Calls(Dictionary<string, long> stats) =>
        stats.GetValueOrDefault("exec") + stats.GetValueOrDefault("eval") + stats.GetValueOrDefault("evalsha");

    private static Task ResetStatsAsync(RedisServer redis) => redis.Db.ExecuteAsync("CONFIG", "RESETSTAT");

    /// <summary>Calls per command since the last RESETSTAT, without the admin connection's CONFIG and INFO.</summary>
    private static async Task<Dictionary<string, long>> CommandsAsync(RedisServer redis)
    {
        var full = await redis.CommandStatsFullAsync();
        var stats = new Dictionary<string, long>(StringComparer.Ordinal);
        LastUsec.Clear();
        long usec = 0;
        foreach (var (name, (calls, us)) in full)
        {
            if (name.StartsWith("config", StringComparison.Ordinal) || name == "info") continue;
            stats[name] = calls;
            LastUsec[name] = us;
            // EXEC's and EVAL's own time include the commands they ran, which are counted on their own: not added twice.
            if (name is not ("exec" or "eval" or "evalsha")) usec += us;
        }
        LastServerMs = usec / 1000.0;
        return stats;
    }

    /// <summary>Server time (commandstats usec, EXEC left out) of the last pass read by <see cref="CommandsAsync"/>.</summary>
    private static double LastServerMs;

    /// <summary>Server microseconds per command of the last pass read by <see cref="CommandsAsync"/>.</summary>
    private static readonly Dictionary<string, long> LastUsec = new(StringComparer.Ordinal);

    /// <summary>Calls and server time per command of the pass just read (call right after <see cref="CommandsAsync"/>).</summary>
    private static string Describe(Dictionary<string, long> stats) =>
        $"{stats.Values.Sum()} commands (" + string.Join(", ", stats.OrderByDescending(kv => kv.Value)
            .Select(kv => $"{kv.Key} {kv.Value} in {Fmt.Ms(LastUsec.GetValueOrDefault(kv.Key) / 1e6)} ms")) + ")";
}
