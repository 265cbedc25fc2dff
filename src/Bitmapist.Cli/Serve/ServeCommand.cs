using System.CommandLine;
using System.Globalization;
using System.Net;
using Bitmapist.Cli.Commands;
using Bitmapist.Linq.Cohorts;

namespace Bitmapist.Cli.Serve;

/// <summary>
/// <c>bitmapist serve [--port P] [--bind ADDR]</c>: the web console (<see cref="ConsoleServer"/>) on the store opened
/// once, until Ctrl+C. Loopback only unless <c>--bind</c> names another address, which is warned about: the console
/// has no login, and anyone who reaches it reads the store.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The port when none is given.</summary>
    public const int DefaultPort = 8377;

    public static Command Create(CliContext context, GlobalOptions global)
    {
        var port = new Option<int>("--port") { Description = "The TCP port.", DefaultValueFactory = _ => DefaultPort, HelpName = "port" };
        var bind = new Option<string?>("--bind")
        {
            Description = "Listen on this address instead of 127.0.0.1 (e.g. 0.0.0.0 for every interface). The console has no login: anyone who can reach it reads the store.",
            HelpName = "address",
        };
        var maxCells = new Option<int>("--max-cells")
        {
            Description = "The most cells a table may have: a cohort's rows x columns, a trend's or funnel's rows x the sets a row counts (docs/serve.md); larger ones get an error page.",
            DefaultValueFactory = _ => ServeLimits.DefaultMaxCells,
            HelpName = "N",
        };
        var maxIds = new Option<int>("--max-ids")
        {
            Description = "The most ids one page of an ids statement shows; a longer list links to its next page.",
            DefaultValueFactory = _ => ServeLimits.DefaultMaxIds,
            HelpName = "N",
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "Seconds one request may take (waiting for its turn included) before it is stopped and the page says so.",
            DefaultValueFactory = _ => ServeLimits.DefaultTimeout.TotalSeconds,
            HelpName = "seconds",
        };
        var command = new Command("serve", "A local web console: a query box for the query language, results as tables, trends as line charts, funnels as bars, cohorts as heat maps (http://127.0.0.1:8377/ until Ctrl+C).");
        foreach (var o in new Option[] { port, bind, maxCells, maxIds, timeout }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            if (!TryReadLimits(parse, parse.GetValue(port), maxCells, timeout, context, out var limits)) return Cli.Usage;
            if (parse.GetValue(maxIds) is var ids and (< 1 or > 100_000))
            {
                context.Error($"--max-ids takes 1 to 100000, not {ids}.");
                return Cli.Usage;
            }
            var address = IPAddress.Loopback;
            if (parse.GetValue(bind) is { } text)
            {
                if (!IPAddress.TryParse(text.Trim('[', ']'), out var parsed))
                {
                    context.Error($"--bind takes an IP address (127.0.0.1, 0.0.0.0, ::1), not '{text}'.");
                    return Cli.Usage;
                }
                address = parsed;
                if (!IPAddress.IsLoopback(address))
                    context.Error($"warning: serving on {text}, not loopback: the console has no login, so anyone who can reach this machine on port {parse.GetValue(port)} can read the store. Leave --bind out to serve on 127.0.0.1 only.");
            }
            if (!CommandRunner.TryReadSettings(global, parse, context, ct, out var settings, out var failure)) return failure;
            try
            {
                await using var session = await StoreSession.OpenAsync(settings, context, StoreAccess.Read, ct: ct).ConfigureAwait(false);
                var options = new ConsoleOptions(parse.GetValue(port)) { Bind = address };
                return await ConsoleServer.RunAsync(session.Store, options, limits with { MaxIds = parse.GetValue(maxIds) }, context, ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var (message, code) = CommandRunner.Describe(e, ct);
                context.Fail(e, message);
                return code;
            }
        });
        return command;
    }

    /// <summary>Checks the port, <c>--max-cells</c> and <c>--timeout</c> (shared with <c>cohort --serve</c>) and makes the limits of them.</summary>
    public static bool TryReadLimits(ParseResult parse, int port, Option<int> maxCells, Option<double> timeout, CliContext context, out ServeLimits limits)
    {
        limits = ServeLimits.Default;
        if (port is < 1 or > 65535)
        {
            context.Error($"the port is 1 to 65535, not {port}.");
            return false;
        }
        if (parse.GetValue(maxCells) is < 1 or > CohortQuery.MaxCells)
        {
            context.Error($"--max-cells takes 1 to {CohortQuery.MaxCells} (the most cells any table may have), not {parse.GetValue(maxCells)}.");
            return false;
        }
        if (parse.GetValue(timeout) is not (> 0 and <= 86_400) and var seconds)
        {
            context.Error($"--timeout takes seconds, more than 0 and at most 86400 (a day), not {seconds.ToString(CultureInfo.InvariantCulture)}.");
            return false;
        }
        limits = ServeLimits.Default with { MaxCells = parse.GetValue(maxCells), Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)) };
        return true;
    }
}
