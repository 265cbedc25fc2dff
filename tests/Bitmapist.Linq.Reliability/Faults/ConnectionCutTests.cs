using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Reliability.Infrastructure;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Xunit.Abstractions;
using static Bitmapist.Linq.Reliability.Faults.FaultHarness;

namespace Bitmapist.Linq.Reliability.Faults;

/// <summary>
/// The connection is cut at every command of an operation, once just before the command reaches Redis and once
/// just after (Redis runs it, the reply is lost). A write either reports success and is all there, or fails
/// with the library's error and is all there or not at all (never half), and running it again completes it.
/// A read either answers right or fails clearly, and leaves no temporary key behind.
/// </summary>
[Collection(Serial.Name)]
public class ConnectionCutTests(ITestOutputHelper output)
{
    private static readonly DateTime Day = Now.AddDays(-3);

    [SkippableFact]
    public Task A_mark_batch_cut_at_any_step_is_all_or_nothing_and_never_a_false_success() =>
        EveryStep("mark batch", async (store, step) =>
        {
            var marks = new[] { ($"s{step}:a", 5u, Day), ($"s{step}:b", 70_000u, Day.AddDays(-9)), ($"s{step}:a", 9u, Now) };
            return (marks, async () =>
            {
                var batch = store.CreateBatch();
                foreach (var (e, id, at) in marks) batch.Mark(e, id, at);
                await batch.ExecuteAsync();
            });
        });

    [SkippableFact]
    public Task A_bulk_import_cut_at_any_step_is_all_or_nothing_and_never_a_false_success() =>
        EveryStep("bulk import", async (store, step) =>
        {
            // Two events over two days: 4 keys in one group, which is one script call on Redis (a MULTI/EXEC where scripts are refused).
            var marks = Enumerable.Range(0, 60).Select(i => ($"s{step}:{i % 2}", (uint)(i * 997), Day.AddDays(-(i % 2)))).ToArray();
            return (marks, async () =>
            {
                var import = store.CreateBulkImport();
                foreach (var (e, id, at) in marks) await import.AddAsync(e, id, at);
                await import.FlushAsync();
            });
        });

    private async Task EveryStep(string what, Func<BitmapStore, int, Task<((string Event, uint Id, DateTime At)[] Marks, Func<Task> Run)>> operation)
    {
        using var redis = RedisProcess.Start();
        var log = new FaultLog();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var store = await ConnectAsync(proxy.Endpoint);
        using var direct = redis.Connect();
        var db = direct.GetDatabase();

        // A first run loads the store's scripts (a mark batch or an import group is one EVALSHA once loaded); the
        // steps are counted on the second, which is what every later run sends.
        var (_, warmUp) = await operation(store, 0);
        await warmUp();
        proxy.StartCounting();
        var (_, first) = await operation(store, 1);
        await first();
        var steps = proxy.Counted;
        steps.ShouldBeGreaterThanOrEqualTo(1);
        var failed = 0;
        var half = new List<string>();
        for (var step = 1; step <= steps; step++)
        {
            foreach (var after in new[] { false, true })
            {
                var id = 2 + step * 2 + (after ? 1 : 0);
                var (marks, run) = await operation(store, id);
                var bits = BitsOf(store, marks);
                proxy.CutAtCommand(step, after);
                var error = await log.Run(run, $"{what} cut {(after ? "after" : "before")} command {step} of {steps}");
                proxy.Fired.ShouldBeTrue($"the cut at command {step} of {steps} never happened");
                await Recovered(store);
                var set = await BitsSet(db, bits);
                if (error is null) set.ShouldBe(bits.Count, $"{what} reported success with a cut {(after ? "after" : "before")} command {step}, but {bits.Count - set} of {bits.Count} bits are missing");
                else
                {
                    failed++;
                    // One MULTI/EXEC: nothing or everything, whatever the message says.
                    if (set != 0 && set != bits.Count) half.Add($"cut {(after ? "after" : "before")} command {step}: {set} of {bits.Count} bits written, error: {error.Message}");
                    if (set == bits.Count && error.Message.Contains("not applied", StringComparison.Ordinal))
                        log.Problem($"{what} cut after command {step} of {steps}: the error says \"not applied\" but all {set} bits were written");
                    await run(); // re-running is safe and completes the write
                    (await BitsSet(db, bits)).ShouldBe(bits.Count, $"{what}: re-running after the cut at command {step} did not complete it");
                }
            }
        }
        output.WriteLine($"{what}: {steps} commands, {steps * 2} cuts, {failed} ended in an error, {2 * steps - failed} in a success that was all there");
        foreach (var m in log.Messages) output.WriteLine("  error: " + m);
        half.ShouldBeEmpty();
        log.ShouldHaveNoProblems();
    }

    [SkippableFact]
    public async Task Reads_cut_at_any_step_answer_right_or_fail_clearly_and_leave_no_temporary()
    {
        using var redis = RedisProcess.Start();
        var log = new FaultLog();
        await using var proxy = new FaultProxy(redis.Endpoint);
        await using var store = await ConnectAsync(proxy.Endpoint);
        // Data written before the proxy cuts anything: a, b over two days, a wide c (several pages of ids).
        var a = Enumerable.Range(0, 3000).Select(i => (uint)(i * 7)).ToHashSet();
        var b = Enumerable.Range(0, 3000).Select(i => (uint)(i * 5)).ToHashSet();
        var c = Enumerable.Range(0, 20_000).Select(i => (uint)(i * 409)).ToHashSet();
        var import = store.CreateBulkImport();
        foreach (var id in a) await import.AddAsync("a", id, Day);
        foreach (var id in b) await import.AddAsync("b", id, Day.AddDays(1));
        foreach (var id in c) await import.AddAsync("c", id, Day);
        await import.FlushAsync();

        var both = store.Week("a", 2026, 48) & store.Week("b", 2026, 48) | store.Set(SetExpr.Ids([1, 2]));
        var expected = a.Intersect(b).Union([1u, 2u]).ToHashSet();
        var wide = store.Week("c", 2026, 48) - store.Week("a", 2026, 48);
        var wideExpected = c.Except(a).Order().Select(x => (long)x).ToList();
        var cohort = ((CohortStatement)TextQuery.Parse("cohort a then b by day rows 3 cols 2 counts from 2026-11-25")[0]).Query;
        var reads = new (string Name, Func<Task> Run)[]
        {
            ("count", async () => (await both.CountAsync()).ShouldBe(expected.Count)),
            ("contains", async () => (await both.ContainsAsync(35)).ShouldBe(true)),
            ("ids", async () => (await wide.ToListAsync()).ShouldBe(wideExpected)),
            ("max", async () => (await wide.MaxAsync()).ShouldBe(wideExpected[^1])),
            ("cohort", async () => (await store.CohortAsync(cohort)).Rows[0].Retained[1].ShouldBe(a.Intersect(b).Count())),
        };
        var errors = 0;
        var cuts = 0;
        var left = new List<string>();
        using var direct = redis.Connect();
        var db = direct.GetDatabase();
        foreach (var (name, run) in reads)
        {
            proxy.StartCounting();
            await run();
            var steps = proxy.Counted;
            for (var step = 1; step <= steps; step++)
            {
                foreach (var after in new[] { false, true })
                {
                    proxy.CutAtCommand(step, after);
                    // A wrong answer fails inside run (ShouldBe), which is not one of the library's errors.
                    var error = await log.Run(run, $"{name} cut {(after ? "after" : "before")} command {step} of {steps}");
                    cuts++;
                    if (error is not null) errors++;
                    await Recovered(store);
                    // A cut can leave a lease (the DEL never arrives); it must expire by itself, within the lease TTL.
                    foreach (var key in await store.ListTemporariesAsync())
                    {
                        var ttl = await db.KeyTimeToLiveAsync(key);
                        ttl.ShouldNotBeNull($"{name}: {key} was left without a TTL after a cut {(after ? "after" : "before")} command {step} of {steps}");
                        ttl.Value.ShouldBeLessThanOrEqualTo(store.Options.LeaseTtl);
                        left.Add($"{name} cut {(after ? "after" : "before")} command {step} of {steps}");
                        await db.KeyDeleteAsync(key);
                    }
                }
            }
        }
        output.WriteLine($"reads: {cuts} cuts, {errors} errors, {cuts - errors} right answers, 0 wrong; {left.Count} left a lease behind (with its TTL): {string.Join("; ", left)}");
        foreach (var m in log.Messages) output.WriteLine("  error: " + m);
        log.ShouldHaveNoProblems();
    }
}
