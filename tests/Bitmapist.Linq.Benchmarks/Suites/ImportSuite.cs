using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Bulk import (client-built bitmaps merged with SET + BITOP OR) vs marking the same records with pipelined
/// MarkBatches of 1000 marks (one MULTI/EXEC of 3000 SETBITs each, 8 batches in flight), into Redis.
/// </summary>
internal sealed class ImportSuite : ISuite
{
    private const int Records = 1_000_000;
    private const int MarksPerBatch = 1000;
    private const int BatchesInFlight = 8;
    private const int Users = 1_000_000;
    private const int Days = 30;
    private static readonly string[] Events = ["play", "view", "like"];

    public string Name => "import";
    public string Description => $"bulk import of {Records:N0} records into Redis vs pipelined MarkBatch ({MarksPerBatch} marks/batch)";

    public async Task RunAsync(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var rng = new Random(11);
        var start = new DateTime(2026, 3, 1);
        var records = new (string Event, long User, DateTime At)[Records];
        for (var i = 0; i < Records; i++)
            records[i] = (Events[rng.Next(Events.Length)], rng.Next(1, Users + 1), start.AddMinutes(rng.Next(Days * 24 * 60)));
        Console.WriteLine($"{Records:N0} records: {Events.Length} events, user ids uniform in [1, {Users:N0}], timestamps uniform over {Days} days " +
                          "(each mark writes the month, ISO week and day keys: 3 SETBITs per record on the batch path).");

        await using var store = await ctx.StoreAsync(prefix);
        var redis = ctx.Redis;
        var last = new Dictionary<string, (long Checksum, long Keys, long Execs, long Commands, double ClientSeconds)>();

        async Task<(long Checksum, long Keys)> Checksum()
        {
            long sum = 0, keys = 0;
            await foreach (var k in redis.Server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
            {
                sum += await redis.Db.StringBitCountAsync(k) * (1 + (k.ToString().GetHashCode(StringComparison.Ordinal) & 0xFF));
                keys++;
            }
            return (sum, keys);
        }

        async Task<double> Bulk()
        {
            await redis.DeleteAsync(prefix + "*");
            Measure.Quiesce();
            var before = await redis.CommandStatsAsync();
            var sw = Stopwatch.StartNew();
            var import = store.CreateBulkImport();
            foreach (var (e, u, at) in records) await import.AddAsync(e, u, at);
            var client = sw.Elapsed.TotalSeconds;
            await import.FlushAsync();
            var seconds = sw.Elapsed.TotalSeconds;
            var after = await redis.CommandStatsAsync();
            var (sum, keys) = await Checksum();
            last["bulk"] = (sum, keys, Delta(before, after, "exec"), TotalDelta(before, after), client);
            return seconds;
        }

        async Task<double> Batched()
        {
            await redis.DeleteAsync(prefix + "*");
            Measure.Quiesce();
            var before = await redis.CommandStatsAsync();
            var sw = Stopwatch.StartNew();
            var inflight = new Queue<Task>();
            for (var i = 0; i < Records; i += MarksPerBatch)
            {
                var batch = store.CreateBatch();
                for (var j = i; j < Math.Min(Records, i + MarksPerBatch); j++) batch.Mark(records[j].Event, records[j].User, records[j].At);
                inflight.Enqueue(batch.ExecuteAsync());
                if (inflight.Count >= BatchesInFlight) await inflight.Dequeue();
            }
            await Task.WhenAll(inflight);
            var seconds = sw.Elapsed.TotalSeconds;
            var after = await redis.CommandStatsAsync();
            var (sum, keys) = await Checksum();
            last["batch"] = (sum, keys, Delta(before, after, "exec"), TotalDelta(before, after), double.NaN);
            return seconds;
        }

        var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(3), new Case("bulk", Bulk), new Case("batch", Batched));
        if (last["bulk"].Checksum != last["batch"].Checksum || last["bulk"].Keys != last["batch"].Keys)
            throw new InvalidOperationException($"bulk and batch wrote different data: {last["bulk"]} vs {last["batch"]}");

        var t = new Table("strategy", "median s", "min..max s", "records/s", "MULTI/EXEC", "server commands", "keys written");
        foreach (var (name, label) in new[] { ("bulk", "BulkImport (AddAsync + FlushAsync)"), ("batch", $"MarkBatch x{MarksPerBatch}, {BatchesInFlight} in flight") })
        {
            var l = last[name];
            t.Row(label, r.Median(name).ToString("0.000"), $"{r.Min(name):0.000}..{r.Max(name):0.000}", Fmt.Rate(Records / r.Median(name)),
                Fmt.N(l.Execs), Fmt.N(l.Commands), l.Keys);
        }
        t.Print($"import, {ctx.Reps(3)} repetitions after {ctx.Warmup(1)} warm-up (time includes the final flush; checksums of all keys identical)");

        var rate = Records / r.Median("bulk");
        var ratio = r.Ratio("batch", "bulk");
        var (lo, hi) = r.RatioRange("batch", "bulk");
        Console.WriteLine($"\nbulk: client-side bitmap building {last["bulk"].ClientSeconds:0.000} s of the last run, the rest is the merge on Redis.");
        new Table("target", "measured", "verdict")
            .Row(">= 1M records/s", Fmt.Rate(rate) + " records/s", Fmt.Verdict(rate >= 1e6))
            .Row(">= 10x vs MarkBatch", $"{Fmt.Ratio(ratio)} (per-repetition {Fmt.Ratio(lo)}..{Fmt.Ratio(hi)})", Fmt.Verdict(ratio >= 10))
            .Print("targets");
    }

    private static long Delta(Dictionary<string, long> before, Dictionary<string, long> after, string cmd) =>
        after.GetValueOrDefault(cmd) - before.GetValueOrDefault(cmd);

    /// <summary>Commands run by the server between two INFO snapshots, minus the second INFO itself.</summary>
    internal static long TotalDelta(Dictionary<string, long> before, Dictionary<string, long> after) =>
        after.Sum(kv => kv.Value - before.GetValueOrDefault(kv.Key)) - 1;
}
