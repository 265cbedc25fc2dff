using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Issue 16, id maps on the embedded store: bytes per mapped id in memory (the store's own accounting,
/// <see cref="EmbeddedStore.MemoryBytes"/>, and the managed heap's growth) and on disk (the journal the
/// get-or-creates left, and the snapshot a save writes), for 1,000,000 external ids like <c>user-&lt;guid&gt;</c>
/// created 10,000 per call; also the save and the open that loads them.
/// </summary>
internal sealed class IdMapEmbeddedSuite : ISuite
{
    private const int Ids = 1_000_000;
    private const int PerCall = 10_000;

    public string Name => "idmap-embedded";
    public string Description => "issue 16: bytes per mapped id of the embedded store's id maps, in memory and on disk (1M user-<guid> ids)";

    public async Task RunAsync(BenchContext ctx)
    {
        var n = ctx.Quick ? Ids / 10 : Ids;
        // The ids are made chunk by chunk and dropped once mapped: the map's copies are then the only ones, and the
        // heap's growth counts them (the map keeps the caller's string instances).
        IEnumerable<string[]> Chunks()
        {
            var rng = new Random(16);
            var guid = new byte[16];
            for (var done = 0; done < n; done += PerCall)
                yield return [.. Enumerable.Range(0, Math.Min(PerCall, n - done)).Select(_ =>
                {
                    rng.NextBytes(guid);
                    return $"user-{new Guid(guid)}";
                })];
        }
        var example = Chunks().First()[0];
        var options = new StoreOptions { IdMap = "users", JournalCompactionBytes = long.MaxValue };
        var table = new Table("measure", "total", "bytes per id");
        void Row(string what, long bytes) => table.Row(what, Fmt.Bytes(bytes), Fmt.N(Math.Round(bytes / (double)n, 1)));

        // ---- memory: a store without a file, so the heap's growth is the maps' alone
        Measure.Quiesce();
        var heapBefore = GC.GetTotalMemory(true);
        using (var memory = new EmbeddedStore(options))
        {
            var map = memory.IdMap("users");
            foreach (var chunk in Chunks()) await map.GetOrCreateAsync(chunk);
            Measure.Quiesce();
            Row("memory: MemoryBytes (the store's accounting)", memory.MemoryBytes);
            Row("memory: managed heap growth", GC.GetTotalMemory(true) - heapBefore);
        }

        // ---- disk: the journal the get-or-creates leave, then the snapshot a save writes
        var dir = Directory.CreateTempSubdirectory("bitmapist-idmap-bench-").FullName;
        try
        {
            var path = Path.Combine(dir, "ids.bmdb");
            using (var store = EmbeddedStore.Open(path, options))
            {
                var map = store.IdMap("users");
                foreach (var chunk in Chunks()) await map.GetOrCreateAsync(chunk);
                Row("disk: journal after the get-or-creates", store.JournalBytes);
                var sw = Stopwatch.StartNew();
                store.Save();
                Row($"disk: snapshot after Save ({sw.Elapsed.TotalSeconds:0.00} s)", new FileInfo(path).Length);
            }
            var open = Stopwatch.StartNew();
            using (var reopened = EmbeddedStore.Open(path, options))
            {
                var seconds = open.Elapsed.TotalSeconds;
                var counts = await reopened.IdMap("users").CountAsync();
                if (counts.Mapped != n) throw new InvalidOperationException($"reopened with {counts.Mapped} ids, not {n}");
                Row("memory after the open (maps sized as they load)", reopened.MemoryBytes);
                table.Row($"open (load the snapshot): {seconds:0.00} s", "", "");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        table.Print($"{Fmt.N(n)} ids like '{example}' ({example.Length} characters), {PerCall:N0} per call");
    }
}
