#:project ../../src/Bitmapist.Linq/Bitmapist.Linq.csproj
// IdMap.GetOrCreateAsync on Redis in calls of 50,000: 200,000 new ids, then the same ids again, twice.
// Usage: dotnet run -c Release tests/Scripts/idmap-getorcreate.cs -- HOST:PORT [bitmapist|sharded:20]
// Keys go under a fresh prefix; run it against a scratch server (it leaves its keys).
using System.Diagnostics;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

var layout = args.Length > 1 ? KeyLayout.Parse(args[1]) : KeyLayout.Bitmapist;
await using var store = await RedisStore.ConnectAsync(args[0], new StoreOptions { IdMap = "users", Layout = layout }.WithPrefix($"perf{Guid.NewGuid():N}_"));
var map = store.IdMap("users");
var ids = Enumerable.Range(0, 401_000).Select(_ => $"user-{Guid.NewGuid()}").ToArray();
await map.GetOrCreateAsync(ids[..1000]); // warm-up
Console.WriteLine($"{layout}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
for (var round = 0; round < 2; round++)
{
    var batch = ids[(1000 + round * 200_000)..(1000 + (round + 1) * 200_000)];
    foreach (var what in new[] { "new", "mapped" })
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < batch.Length; i += 50_000) await map.GetOrCreateAsync(batch[i..(i + 50_000)]);
        Console.WriteLine($"{what,-8} {batch.Length / clock.Elapsed.TotalSeconds,12:N0} ids/s");
    }
}
