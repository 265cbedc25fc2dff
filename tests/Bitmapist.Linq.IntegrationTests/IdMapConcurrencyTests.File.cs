using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Reliability.Writer;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>The embedded store file: worker processes take turns (one writer at a time), and no id is ever handed out twice.</summary>
public partial class IdMapConcurrencyTests
{
    [Fact]
    public async Task Processes_taking_turns_on_one_store_file_never_repeat_an_id()
    {
        // The file store has one writer process at a time: the workers, started together, queue for its lock, and each
        // runs its tasks on what the ones before it wrote; then this test takes a turn with its own tasks.
        var dir = Directory.CreateTempSubdirectory("bitmapist-idmap-");
        try
        {
            var path = Path.Combine(dir.FullName, "users.bmdb");
            var seed = Random.Shared.Next();
            var workers = Enumerable.Range(1, Processes)
                .Select(w => IdMapWorkerProcess.Start("file", path, KeyScheme.Default.Prefix, 0, w, ProcessTasks, Shared, Own, seed)).ToArray();
            var observed = new List<Observed>();
            try
            {
                for (var w = 0; w < workers.Length; w++) observed.Add(Parse($"process {w + 1}", await workers[w].OutputAsync(TimeSpan.FromMinutes(5))));
            }
            finally
            {
                foreach (var w in workers) w.Dispose();
            }
            await using var store = EmbeddedStore.Open(path, new StoreOptions { IdMap = "users" });
            var mine = await IdMapWorker.GetOrCreateAllAsync(store.IdMap("users"), 0, TestTasks, Shared, Own, seed);
            observed.Add(new("this process", mine.Seen, mine.Splits));
            await CheckAsync(store.IdMap("users"), observed, Expected([(0, TestTasks), .. Enumerable.Range(1, Processes).Select(w => (w, ProcessTasks))]), $"seed {seed}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
