using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Issue 14, durable marks: what the embedded store's write journal costs. Per single mark (MarkAsync, each its
/// own acknowledged write) and per bulk-imported record (1M records, one flush), on a memory-only store (no
/// journal: today's figure) and on a store file under each <see cref="JournalSync"/> policy. Also the size of the
/// journal the import left, the compaction (Save) and the open that replays it.
/// </summary>
internal sealed class JournalSuite : ISuite
{
    private const int Records = 1_000_000;
    private static readonly string[] Events = ["play", "view", "like"];
    private static readonly DateTime Start = new(2026, 3, 1);

    public string Name => "journal";
    public string Description => "issue 14: cost of the embedded store's write journal per mark and per imported record, by fsync policy";

    private static readonly (string Name, JournalSync? Sync)[] Stores =
    [
        ("memory only (no journal)", null),
        ("journal, EveryBatch", JournalSync.EveryBatch),
        ("journal, Every(1 s)", JournalSync.Every(TimeSpan.FromSeconds(1))),
        ("journal, Off", JournalSync.Off),
    ];

    public async Task RunAsync(BenchContext ctx)
    {
        var dir = Directory.CreateTempSubdirectory("bitmapist-journal-bench-").FullName;
        Console.WriteLine($"store files in {dir}");
        try
        {
            var rng = new Random(11);
            var records = new (string Event, long User, DateTime At)[Records];
            for (var i = 0; i < Records; i++)
                records[i] = (Events[rng.Next(Events.Length)], rng.Next(1, 1_000_001), Start.AddMinutes(rng.Next(30 * 24 * 60)));

            EmbeddedStore Fresh(JournalSync? sync, string name)
            {
                if (sync is null) return new EmbeddedStore();
                var path = Path.Combine(dir, name + ".bmdb");
                foreach (var f in Directory.GetFiles(dir, name + ".bmdb*")) File.Delete(f);
                return EmbeddedStore.Open(path, new StoreOptions { JournalSync = sync, JournalCompactionBytes = long.MaxValue });
            }

            // Single marks: an fsync each under EveryBatch, so fewer of them there.
            var marks = new Table("store", "marks", "median µs per mark", "min..max µs", "vs memory only");
            var markCases = Stores.Select((s, k) => new Case(s.Name, async () =>
            {
                var n = s.Sync == JournalSync.EveryBatch ? ctx.Reps(400) : ctx.Reps(20_000);
                using var store = Fresh(s.Sync, $"marks{k}");
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < n; i++) await store.MarkAsync(Events[i % 3], records[i].User, records[i].At);
                return sw.Elapsed.TotalSeconds / n;
            })).ToArray();
            // The same under EveryBatch with 8 writers at once (a web application's requests): they share fsyncs.
            const string concurrent = "journal, EveryBatch, 8 concurrent writers";
            markCases = [.. markCases, new Case(concurrent, async () =>
            {
                var n = ctx.Reps(1600);
                using var store = Fresh(JournalSync.EveryBatch, "marks-concurrent");
                var sw = Stopwatch.StartNew();
                // Eight threads of their own: an embedded mark completes synchronously (its fsync blocks the thread),
                // and the thread pool of a 2-core machine would run only two of them at first.
                var threads = Enumerable.Range(0, 8).Select(w => new Thread(() =>
                {
                    for (var i = w; i < n; i += 8) store.MarkAsync(Events[i % 3], records[i].User, records[i].At).GetAwaiter().GetResult();
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
                await Task.CompletedTask;
                return sw.Elapsed.TotalSeconds / n;
            })];
            var m = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(5), markCases);
            foreach (var (name, count) in Stores.Select(s => (s.Name, s.Sync == JournalSync.EveryBatch ? 400 : 20_000)).Append((concurrent, 1600)))
                marks.Row(name, count, Fmt.Us(m.Median(name)), $"{Fmt.Us(m.Min(name))}..{Fmt.Us(m.Max(name))}",
                    Fmt.Ratio(m.Ratio(name, Stores[0].Name)));
            marks.Print("Single marks (MarkAsync: 3 SETBITs, one acknowledged write each)");

            // Bulk import: 1M records, one flush (one merge of every key: one journal write and, under EveryBatch, one fsync).
            var journalBytes = new long[Stores.Length];
            var compaction = new double[Stores.Length];
            var replay = new double[Stores.Length];
            var importCases = Stores.Select((s, k) => new Case(s.Name, async () =>
            {
                using var store = Fresh(s.Sync, $"import{k}");
                var sw = Stopwatch.StartNew();
                var import = store.CreateBulkImport();
                foreach (var (e, u, at) in records) await import.AddAsync(e, u, at);
                await import.FlushAsync();
                var seconds = sw.Elapsed.TotalSeconds;
                if (s.Sync is not null)
                {
                    journalBytes[k] = store.JournalBytes;
                    var path = store.FilePath!;
                    store.Dispose();
                    sw.Restart();
                    using (var reopened = EmbeddedStore.Open(path)) // replays the journal
                    {
                        replay[k] = sw.Elapsed.TotalSeconds;
                        sw.Restart();
                        reopened.Save(); // compaction: the snapshot written, the journal emptied
                        compaction[k] = sw.Elapsed.TotalSeconds;
                    }
                }
                return seconds / Records;
            })).ToArray();
            var r = await Measure.SideBySide(ctx.Warmup(1), ctx.Reps(5), importCases);
            var imports = new Table("store", "median ns per record", "min..max ns", "vs memory only", "journal after", "open (replay)", "Save (compaction)");
            for (var k = 0; k < Stores.Length; k++)
            {
                var name = Stores[k].Name;
                imports.Row(name, Ns(r.Median(name)), $"{Ns(r.Min(name))}..{Ns(r.Max(name))}", Fmt.Ratio(r.Ratio(name, Stores[0].Name)),
                    Stores[k].Sync is null ? "-" : Fmt.Bytes(journalBytes[k]),
                    Stores[k].Sync is null ? "-" : Fmt.Ms(replay[k]) + " ms",
                    Stores[k].Sync is null ? "-" : Fmt.Ms(compaction[k]) + " ms");
            }
            imports.Print($"Bulk import of {Records:N0} records ({Events.Length} events x 30 days, month/week/day keys), one flush; last repetition's journal, open and Save");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Ns(double seconds) => (seconds * 1e9).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
}
