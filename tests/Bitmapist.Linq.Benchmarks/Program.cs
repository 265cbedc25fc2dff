using System.Diagnostics;
using System.Reflection;
using BenchmarkDotNet.Running;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Benchmarks.Micro;
using Bitmapist.Linq.Benchmarks.Suites;

// Ratio runner: dotnet run -c Release --project tests/Bitmapist.Linq.Benchmarks -- <suite>|all [--quick]
// BenchmarkDotNet micro benchmarks: ... -- bdn [BenchmarkDotNet arguments, e.g. --filter '*Decode*']
ISuite[] suites =
[
    new ImportSuite(),
    new DecodeSuite(),
    new MemorySuite(),
    new BatchSuite(),
    new CoverSuite(),
    new CliffSuite(),
    new EmbeddedSuite(),
    new EngineSuite(),
    new JournalSuite(),
    new IdMapEmbeddedSuite(),
    new BatchDiagnosisSuite(),
    new CohortSuite(),
    new TrendSuite(),
    new ParseSuite(),
    new ColdStartSuite(),
    new ClusterSuite(),
    new IdMapSuite(),
];

if (args.Length > 0 && args[0] == "bdn")
{
    BenchmarkSwitcher.FromAssembly(Assembly.GetExecutingAssembly()).Run(args[1..], MicroConfig.Create());
    return 0;
}

var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
var quick = args.Contains("--quick");
if (names.Count == 0 || names.Contains("help") || names.Contains("-h"))
{
    Console.WriteLine("usage: dotnet run -c Release --project tests/Bitmapist.Linq.Benchmarks -- <suite>...|all [--quick]");
    Console.WriteLine("       dotnet run -c Release --project tests/Bitmapist.Linq.Benchmarks -- bdn [BenchmarkDotNet args]");
    foreach (var s in suites) Console.WriteLine($"  {s.Name,-9} {s.Description}");
    Console.WriteLine("Starts a private redis-server on a free port unless BITMAPIST_REDIS=host:port is set.");
    return names.Count == 0 ? 1 : 0;
}

var chosen = names.Contains("all") ? suites : names.Select(n => suites.FirstOrDefault(s => s.Name == n)
    ?? throw new ArgumentException($"unknown suite '{n}'; known: {string.Join(", ", suites.Select(s => s.Name))}, all, bdn")).ToArray();

#if DEBUG
Console.WriteLine("WARNING: Debug build; numbers are meaningless. Use -c Release.");
#endif

await using var redis = await RedisServer.StartAsync();
var ctx = new BenchContext(redis, quick);
Console.WriteLine($"machine: {await ctx.MachineAsync()}");
if (quick) Console.WriteLine("--quick: smoke-test repetitions only; do not report these numbers.");
await redis.DeleteAsync(BenchContext.Root + "*");
var exit = 0;
foreach (var suite in chosen)
{
    BenchContext.Heading(suite.Name, suite.Description);
    Console.WriteLine($"load average at start: {LoadAverage()}");
    var sw = Stopwatch.StartNew();
    try
    {
        await suite.RunAsync(ctx);
    }
    catch (Exception e)
    {
        Console.WriteLine($"suite {suite.Name} FAILED: {e}");
        exit = 2;
    }
    finally
    {
        await redis.DeleteAsync(BenchContext.Root + "*");
        Measure.Quiesce();
    }
    Console.WriteLine($"\n(suite {suite.Name} took {sw.Elapsed.TotalSeconds:0} s; load average at end: {LoadAverage()})");
}
return exit;

// The machine is shared: the 1/5/15-minute load averages say how busy it was around a suite.
static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
