#:project ../../src/Bitmapist.Linq/Bitmapist.Linq.csproj
// Bulk import of 1,000,000 records over 200,000 users, by number and by external id (new, then already mapped),
// side by side in one run. Usage: dotnet run -c Release tests/Scripts/idmap-import.cs [-- redis HOST:PORT | -- embedded]
// Keys go under a fresh prefix; on Redis run it against a scratch server (it leaves its keys).
using System.Diagnostics;
using Bitmapist.Linq.Stores;

var embedded = args.Length == 0 || args[0] == "embedded";
var options = new StoreOptions { IdMap = "users" }.WithPrefix($"imp{Guid.NewGuid():N}_");
await using BitmapStore store = embedded ? new EmbeddedStore(options) : await RedisStore.ConnectAsync(args[1], options);
var users = Enumerable.Range(0, 200_000).Select(_ => $"user-{Guid.NewGuid()}").ToArray();
var random = new Random(1);
var records = Enumerable.Range(0, 1_000_000)
    .Select(_ => (User: random.Next(users.Length), At: new DateTime(2026, 11, 1).AddMinutes(random.Next(40_000)))).ToArray();
Console.WriteLine($"{(embedded ? "embedded" : "redis")}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
foreach (var (what, external) in new[] { ("by number", false), ("new external ids", true), ("mapped external ids", true), ("by number", false) })
{
    var clock = Stopwatch.StartNew();
    var import = store.CreateBulkImport();
    foreach (var (user, at) in records)
        if (external) await import.AddAsync("active", users[user], at);
        else await import.AddAsync("numeric", user, at);
    await import.FlushAsync();
    Console.WriteLine($"{what,-20} {records.Length / clock.Elapsed.TotalSeconds,12:N0} records/s");
}
