using Bitmapist.Cli.Serve;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist cohort ... --serve PORT</c>: the web console (<see cref="ConsoleServer"/>) at
/// <c>http://127.0.0.1:PORT/</c> opened on the cohort report of the command's table, with its form (pick the sets, the
/// grouping, counts or percent, rows, columns, a start date) as in a bitmapist dashboard: each GET of the form is read
/// with <see cref="CohortFormReader.FromQueryString"/> (the command's table fills what the request leaves out). The
/// console's query box runs any statement beside it. Only loopback, only reads, limits as <see cref="ServeLimits"/>.
/// </summary>
internal static class CohortServer
{
    public static Task<int> RunAsync(BitmapStore store, CohortQuery initial, int port, ServeLimits limits, CliContext context, CancellationToken ct) =>
        ConsoleServer.RunAsync(store, new ConsoleOptions(port) { Cohort = initial }, limits, context, ct);
}
