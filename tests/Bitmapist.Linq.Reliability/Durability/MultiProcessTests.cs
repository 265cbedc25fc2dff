using Bitmapist.Linq.Reliability.Infrastructure;
using Bitmapist.Linq.Stores;
using Xunit.Abstractions;

namespace Bitmapist.Linq.Reliability.Durability;

/// <summary>
/// Several processes on one embedded store file: one writer at a time (a second writer waits for the lock, or
/// gives up after its timeout with a clear message), and readers that open while a writer writes and compacts
/// and always see a consistent state: a prefix of the writer's acknowledged sequence, never half a batch.
/// </summary>
[Collection(Serial.Name)]
public sealed class MultiProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitmapist-procs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task One_writer_at_a_time_and_readers_see_consistent_states_while_it_writes()
    {
        var path = Path.Combine(_dir, "shared.bmdb");
        var acknowledged = new Acknowledged();
        using var first = WriterProcess.Start(path, "EveryBatch", compactionBytes: 8 << 10, first: 0);
        await first.Opened.WaitAsync(TimeSpan.FromSeconds(60));
        first.Lines.ShouldContain("open");

        // A second writer that will not wait long enough fails with the lock's message and writes nothing.
        using (var impatient = WriterProcess.Start(path, "EveryBatch", 8 << 10, first: 1_000_000, lockTimeoutMs: 300))
        {
            var lines = await impatient.ExitAsync(TimeSpan.FromSeconds(60));
            impatient.ExitCode.ShouldBe(3, string.Join(" | ", lines));
            lines.ShouldHaveSingleItem().ShouldContain("is being written by another process");
            lines[0].ShouldContain("gave up after waiting 0.3 s");
        }

        // A patient one waits for the lock while the first writes.
        using var second = WriterProcess.Start(path, "Every:20", 8 << 10, first: 2_000_000, lockTimeoutMs: 60_000);

        // Readers open again and again while the first writer writes and compacts.
        var states = new HashSet<long>();
        var deadline = DateTime.UtcNow.AddSeconds(Budget.LongSeconds ?? 3);
        var reads = 0;
        while (DateTime.UtcNow < deadline)
        {
            using var reader = EmbeddedStore.OpenReadOnly(path);
            var x = (await reader.Month("x", 2026, 11).ToListAsync()).ToHashSet();
            var y = (await reader.Month("y", 2026, 11).ToListAsync()).ToHashSet();
            var b = (await reader.Month("b", 2026, 11).ToListAsync()).ToHashSet();
            x.SetEquals(y).ShouldBeTrue($"read {reads}: a batch marking x and y was seen half applied");
            var last = x.Count == 0 ? -1 : x.Max();
            // A prefix of the sequence: every mark and import before the last mark seen is there too.
            for (var i = 0L; i < last; i++)
            {
                if (i % 10 == 7) b.Contains(i * 10).ShouldBeTrue($"read {reads}: import {i} missing before mark {last}");
                else if (i % 10 is not 8 && !(i % 10 == 9 && i / 10 % 5 == 0)) x.Contains(i).ShouldBeTrue($"read {reads}: mark {i} missing before mark {last}");
            }
            states.Add(last);
            reads++;
            second.Lines.ShouldNotContain("open", "the second writer got in while the first held the file");
        }
        states.Count.ShouldBeGreaterThan(2, "the readers saw the writer progress");

        acknowledged.Add(await first.KillAsync());
        await second.Opened.WaitAsync(TimeSpan.FromSeconds(60));
        second.Lines.ShouldContain("open", string.Join(" | ", second.Lines));
        await Task.Delay(300);
        acknowledged.Add(await second.KillAsync());
        second.Lines.Count.ShouldBeGreaterThan(1, "the second writer wrote once it had the lock");

        using var final = EmbeddedStore.OpenReadOnly(path);
        (await acknowledged.MissingFrom(final)).ShouldBeNull();
        output.WriteLine($"{reads} reads saw {states.Count} states; {acknowledged.Count} acknowledged writes of two writers checked");
    }
}
