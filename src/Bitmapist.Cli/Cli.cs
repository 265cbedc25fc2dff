using System.CommandLine;
using System.CommandLine.Help;
using Bitmapist.Cli.Commands;

namespace Bitmapist.Cli;

/// <summary>The <c>bitmapist</c> command line: builds the command tree and runs one command line.</summary>
public static class Cli
{
    /// <summary>Exit code of a successful command.</summary>
    public const int Ok = 0;

    /// <summary>Exit code when the command was valid but failed (store unreachable, damaged file, I/O).</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a malformed command line (unknown command or option, bad id, bad date).</summary>
    public const int Usage = 2;

    /// <summary>Exit code of an import that skipped lines it could not read (the other records were imported).</summary>
    public const int Skipped = 3;

    /// <summary>Exit code when the command was cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>
    /// Runs one command line, writing results to <paramref name="stdout"/> and notes and errors to
    /// <paramref name="stderr"/>; returns the process exit code. Nothing is static: calls may run in parallel. Reads no
    /// environment variable and no config file (the tool itself reads them): the arguments alone name the store.
    /// </summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default) =>
        RunAsync(args, stdout, stderr, null, ct);

    /// <summary>
    /// Runs one command line with <paramref name="input"/> as stdin for the REPL (<c>bitmapist</c> alone or
    /// <c>bitmapist repl</c>): a terminal for the interactive REPL, or a stream of statements. Without one the REPL refuses to start.
    /// </summary>
    /// <param name="environment">The variables and config file the run reads its defaults from; the tool passes the
    /// process's, an in-process run none (<see cref="Config.CliEnvironment"/>).</param>
    internal static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Repl.ReplInput? input, CancellationToken ct = default,
        Config.CliEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var context = new CliContext(stdout, stderr) { Environment = environment ?? Config.CliEnvironment.None };
        var root = BuildRootCommand(context, input);
        // No response files: '@name' is a parameter of the query language (bitmapist cohort @cohort then active).
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        context.Verbose = parse.Errors.Count == 0 && parse.GetValue<bool>(GlobalOptions.VerboseName);
        if (parse.Errors.Count > 0 && parse.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parse.Errors) context.Error(error.Message);
            var command = parse.CommandResult.Command;
            var path = command == root ? "bitmapist" : "bitmapist " + command.Name;
            await stderr.WriteLineAsync($"Run '{path} --help' for usage.").ConfigureAwait(false);
            return Usage;
        }
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false, // every command reports its own errors in one sentence
            ProcessTerminationTimeout = null, // Program.cs handles Ctrl+C through the token
        };
        return await parse.InvokeAsync(invocation, ct).ConfigureAwait(false);
    }

    /// <summary>The command tree; a new one per run, bound to that run's writers.</summary>
    internal static Command BuildRootCommand(CliContext context, Repl.ReplInput? input = null)
    {
        var global = new GlobalOptions(context.Environment);
        // A plain command named "bitmapist" rather than a RootCommand, whose name is the host process's
        // (in tests "testhost"): help then reads "bitmapist count ..." however the tool is started.
        var root = new Command("bitmapist",
            "User analytics on bitmaps, on a bitmapist Redis (--redis), an embedded store file (--data) " +
            "or, with neither, the built-in sample data (events signup, active, song:played; unique flag premium).");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        global.AddTo(root);
        // A bare `bitmapist` starts the REPL.
        var history = Repl.ReplCommand.HistoryOption();
        root.Options.Add(history);
        Repl.ReplCommand.SetAction(root, history, context, global, input);
        root.Subcommands.Add(EventsCommand.Create(context, global));
        root.Subcommands.Add(MarkCommand.Create(context, global));
        root.Subcommands.Add(ImportCommand.Create(context, global));
        root.Subcommands.Add(EraseCommand.Create(context, global));
        root.Subcommands.Add(CountCommand.Create(context, global));
        root.Subcommands.Add(IdsCommand.Create(context, global));
        root.Subcommands.Add(InCommand.Create(context, global));
        root.Subcommands.Add(ExplainCommand.Create(context, global));
        root.Subcommands.Add(SampleCommand.Create(context, global));
        root.Subcommands.Add(CohortCommand.Create(context, global));
        root.Subcommands.Add(QueryCommand.Create(context, global));
        root.Subcommands.Add(MigrateCommand.Create(context, global));
        root.Subcommands.Add(Serve.ServeCommand.Create(context, global));
        root.Subcommands.Add(Repl.ReplCommand.Create(context, global, input));
        return root;
    }
}
