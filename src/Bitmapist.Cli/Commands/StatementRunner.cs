using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>The piped REPL's <c>help</c>: text printed like a result named <c>help</c>.</summary>
/// <param name="Text">The help.</param>
internal sealed record HelpResult(string Text) : StatementResult;

/// <summary>One step of a script: a statement to run, or a result to print as it is (the piped REPL's help).</summary>
internal readonly record struct ScriptStep(TextStatement? Statement, StatementResult? Result);

/// <summary>
/// Runs scripts of statements of the text query language for <c>bitmapist query</c> and statements piped to the
/// REPL: the library's <see cref="StatementExecutor"/> runs each, the output format's <see cref="ResultRenderer"/>
/// prints it, and its warnings go to stderr.
/// </summary>
internal static class StatementRunner
{
    /// <summary>
    /// Parses <paramref name="source"/> and runs every statement, printing results to <paramref name="context"/>'s stdout
    /// in the settings' format; a syntax error runs nothing. Returns the exit code.
    /// </summary>
    /// <param name="origin">Named before a syntax error (a file), or null.</param>
    /// <param name="parameters">Values of the statements' <c>@name</c> parameters (<c>--param</c>).</param>
    /// <param name="renderer">Prints the results; null for the settings' format (<c>--csv-style</c> gives another).</param>
    /// <param name="observe">Sees each result after it is printed (<c>query --html</c> keeps the report's), or null.</param>
    public static async Task<int> RunScriptAsync(string source, string? origin, CliSettings settings, CliContext context, CancellationToken ct,
        IReadOnlyDictionary<string, SetExpr>? parameters = null, ResultRenderer? renderer = null, Action<StatementResult>? observe = null)
    {
        parameters ??= new Dictionary<string, SetExpr>();
        IReadOnlyList<TextStatement> statements;
        try
        {
            statements = TextQuery.Parse(source);
        }
        catch (QuerySyntaxException e)
        {
            // The caret rendering needs its lines: not folded into one like other errors.
            await context.Err.WriteLineAsync("bitmapist: " + (origin is null ? "" : origin + ": ") + e.Message).ConfigureAwait(false);
            return Cli.Usage;
        }
        if (ParameterOptions.FirstUnbound(statements, parameters) is { } missing)
        {
            context.Error($"the query uses @{missing} and it has no value: add --param {missing}=SET, e.g. --param {missing}=\"month(signup, -1)\".");
            return Cli.Usage;
        }
        return await RunStepsAsync([.. statements.Select(s => new ScriptStep(s, null))], settings, context, ct, parameters, renderer, observe).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs parsed steps in order, printing each result in the settings' format; the first failure stops the rest
    /// (what was printed stays). Returns the exit code.
    /// </summary>
    public static async Task<int> RunStepsAsync(IReadOnlyList<ScriptStep> steps, CliSettings settings, CliContext context, CancellationToken ct,
        IReadOnlyDictionary<string, SetExpr>? parameters = null, ResultRenderer? renderer = null, Action<StatementResult>? observe = null)
    {
        try
        {
            renderer ??= ResultRenderer.For(settings.Format, context.Out);
            var access = steps.All(s => s.Statement is null or ExplainStatement or LetStatement) ? StoreAccess.Plan : StoreAccess.Read;
            await using var session = await StoreSession.OpenAsync(settings, context, access, ct: ct).ConfigureAwait(false);
            var executor = new StatementExecutor(session.Store);
            for (var i = 0; i < steps.Count;)
            {
                if (steps[i].Result is { } shown)
                {
                    await renderer.RenderAsync(shown, ct).ConfigureAwait(false);
                    i++;
                    continue;
                }
                // The statements up to the next printed step run together: neighbouring counts share one batch.
                var run = steps.Skip(i).TakeWhile(s => s.Statement is not null).Select(s => s.Statement!).ToList();
                await foreach (var result in executor.ExecuteAllAsync(run, parameters, ct).ConfigureAwait(false))
                {
                    await renderer.RenderAsync(result, ct).ConfigureAwait(false);
                    Warn(context, result.Warnings);
                    observe?.Invoke(result);
                }
                i += run.Count;
            }
            return Cli.Ok;
        }
        catch (Exception e)
        {
            var (message, code) = CommandRunner.Describe(e, ct);
            context.Fail(e, message);
            return code;
        }
    }

    /// <summary>Writes each warning as one line on stderr (<c>bitmapist: warning: ...</c>), so stdout stays the results only.</summary>
    public static void Warn(CliContext context, IEnumerable<EventWarning> warnings)
    {
        foreach (var w in warnings) context.Error("warning: " + w.Message);
    }
}
