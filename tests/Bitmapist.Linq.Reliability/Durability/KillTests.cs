using Bitmapist.Linq.Reliability.Infrastructure;
using Bitmapist.Linq.Stores;
using Xunit.Abstractions;

namespace Bitmapist.Linq.Reliability.Durability;

/// <summary>
/// The embedded store's durability under <c>kill -9</c>: a writer process marks, imports, deletes and compacts,
/// printing each write once it returned; it is killed (SIGKILL) at a random moment, then the store must open
/// (as a reader, then as a writer) and hold every acknowledged write. Round after round on the same file, under
/// each journal sync policy, with a journal threshold small enough that kills land in automatic compactions too.
/// The short form runs about 12 rounds (CI); <c>BITMAPIST_RELIABILITY_SECONDS=N</c> runs rounds for N seconds.
/// </summary>
[Collection(Serial.Name)]
public sealed class KillTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitmapist-kill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Policies = ["EveryBatch", "Every:20", "Off"];

    [Fact]
    public async Task Every_acknowledged_write_survives_kill_9_of_the_writer_at_random_moments()
    {
        var path = Path.Combine(_dir, "killed.bmdb");
        var acknowledged = new Acknowledged();
        var rng = new Random(Testing.OracleSeed.Value);
        var budget = TimeSpan.FromSeconds(Budget.LongSeconds ?? 0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rounds = 0;
        var killedAfter = new List<int>();
        while (Budget.LongSeconds is null ? rounds < 12 : clock.Elapsed < budget)
        {
            var policy = Policies[rounds % Policies.Length];
            using var writer = WriterProcess.Start(path, policy, compactionBytes: 8 << 10, first: acknowledged.Last + 2);
            await writer.Opened.WaitAsync(TimeSpan.FromSeconds(60));
            writer.Lines.ShouldContain("open", $"round {rounds}: {string.Join(" | ", writer.Lines)}");
            // Killed after a random number of milliseconds of writing: mid-append, mid-fsync, mid-compaction or idle.
            await Task.Delay(rng.Next(5, 700));
            var lines = await writer.KillAsync();
            killedAfter.Add(lines.Count - 1);
            acknowledged.Add(lines);

            using (var reader = EmbeddedStore.OpenReadOnly(path))
                (await acknowledged.MissingFrom(reader)).ShouldBeNull($"round {rounds} ({policy}), read-only open after the kill");
            using (var reopened = EmbeddedStore.Open(path, new StoreOptions { FileLockTimeout = TimeSpan.FromSeconds(5) }))
                (await acknowledged.MissingFrom(reopened)).ShouldBeNull($"round {rounds} ({policy}), writer's open after the kill");
            rounds++;
        }
        output.WriteLine($"{rounds} rounds, {acknowledged.Count} acknowledged writes checked; writes acknowledged per round: {string.Join(", ", killedAfter)}; seed {Testing.OracleSeed.Value}");
        acknowledged.Count.ShouldBeGreaterThan(rounds, "the writers wrote");
    }
}
