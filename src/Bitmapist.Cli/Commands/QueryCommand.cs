using System.CommandLine;
using System.Globalization;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist query "&lt;statements&gt;"</c> or <c>bitmapist query -f &lt;file&gt;</c>: runs statements of the text query
/// language (grammar/README.md) and prints one result per statement; with <c>--format json</c>, one JSON object per line.
/// </summary>
internal static class QueryCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var text = new Argument<string?>("statements")
        {
            Description = "Statements separated by ';' or new lines, e.g. \"count month(active) & week('song:played')\".",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var file = new Option<string?>("--file", "-f") { Description = "Read the statements from this file.", HelpName = "file" };
        var command = new Command("query", "Run statements of the query language: count, ids, in, percent, explain, events, let.");
        command.Arguments.Add(text);
        command.Options.Add(file);
        command.SetAction(async (parse, ct) =>
        {
            var source = parse.GetValue(text);
            var path = parse.GetValue(file);
            if ((source is null) == (path is null))
            {
                context.Error("give the statements as an argument or with -f <file>, not both.");
                return Cli.Usage;
            }
            if (path is not null)
            {
                try
                {
                    source = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    context.Error($"cannot read '{path}': {e.Message}");
                    return Cli.Failed;
                }
            }
            IReadOnlyList<TextStatement> statements;
            try
            {
                statements = TextQuery.Parse(source!);
            }
            catch (QuerySyntaxException e)
            {
                // The caret rendering needs its lines: not folded into one like other errors.
                await context.Err.WriteLineAsync("bitmapist: " + (path is null ? "" : path + ": ") + e.Message).ConfigureAwait(false);
                return Cli.Usage;
            }
            try
            {
                var settings = global.Read(parse);
                var run = new Invocation(parse, settings, new Output(context.Out, settings.Format), context);
                var access = statements.All(s => s is ExplainStatement) ? StoreAccess.Plan : StoreAccess.Read;
                await using var session = await run.OpenStoreAsync(access, ct).ConfigureAwait(false);
                foreach (var statement in statements) await RunAsync(statement, session, run.Output, ct).ConfigureAwait(false);
                return Cli.Ok;
            }
            catch (Exception e)
            {
                var (message, code) = CommandRunner.Describe(e, ct);
                context.Error(message);
                return code;
            }
        });
        return command;
    }

    private static async Task RunAsync(TextStatement statement, StoreSession session, Output output, CancellationToken ct)
    {
        var store = session.Store;
        switch (statement)
        {
            case QueryStatement { Query.Read: ReadKind.Count } q:
                Print(output, "count", await store.Set(q.Query.Set).CountAsync(ct).ConfigureAwait(false));
                break;
            case QueryStatement { Query.Read: ReadKind.Contains } q:
                Print(output, "contains", await store.Set(q.Query.Set).ContainsAsync(q.Query.Id, ct).ConfigureAwait(false));
                break;
            case QueryStatement { Query.Read: ReadKind.Ids } q:
                await PrintIdsAsync(output, store.Set(q.Query.Set).IdsAsync(q.Query.Id, ct), q.Limit ?? int.MaxValue, ct).ConfigureAwait(false);
                break;
            case PercentStatement p:
                var whole = await store.Set(p.Whole).CountAsync(ct).ConfigureAwait(false);
                var part = whole == 0 ? 0 : await store.Set(p.Numerator).CountAsync(ct).ConfigureAwait(false);
                Print(output, "percent", whole == 0 ? 0.0 : 100.0 * part / whole);
                break;
            case ExplainStatement e:
                Print(output, "explain", Explain(store, e.Statement));
                break;
            case EventsStatement e:
                var names = await store.ListEventsAsync(e.Prefix, ct).ConfigureAwait(false);
                switch (output.Format)
                {
                    case OutputFormat.Json:
                        output.Json(w =>
                        {
                            w.WriteStartArray("events");
                            foreach (var name in names) w.WriteStringValue(name);
                            w.WriteEndArray();
                        });
                        break;
                    case OutputFormat.Csv:
                        output.Csv(["event"], names.Select(n => new[] { n }));
                        break;
                    default:
                        output.Lines(names);
                        break;
                }
                break;
            case LetStatement:
                break; // the parser already put the set in place of the name
            default:
                throw new CliException($"'{statement.Text}' cannot run here.", Cli.Failed);
        }
    }

    private static string Explain(Linq.Stores.BitmapStore store, TextStatement statement) => statement switch
    {
        QueryStatement q => store.Explain(q.Query),
        PercentStatement p => store.Explain(new SetQuery(p.Numerator, ReadKind.Count)) + store.Explain(new SetQuery(p.Whole, ReadKind.Count)),
        _ => throw new CliException($"'{statement.Text}' has no plan to explain.", Cli.Failed),
    };

    private static void Print(Output output, string name, object value)
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
                        default: w.WriteString(name, (string)value); break;
                    }
                });
                break;
            case OutputFormat.Csv:
                output.Csv([name], [[Text(value)]]);
                break;
            default:
                var text = Text(value);
                if (text.EndsWith('\n')) output.Writer.Write(text);
                else output.Writer.WriteLine(text);
                break;
        }
    }

    private static string Text(object value) => value is double d
        ? d.ToString("0.##", CultureInfo.InvariantCulture)
        : Output.Text(value);

    private static async Task PrintIdsAsync(Output output, IAsyncEnumerable<long> all, int max, CancellationToken ct)
    {
        var ids = Take(all, max);
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

    private static async IAsyncEnumerable<long> Take(IAsyncEnumerable<long> ids, int max)
    {
        var n = 0;
        await foreach (var id in ids.ConfigureAwait(false))
        {
            if (n++ >= max) yield break;
            yield return id;
        }
    }
}
