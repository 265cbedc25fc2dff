using System.Globalization;
using Bitmapist.Linq;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>What one statement of the text query language produced.</summary>
internal abstract record StatementResult
{
    /// <summary>Events the statement read that have no key in any period (likely misspelt): shown on stderr, or as REPL notices.</summary>
    public IReadOnlyList<EventWarning> Warnings { get; init; } = [];
}

/// <summary><c>count s</c> or a bare set.</summary>
internal sealed record CountResult(long Count) : StatementResult;

/// <summary><c>ID in s</c>.</summary>
internal sealed record ContainsResult(long Id, bool Contains) : StatementResult;

/// <summary>
/// <c>percent a of b</c>: <see cref="Percent"/> = 100 * <see cref="Part"/> / <see cref="Whole"/>, or null when the
/// whole is empty: undefined, printed as null in JSON, an empty CSV field and '.' in tables, as an empty cohort cell.
/// </summary>
internal sealed record PercentResult(double? Percent, long Part, long Whole) : StatementResult;

/// <summary><c>explain statement</c>.</summary>
internal sealed record ExplainResult(string Plan) : StatementResult;

/// <summary><c>events [prefix]</c>.</summary>
internal sealed record EventsResult(IReadOnlyList<string> Names) : StatementResult;

/// <summary><c>ids s [limit N] [after ID]</c>: the ids, read lazily (enumerate once).</summary>
internal sealed record IdsResult(IAsyncEnumerable<long> Ids, int? Limit) : StatementResult;

/// <summary><c>cohort ...</c>: a computed cohort table.</summary>
internal sealed record CohortResult(Bitmapist.Linq.Cohorts.CohortTable Table) : StatementResult;

/// <summary>The piped REPL's <c>help</c>: text printed like a result named <c>help</c>.</summary>
internal sealed record HelpResult(string Text) : StatementResult;

/// <summary>One step of a script: a statement to run, or a result to print as it is (the piped REPL's help).</summary>
internal readonly record struct ScriptStep(TextStatement? Statement, StatementResult? Result);

/// <summary><c>let</c>: nothing to print.</summary>
internal sealed record NoResult : StatementResult
{
    public static readonly NoResult Instance = new();
}

/// <summary>
/// Runs parsed statements of the text query language on a store and prints their results in the output format;
/// shared by <c>bitmapist query</c>, scripts piped to the REPL and the interactive REPL (which renders its own tables).
/// </summary>
internal static class StatementRunner
{
    /// <summary>
    /// Parses <paramref name="source"/> and runs every statement, printing results to <paramref name="context"/>'s stdout
    /// in the settings' format; a syntax error runs nothing. Returns the exit code.
    /// </summary>
    /// <param name="origin">Named before a syntax error (a file), or null.</param>
    /// <param name="parameters">Values of the statements' <c>@name</c> parameters (<c>--param</c>).</param>
    public static async Task<int> RunScriptAsync(string source, string? origin, CliSettings settings, CliContext context, CancellationToken ct,
        IReadOnlyDictionary<string, SetExpr>? parameters = null)
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
        return await RunStepsAsync([.. statements.Select(s => new ScriptStep(s, null))], settings, context, ct, parameters).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs parsed steps in order, printing each result in the settings' format; the first failure stops the rest
    /// (what was printed stays). Returns the exit code.
    /// </summary>
    public static async Task<int> RunStepsAsync(IReadOnlyList<ScriptStep> steps, CliSettings settings, CliContext context, CancellationToken ct,
        IReadOnlyDictionary<string, SetExpr>? parameters = null)
    {
        parameters ??= new Dictionary<string, SetExpr>();
        try
        {
            var output = new Output(context.Out, settings.Format);
            var access = steps.All(s => s.Statement is null or ExplainStatement or LetStatement) ? StoreAccess.Plan : StoreAccess.Read;
            await using var session = await StoreSession.OpenAsync(settings, context, access, ct: ct).ConfigureAwait(false);
            foreach (var step in steps)
            {
                var result = step.Statement is { } statement
                    ? await ExecuteAsync(statement, session.Store, ct, parameters).ConfigureAwait(false)
                    : step.Result!;
                await PrintAsync(output, result, ct).ConfigureAwait(false);
                Warn(context, result.Warnings);
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

    /// <summary>
    /// Runs one statement, then checks the events it read (<see cref="BitmapStore.CheckEventsAsync(SetExpr, IReadOnlyDictionary{string, SetExpr}?, CancellationToken)"/>):
    /// the result carries a warning for each that has no key at all. The ids of an <see cref="IdsResult"/> are read as they are enumerated.
    /// </summary>
    /// <param name="statement">The statement.</param>
    /// <param name="store">The store it runs on.</param>
    /// <param name="ct">Cancels the statement.</param>
    /// <param name="parameters">Values of its <c>@name</c> parameters, if it has any.</param>
    public static async Task<StatementResult> ExecuteAsync(TextStatement statement, BitmapStore store, CancellationToken ct,
        IReadOnlyDictionary<string, SetExpr>? parameters = null)
    {
        var values = parameters is { Count: > 0 } ? parameters : null;
        var result = await RunAsync(statement, store, values, ct).ConfigureAwait(false);
        // After the statement, not in its batch: the query's commands stay exactly what explain shows.
        var warnings = await CheckEventsAsync(statement, store, values, ct).ConfigureAwait(false);
        return warnings.Count == 0 ? result : result with { Warnings = warnings };
    }

    /// <summary>The events a reading statement names that have no key in any period of the store.</summary>
    private static Task<IReadOnlyList<EventWarning>> CheckEventsAsync(TextStatement statement, BitmapStore store,
        IReadOnlyDictionary<string, SetExpr>? values, CancellationToken ct) => statement switch
    {
        QueryStatement q => store.CheckEventsAsync(q.Query.Set, values, ct),
        PercentStatement p => store.CheckEventsAsync(SetExpr.Or(p.Numerator, p.Whole), values, ct),
        CohortStatement c => store.CheckEventsAsync(c.Query, values, ct),
        _ => Task.FromResult<IReadOnlyList<EventWarning>>([]), // explain, events and let read no event
    };

    /// <summary>Writes each warning as one line on stderr (<c>bitmapist: warning: ...</c>), so stdout stays the results only.</summary>
    public static void Warn(CliContext context, IEnumerable<EventWarning> warnings)
    {
        foreach (var w in warnings) context.Error("warning: " + w.Message);
    }

    private static async Task<StatementResult> RunAsync(TextStatement statement, BitmapStore store,
        IReadOnlyDictionary<string, SetExpr>? values, CancellationToken ct)
    {
        UserSet Set(SetExpr e) => store.Set(values is null ? e : e.WithParameters(values));
        switch (statement)
        {
            case QueryStatement { Query.Read: ReadKind.Count } q:
                return new CountResult(await Set(q.Query.Set).CountAsync(ct).ConfigureAwait(false));
            case QueryStatement { Query.Read: ReadKind.Contains } q:
                return new ContainsResult(q.Query.Id, await Set(q.Query.Set).ContainsAsync(q.Query.Id, ct).ConfigureAwait(false));
            case QueryStatement { Query.Read: ReadKind.Ids } q:
                return new IdsResult(Take(Set(q.Query.Set).IdsAsync(q.Query.Id, ct), q.Limit ?? int.MaxValue), q.Limit);
            case PercentStatement p:
                var whole = await Set(p.Whole).CountAsync(ct).ConfigureAwait(false);
                var part = whole == 0 ? 0 : await Set(p.Numerator).CountAsync(ct).ConfigureAwait(false);
                return new PercentResult(whole == 0 ? null : 100.0 * part / whole, part, whole);
            case CohortStatement c:
                return new CohortResult(await store.CohortAsync(c.Query, values, ct).ConfigureAwait(false));
            case ExplainStatement e:
                return new ExplainResult(Explain(store, e.Statement, values));
            case EventsStatement e:
                return new EventsResult(await store.ListEventsAsync(e.Prefix, ct).ConfigureAwait(false));
            case LetStatement:
                return NoResult.Instance; // the parser already put the set in place of the name
            default:
                throw new CliException($"'{statement.Text}' cannot run here.", Cli.Failed);
        }
    }

    /// <summary>Prints a result in the output's format (one JSON object per statement with <c>--format json</c>).</summary>
    public static async Task PrintAsync(Output output, StatementResult result, CancellationToken ct)
    {
        switch (result)
        {
            case CountResult c: Print(output, "count", c.Count); break;
            case ContainsResult c: Print(output, "contains", c.Contains); break;
            case PercentResult p: Print(output, "percent", p.Percent); break; // null: the whole is empty
            case ExplainResult e: Print(output, "explain", e.Plan); break;
            case HelpResult h: Print(output, "help", h.Text); break;
            case EventsResult e:
                switch (output.Format)
                {
                    case OutputFormat.Json:
                        output.Json(w =>
                        {
                            w.WriteStartArray("events");
                            foreach (var name in e.Names) w.WriteStringValue(name);
                            w.WriteEndArray();
                        });
                        break;
                    case OutputFormat.Csv:
                        output.Csv(["event"], e.Names.Select(n => new[] { n }));
                        break;
                    default:
                        output.Lines(e.Names);
                        break;
                }
                break;
            case CohortResult c:
                PrintCohort(output, c.Table);
                break;
            case IdsResult i:
                await PrintIdsAsync(output, i.Ids, ct).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>A cohort table: JSON (null for an empty cell), CSV in bitmapist's layout, or an aligned table with the average row.</summary>
    public static void PrintCohort(Output output, Bitmapist.Linq.Cohorts.CohortTable table)
    {
        switch (output.Format)
        {
            case OutputFormat.Json:
                output.Writer.WriteLine(Bitmapist.Linq.Cohorts.Rendering.CohortJson.Render(table));
                break;
            case OutputFormat.Csv:
                output.Writer.Write(Bitmapist.Linq.Cohorts.Rendering.CohortCsv.Render(table));
                break;
            default:
                string Cell(double? v) => Bitmapist.Linq.Cohorts.Rendering.CohortFormat.Cell(v, table.Values);
                var columns = new List<string> { table.Unit.ToString().ToLowerInvariant(), "total" };
                columns.AddRange(Enumerable.Range(0, table.Columns).Select(t => t.ToString(CultureInfo.InvariantCulture)));
                var rows = table.Rows.Select(r => (IReadOnlyList<string>)[r.Label, r.Size.ToString(CultureInfo.InvariantCulture), .. r.Values.Select(v => v is null ? "." : Cell(v))]).ToList();
                rows.Add(["average", table.AverageSize is { } a ? a.ToString("0.#", CultureInfo.InvariantCulture) : "", .. table.Average.Select(v => v is null ? "." : Cell(Math.Round(v.Value, 2)))]);
                output.Table(columns, rows);
                output.Writer.WriteLine(table.Values == Bitmapist.Linq.Cohorts.CohortValues.Percent
                    ? "cells: % of the row's cohort who returned t periods later; '.': no cohort or no data in that period"
                    : "cells: users of the row's cohort who returned t periods later; '.': no cohort or no data in that period");
                break;
        }
    }

    private static string Explain(BitmapStore store, TextStatement statement, IReadOnlyDictionary<string, SetExpr>? values) => statement switch
    {
        CohortStatement c => store.Explain(c.Query, values),
        QueryStatement q => store.Explain(q.Query, values),
        PercentStatement p => store.Explain(new SetQuery(p.Numerator, ReadKind.Count), values) + store.Explain(new SetQuery(p.Whole, ReadKind.Count), values),
        _ => throw new CliException($"'{statement.Text}' has no plan to explain.", Cli.Failed),
    };

    private static void Print(Output output, string name, object? value)
    {
        switch (output.Format)
        {
            case OutputFormat.Json:
                output.Json(w =>
                {
                    switch (value)
                    {
                        case long n: w.WriteNumber(name, n); break;
                        case double d: w.WriteNumber(name, d); break;
                        case bool b: w.WriteBoolean(name, b); break;
                        case null: w.WriteNull(name); break;
                        default: w.WriteString(name, (string)value); break;
                    }
                });
                break;
            case OutputFormat.Csv:
                output.Csv([name], [[value is null ? "" : Text(value)]]);
                break;
            default:
                var text = value is null ? Undefined : Text(value);
                if (text.EndsWith('\n')) output.Writer.Write(text);
                else output.Writer.WriteLine(text);
                break;
        }
    }

    /// <summary>How tables print a percentage of an empty whole (the mark of an empty cohort cell).</summary>
    public const string Undefined = ".";

    /// <summary>A value as the table format prints it (a percent with at most two decimals).</summary>
    public static string Text(object value) => value is double d
        ? d.ToString("0.##", CultureInfo.InvariantCulture)
        : Output.Text(value);

    /// <summary>Prints ids as they stream in: a JSON array, a CSV column or one per line.</summary>
    internal static async Task PrintIdsAsync(Output output, IAsyncEnumerable<long> ids, CancellationToken ct)
    {
        if (output.Format == OutputFormat.Json)
        {
            using var json = output.BeginJson();
            json.Writer.WriteStartArray("ids");
            await foreach (var id in ids.ConfigureAwait(false))
            {
                json.Writer.WriteNumberValue(id);
                json.Flush();
            }
            json.Writer.WriteEndArray();
            return;
        }
        if (output.Format == OutputFormat.Csv) await output.Writer.WriteLineAsync("id".AsMemory(), ct).ConfigureAwait(false);
        await foreach (var id in ids.ConfigureAwait(false)) await output.Writer.WriteLineAsync(Output.Text(id).AsMemory(), ct).ConfigureAwait(false);
    }

    /// <summary>At most <paramref name="max"/> ids of the stream.</summary>
    internal static async IAsyncEnumerable<long> Take(IAsyncEnumerable<long> ids, int max)
    {
        var n = 0;
        await foreach (var id in ids.ConfigureAwait(false))
        {
            if (n++ >= max) yield break;
            yield return id;
        }
    }
}
