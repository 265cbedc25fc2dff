using System.CommandLine;
using Bitmapist.Linq;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>What a command's body gets: its parse result, the global settings, the run's writers and the renderer of its output format.</summary>
internal sealed record Invocation(ParseResult Parse, CliSettings Settings, CliContext Context)
{
    /// <summary>Prints statement results in the output format (one renderer per command run).</summary>
    public ResultRenderer Renderer { get; } = ResultRenderer.For(Settings.Format, Context.Out);

    /// <summary>
    /// Runs <paramref name="statement"/> on <paramref name="session"/>'s store with the library's executor, prints
    /// its result with <see cref="Renderer"/>, then its warnings on stderr: how the fixed commands (count, ids, in,
    /// explain, events, cohort) print exactly what the same statement prints in <c>bitmapist query</c>.
    /// </summary>
    public async Task<StatementResult> RunAsync(StoreSession session, TextStatement statement, CancellationToken ct,
        IReadOnlyDictionary<string, Linq.Query.SetExpr>? parameters = null)
    {
        var result = await new StatementExecutor(session.Store).ExecuteAsync(statement, parameters, ct).ConfigureAwait(false);
        await Renderer.RenderAsync(result, ct).ConfigureAwait(false);
        StatementRunner.Warn(Context, result.Warnings);
        return result;
    }

    /// <summary>Opens the store the global options name (dispose it with <c>await using</c>).</summary>
    public Task<StoreSession> OpenStoreAsync(StoreAccess access, CancellationToken ct, Linq.Tracking.TrackingOptions? tracking = null) =>
        StoreSession.OpenAsync(Settings, Context, access, tracking, ct);
}

/// <summary>Runs command bodies with the shared error policy: one sentence on stderr and an exit code, never a stack trace.</summary>
internal static class CommandRunner
{
    /// <summary>Sets <paramref name="command"/>'s action to <paramref name="body"/>, wrapped in the error policy.</summary>
    public static void SetBody(this Command command, CliContext context, GlobalOptions global, Func<Invocation, CancellationToken, Task> body) =>
        command.SetBody(context, global, async (run, ct) =>
        {
            await body(run, ct).ConfigureAwait(false);
            return Cli.Ok;
        });

    /// <summary>Sets <paramref name="command"/>'s action to <paramref name="body"/>, which returns its exit code, wrapped in the error policy.</summary>
    public static void SetBody(this Command command, CliContext context, GlobalOptions global, Func<Invocation, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var settings = global.Read(parse);
                return await body(new Invocation(parse, settings, context), ct).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                var (message, code) = Describe(e, ct);
                context.Fail(e, message);
                return code;
            }
        });
    }

    /// <summary>Reads the global options for a command that runs its own body; on failure reports it and gives the exit code.</summary>
    public static bool TryReadSettings(GlobalOptions global, ParseResult parse, CliContext context, CancellationToken ct,
        out CliSettings settings, out int exitCode)
    {
        try
        {
            settings = global.Read(parse);
            exitCode = Cli.Ok;
            return true;
        }
        catch (Exception e)
        {
            var (message, code) = Describe(e, ct);
            context.Fail(e, message);
            settings = null!;
            exitCode = code;
            return false;
        }
    }

    /// <summary>The sentence and exit code for an exception escaping a command.</summary>
    internal static (string Message, int ExitCode) Describe(Exception e, CancellationToken ct) => e switch
    {
        CliException c => (c.Message, c.ExitCode),
        OperationCanceledException when ct.IsCancellationRequested => ("Cancelled.", Cli.Cancelled),
        BitmapistStoreException or EmbeddedStoreFileException or BitmapistQueryException => (e.Message, Cli.Failed),
        ArgumentOutOfRangeException a => (Strip(a), Cli.Usage),
        ArgumentException a => (Strip(a), Cli.Usage),
        IOException or UnauthorizedAccessException => (e.Message, Cli.Failed),
        TimeoutException => ($"Timed out: {e.Message}", Cli.Failed),
        _ => ($"Unexpected error ({e.GetType().Name}): {e.Message}", Cli.Failed),
    };

    // ArgumentException appends " (Parameter 'x')" and "Actual value was ..." to the message; the first part is the sentence.
    private static string Strip(ArgumentException e)
    {
        var message = e.Message;
        if (e.ParamName is { } name)
        {
            var suffix = message.IndexOf($" (Parameter '{name}')", StringComparison.Ordinal);
            if (suffix >= 0) message = message[..suffix];
        }
        return message;
    }
}
