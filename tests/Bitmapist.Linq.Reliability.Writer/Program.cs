using System.Globalization;
using Bitmapist.Linq.Stores;

// "writer idmap ...": the id map concurrency tests' worker instead (IdMapWorker.cs says what it does).
if (args is ["idmap", ..]) return await Bitmapist.Linq.Reliability.Writer.IdMapWorker.RunAsync(args[1..]);

// The writer the durability tests start, kill (SIGKILL) and watch: it opens an embedded store file with
// EmbeddedStore.Open and writes to it in a known sequence, printing one line per write after the write returned
// (acknowledged), so the test knows exactly which writes must survive a kill.
//
//   writer STORE SYNC COMPACTION_BYTES FIRST_OP OP_COUNT LOCK_TIMEOUT_MS [ids]
//     SYNC: EveryBatch | Every:MS | Off;  OP_COUNT 0: until killed
//
// Operation i (i from FIRST_OP) is, by i % 10:
//   0-6  a batch marking id i in events x and y (one atomic write: a reader sees both or neither)  -> "m i"
//   7    a bulk import of ids 10i .. 10i+9 into event b (a merge)                                   -> "b i"
//   8    a mark of id i in event d{i}z ("d+ i"), then the deletion of that event ("d- i")
//   9    a save (compaction) every 5th time ("s i"), else as 0-6
// With "ids" (the store's id map is "users"), operation i is instead:
//   0-9  the get-or-create of external id user-i ("i i ID", ID its internal id), then a mark of user-i in event u ("u i")
//   9    a save every 5th time, as above
// Prints "open" once the store is open; "error MESSAGE" and exit status 3 when it cannot be opened.
if (args.Length is not (6 or 7) || (args.Length == 7 && args[6] != "ids"))
{
    Console.Error.WriteLine("usage: writer STORE SYNC COMPACTION_BYTES FIRST_OP OP_COUNT LOCK_TIMEOUT_MS [ids]");
    return 2;
}
var ids = args.Length == 7;
var sync = args[1] switch
{
    "EveryBatch" => JournalSync.EveryBatch,
    "Off" => JournalSync.Off,
    var s when s.StartsWith("Every:", StringComparison.Ordinal) => JournalSync.Every(TimeSpan.FromMilliseconds(int.Parse(s[6..], CultureInfo.InvariantCulture))),
    var s => throw new ArgumentException($"unknown sync policy '{s}'"),
};
var options = new StoreOptions
{
    JournalSync = sync,
    JournalCompactionBytes = long.Parse(args[2], CultureInfo.InvariantCulture),
    FileLockTimeout = TimeSpan.FromMilliseconds(int.Parse(args[5], CultureInfo.InvariantCulture)),
    IdMap = ids ? "users" : null,
};
var first = long.Parse(args[3], CultureInfo.InvariantCulture);
var count = long.Parse(args[4], CultureInfo.InvariantCulture);
var at = new DateTime(2026, 11, 1, 12, 0, 0, DateTimeKind.Utc);
var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };

EmbeddedStore store;
try
{
    store = EmbeddedStore.Open(args[0], options);
}
catch (EmbeddedStoreFileException e)
{
    output.WriteLine("error " + e.Message.ReplaceLineEndings(" "));
    return 3;
}
using (store)
{
    output.WriteLine("open");
    for (var i = first; count == 0 || i < first + count; i++)
    {
        switch (i % 10)
        {
            case 7 when !ids:
                var import = store.CreateBulkImport();
                for (var k = 0; k < 10; k++) await import.AddAsync("b", i * 10 + k, at);
                await import.FlushAsync();
                output.WriteLine($"b {i}");
                break;
            case 8 when !ids:
                await store.MarkAsync($"d{i}z", i, at);
                output.WriteLine($"d+ {i}");
                await store.DeleteEventsAsync($"d{i}z");
                output.WriteLine($"d- {i}");
                break;
            case 9 when i / 10 % 5 == 0:
                store.Save();
                output.WriteLine($"s {i}");
                break;
            case var _ when ids:
                var id = await store.IdMap("users").GetOrCreateAsync($"user-{i}");
                output.WriteLine($"i {i} {id}");
                await store.MarkAsync("u", $"user-{i}", at);
                output.WriteLine($"u {i}");
                break;
            default:
                var batch = store.CreateBatch();
                batch.Mark("x", i, at);
                batch.Mark("y", i, at);
                await batch.ExecuteAsync();
                output.WriteLine($"m {i}");
                break;
        }
    }
}
return 0;
