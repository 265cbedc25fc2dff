using System.Globalization;

namespace Bitmapist.Linq.Testing;

/// <summary>
/// The seed of the randomized oracle tests: a new one every test run, or <c>BITMAPIST_ORACLE_SEED</c> to
/// replay one. A failure names the seed and the variable that replays it. <c>BITMAPIST_ORACLE_ITERATIONS</c>
/// sets how many random cases each store runs (CI keeps the modest defaults).
/// </summary>
internal static class OracleSeed
{
    public const string SeedVariable = "BITMAPIST_ORACLE_SEED";
    public const string IterationsVariable = "BITMAPIST_ORACLE_ITERATIONS";

    /// <summary>This run's seed.</summary>
    public static int Value { get; } = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s)
        ? s
        : Random.Shared.Next();

    /// <summary>How to replay this run.</summary>
    public static string Replay => $"{SeedVariable}={Value}";

    /// <summary>The number of random cases: <c>BITMAPIST_ORACLE_ITERATIONS</c> when set, else <paramref name="ciDefault"/>.</summary>
    public static int Iterations(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ciDefault;

    /// <summary>A random source for one test, from this run's seed and the test's name (a stable hash: string.GetHashCode varies per process).</summary>
    public static Random For(string test)
    {
        var h = (uint)Value;
        foreach (var c in test) h = (h ^ c) * 16777619u;
        return new Random((int)h);
    }

    /// <summary>Runs <paramref name="body"/>; any failure is rethrown naming the seed and how to replay it.</summary>
    public static async Task RunAsync(string test, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e) when (e.GetType().Name != "SkipException") // a skipped test stays skipped
        {
            throw new OracleFailureException($"{test} failed with seed {Value}; replay it with {Replay} (and the same {IterationsVariable}).", e);
        }
    }
}

/// <summary>A randomized oracle test failed; the message says which seed replays it.</summary>
internal sealed class OracleFailureException(string message, Exception inner) : Exception(message + " " + inner.Message, inner);
