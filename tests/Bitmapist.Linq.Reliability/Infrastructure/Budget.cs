using System.Globalization;

namespace Bitmapist.Linq.Reliability.Infrastructure;

/// <summary>
/// How long the suite runs. Without <c>BITMAPIST_RELIABILITY_SECONDS</c> it is the short form that CI runs inside
/// <c>dotnet test Bitmapist.Linq.sln</c> (about a minute in all); with it, each load run and each fuzz run lasts that
/// many seconds with more clients (the long form, on demand).
/// </summary>
internal static class Budget
{
    public const string SecondsVariable = "BITMAPIST_RELIABILITY_SECONDS";

    /// <summary>The long form's seconds per run, or null for the short form.</summary>
    public static int? LongSeconds { get; } =
        int.TryParse(Environment.GetEnvironmentVariable(SecondsVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : null;

    /// <summary>How long one load run lasts.</summary>
    public static TimeSpan Load => TimeSpan.FromSeconds(LongSeconds ?? 5);

    /// <summary>Concurrent clients of one load run.</summary>
    public static int Clients { get; } =
        int.TryParse(Environment.GetEnvironmentVariable(ClientsVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) && c > 0 ? c : LongSeconds is null ? 8 : 32;

    /// <summary>Overrides the number of load clients (default 8, or 32 in the long form).</summary>
    public const string ClientsVariable = "BITMAPIST_RELIABILITY_CLIENTS";

    /// <summary>How long one fuzz run lasts.</summary>
    public static TimeSpan Fuzz => TimeSpan.FromSeconds(LongSeconds ?? 4);

    /// <summary>What a printed figure was measured with, for docs/reliability.md.</summary>
    public static string Form => LongSeconds is { } n ? $"long form, {SecondsVariable}={n}" : "short form (CI)";
}
