using System.Runtime.InteropServices;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Infra;

/// <summary>What every suite gets: the Redis to run against and helpers to open library stores on it.</summary>
internal sealed class BenchContext(RedisServer redis, bool quick)
{
    public RedisServer Redis { get; } = redis;

    /// <summary>--quick: fewer repetitions, for a smoke test of the runner only (numbers are not reported from it).</summary>
    public bool Quick { get; } = quick;

    /// <summary>Every key a suite writes lives under this prefix, so a suite never touches other data on a shared server.</summary>
    public const string Root = "bmbench:";

    public static string Prefix(string suite) => $"{Root}{suite}:";

    public int Reps(int full) => Quick ? Math.Min(full, 2) : full;

    public int Warmup(int full) => Quick ? Math.Min(full, 1) : full;

    /// <summary>A RedisStore with the given key prefix and profile (Redis 7.0.15 here: <see cref="CapabilityProfile.Redis7"/>).</summary>
    public Task<RedisStore> StoreAsync(string prefix, CapabilityProfile? profile = null, string? endpoint = null) =>
        RedisStore.ConnectAsync(Redis.StoreConfiguration(endpoint), new StoreOptions { Profile = profile }.WithPrefix(prefix));

    public async Task<string> MachineAsync() =>
        $"nproc={Environment.ProcessorCount}, {RuntimeInformation.OSArchitecture}, {RuntimeInformation.OSDescription}, " +
        $".NET {Environment.Version}, redis-server {await Redis.VersionAsync()}" + (Redis.IsPrivate ? " (private instance)" : $" (BITMAPIST_REDIS={Redis.Endpoint})");

    public static void Heading(string suite, string what)
    {
        Console.WriteLine();
        Console.WriteLine(new string('=', 100));
        Console.WriteLine($"suite {suite}: {what}");
        Console.WriteLine($"reproduce: dotnet run -c Release --project tests/Bitmapist.Linq.Benchmarks -- {suite}");
        Console.WriteLine(new string('=', 100));
    }
}

internal interface ISuite
{
    string Name { get; }
    string Description { get; }
    Task RunAsync(BenchContext ctx);
}
