using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Trends;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// A 30-day rolling trend (7-day window) and a 30-row three-step funnel over the sample data: the statement's one
/// batch against asking each row as its own query (30 counts, or 90 for the funnel's steps, one round trip each on
/// Redis), side by side on the same Redis and on the embedded store. Results are checked equal; round trips are
/// counted through a proxy.
/// </summary>
internal sealed class TrendSuite : ISuite
{
    private static readonly DateTime End = new(2026, 6, 30);
    private const string TrendText = "trend active by day rows 30 window 7";
    private const string FunnelText = "funnel signup then active then 'song:played' by day rows 30 within 7";

    public string Name => "trend";
    public string Description => "30-row rolling trend and funnel: one batch vs one query per row, Redis and embedded";

    public async Task RunAsync(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var clock = new FixedClock(new DateTimeOffset(End.AddHours(12), TimeSpan.Zero));
        var options = new StoreOptions { Clock = clock }.WithPrefix(prefix);
        await using var redis = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(), options);
        await redis.DeleteEventsAsync();
        var sample = await SampleData.GenerateAsync(redis, new SampleDataOptions(End: End));
        await using var embedded = new EmbeddedStore(options);
        await SampleData.GenerateAsync(embedded, new SampleDataOptions(End: End));
        Console.WriteLine($"sample data: 200,000 users, {sample.Records:N0} records, {sample.FirstDay:yyyy-MM-dd} to {sample.LastDay:yyyy-MM-dd}, on Redis and embedded");
        var trend = ((TrendStatement)TextQuery.Parse(TrendText).Single()).Query;
        var funnel = ((FunnelStatement)TextQuery.Parse(FunnelText).Single()).Query;
        var rows = redis.Plan(trend).Rows;

        // One query per row: what an application without the statement sends.
        async Task<long[]> TrendByRow(BitmapStore store) =>
            [.. await Task.WhenAll(rows.Select(p => store.Set(SetExpr.Range("active", PeriodRef.Of(p.Delta(-6)), PeriodRef.Of(p))).CountAsync()))];
        async Task<long[]> TrendRowByRow(BitmapStore store)
        {
            var counts = new long[rows.Length];
            for (var i = 0; i < rows.Length; i++)
                counts[i] = await store.Set(SetExpr.Range("active", PeriodRef.Of(rows[i].Delta(-6)), PeriodRef.Of(rows[i]))).CountAsync();
            return counts;
        }
        async Task<long[]> FunnelRowByRow(BitmapStore store)
        {
            var counts = new List<long>();
            foreach (var p in rows)
            {
                var step = SetExpr.Event("signup", p);
                counts.Add(await store.Set(step).CountAsync());
                foreach (var e in new[] { "active", "song:played" })
                {
                    step = SetExpr.And(step, SetExpr.Range(e, PeriodRef.Of(p), PeriodRef.Of(p.Delta(6))));
                    counts.Add(await store.Set(step).CountAsync());
                }
            }
            return [.. counts];
        }

        // Correctness and round trips, through the counting proxy (never timed).
        await using var proxy = new RoundTripProxy(ctx.Redis.Endpoint);
        await using var counted = await RedisStore.ConnectAsync(ctx.Redis.StoreConfiguration(proxy.Endpoint), options);
        await counted.TrendAsync(trend); // loads the counts script: steady state below
        var before = proxy.RoundTrips;
        var batched = await counted.TrendAsync(trend);
        var trendTrips = proxy.RoundTrips - before;
        before = proxy.RoundTrips;
        var byRow = await TrendRowByRow(counted);
        var byRowTrips = proxy.RoundTrips - before;
        before = proxy.RoundTrips;
        var funnelTable = await counted.FunnelAsync(funnel);
        var funnelTrips = proxy.RoundTrips - before;
        before = proxy.RoundTrips;
        var funnelByRow = await FunnelRowByRow(counted);
        var funnelByRowTrips = proxy.RoundTrips - before;
        var embeddedTrend = await embedded.TrendAsync(trend);
        var embeddedFunnel = await embedded.FunnelAsync(funnel);
        if (!batched.Rows.Select(r => r.Count).SequenceEqual(byRow) || !embeddedTrend.Rows.Select(r => r.Count).SequenceEqual(byRow))
            throw new InvalidOperationException("The batched trend and the row-by-row counts differ.");
        if (!funnelTable.Rows.SelectMany(r => r.Counts).SequenceEqual(funnelByRow) || !embeddedFunnel.Rows.SelectMany(r => r.Counts).SequenceEqual(funnelByRow))
            throw new InvalidOperationException("The batched funnel and the row-by-row counts differ.");

        var results = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(9),
            new Case("redis trend rows", () => Measure.PerCall(1, () => TrendRowByRow(redis))),
            new Case("redis trend rows concurrent", () => Measure.PerCall(1, () => TrendByRow(redis))),
            new Case("redis trend", () => Measure.PerCall(1, () => redis.TrendAsync(trend))),
            new Case("redis funnel rows", () => Measure.PerCall(1, () => FunnelRowByRow(redis))),
            new Case("redis funnel", () => Measure.PerCall(1, () => redis.FunnelAsync(funnel))),
            new Case("embedded trend rows", () => Measure.PerCall(1, () => TrendRowByRow(embedded))),
            new Case("embedded trend", () => Measure.PerCall(1, () => embedded.TrendAsync(trend))),
            new Case("embedded funnel rows", () => Measure.PerCall(1, () => FunnelRowByRow(embedded))),
            new Case("embedded funnel", () => Measure.PerCall(1, () => embedded.FunnelAsync(funnel))));
        string Vs(string slow, string fast)
        {
            var (lo, hi) = results.RatioRange(slow, fast);
            return $"{Fmt.Ratio(results.Ratio(slow, fast))} ({Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})";
        }
        new Table("case", "round trips (proxy)", "ms (median)", "one query per row / this")
            .Row("Redis: trend, one query per row", byRowTrips, Fmt.Ms(results.Median("redis trend rows")), "1.00x")
            .Row("Redis: trend, one query per row, all at once", "-", Fmt.Ms(results.Median("redis trend rows concurrent")), Vs("redis trend rows", "redis trend rows concurrent"))
            .Row("Redis: trend statement", trendTrips, Fmt.Ms(results.Median("redis trend")), Vs("redis trend rows", "redis trend"))
            .Row("Redis: funnel, one query per step and row", funnelByRowTrips, Fmt.Ms(results.Median("redis funnel rows")), "1.00x")
            .Row("Redis: funnel statement", funnelTrips, Fmt.Ms(results.Median("redis funnel")), Vs("redis funnel rows", "redis funnel"))
            .Row("embedded: trend, one query per row", "-", Fmt.Ms(results.Median("embedded trend rows")), "1.00x")
            .Row("embedded: trend statement", "-", Fmt.Ms(results.Median("embedded trend")), Vs("embedded trend rows", "embedded trend"))
            .Row("embedded: funnel, one query per step and row", "-", Fmt.Ms(results.Median("embedded funnel rows")), "1.00x")
            .Row("embedded: funnel statement", "-", Fmt.Ms(results.Median("embedded funnel")), Vs("embedded funnel rows", "embedded funnel"))
            .Print($"{TrendText}; {FunnelText} (results equal: yes)");
        new Table("target", "measured", "verdict")
            .Row("a trend is one round trip", trendTrips, Fmt.Verdict(trendTrips == 1))
            .Row("a funnel is one round trip", funnelTrips, Fmt.Verdict(funnelTrips == 1))
            .Print("targets");
        await redis.DeleteEventsAsync();
    }
}
