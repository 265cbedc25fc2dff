using System.CommandLine;
using Bitmapist.Cli.Commands;

namespace Bitmapist.Cli.Repl;

/// <summary>Where the REPL reads from: a terminal (interactive) or a stream of statements (a pipe or a file).</summary>
/// <param name="IsTerminal">True when stdin is a terminal.</param>
/// <param name="Input">Stdin, read whole when it is not a terminal.</param>
/// <param name="OpenTerminal">Opens the terminal (when <paramref name="IsTerminal"/>).</param>
internal sealed record ReplInput(bool IsTerminal, TextReader Input, Func<ITerminal>? OpenTerminal = null)
{
    /// <summary>The process's console.</summary>
    public static ReplInput FromConsole() => new(!Console.IsInputRedirected, Console.In, () => new SystemTerminal());
}

/// <summary>
/// <c>bitmapist repl</c> (and <c>bitmapist</c> alone): the interactive REPL on a terminal; when stdin is not a
/// terminal, runs the statements read from it like <c>bitmapist query</c> and prints only results.
/// </summary>
internal static class ReplCommand
{
    public static Option<string?> HistoryOption() => new("--history")
    {
        Description = $"The REPL's history file (default ${History.EnvironmentVariable}, else ~/.bitmapist_history; an empty string keeps none).",
        HelpName = "file",
    };

    public static Command Create(CliContext context, GlobalOptions global, ReplInput? input)
    {
        var command = new Command("repl", "Start the interactive REPL (the default with no command); with stdin not a terminal, run the statements read from it.");
        var history = HistoryOption();
        command.Options.Add(history);
        SetAction(command, history, context, global, input);
        return command;
    }

    /// <summary>Makes <paramref name="command"/> run the REPL.</summary>
    public static void SetAction(Command command, Option<string?> history, CliContext context, GlobalOptions global, ReplInput? input)
    {
        command.SetAction(async (parse, ct) =>
        {
            if (input is null)
            {
                // In-process runs (Cli.RunAsync without an input) have no stdin to read statements from.
                context.Error("give a command: query, events, mark, import, count, ids, in, explain or sample ('bitmapist --help' describes them); the REPL needs a terminal or statements on stdin.");
                return Cli.Usage;
            }
            if (!CommandRunner.TryReadSettings(global, parse, context, ct, out var settings, out var failure)) return failure;
            if (!input.IsTerminal || input.OpenTerminal is null)
            {
                string source;
                try
                {
                    source = await input.Input.ReadToEndAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    context.Error("Cancelled.");
                    return Cli.Cancelled;
                }
                IReadOnlyList<ScriptStep> steps;
                try
                {
                    steps = PipedScript.Parse(source);
                }
                catch (Linq.Text.QuerySyntaxException e)
                {
                    // As bitmapist query: the caret rendering needs its lines, and nothing ran.
                    await context.Err.WriteLineAsync("bitmapist: " + e.Message).ConfigureAwait(false);
                    return Cli.Usage;
                }
                return await StatementRunner.RunStepsAsync(steps, settings, context, ct).ConfigureAwait(false);
            }
            var path = parse.GetValue(history) is { } given ? (given.Length == 0 ? null : given) : History.DefaultPath();
            return await RunInteractiveAsync(input.OpenTerminal, path, settings, context, ct).ConfigureAwait(false);
        });
    }

    private static async Task<int> RunInteractiveAsync(Func<ITerminal> open, string? historyPath, CliSettings settings, CliContext context, CancellationToken ct)
    {
        var terminal = open();
        try
        {
            await using var session = await StoreSession.OpenAsync(settings, context, StoreAccess.Read, ct: ct).ConfigureAwait(false);
            var repl = new ReplSession(terminal, session.Store, new History(historyPath), session.Description);
            return await repl.RunAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var (message, code) = CommandRunner.Describe(e, ct);
            context.Fail(e, message);
            return code;
        }
        finally
        {
            await terminal.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            (terminal as IDisposable)?.Dispose();
        }
    }
}
