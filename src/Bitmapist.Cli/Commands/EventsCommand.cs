using System.CommandLine;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary><c>bitmapist events [prefix] [--counts]</c>: the event names with at least one key, sorted (with their users this month).</summary>
internal static class EventsCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var prefix = new Argument<string>("prefix")
        {
            Description = "Only events whose names start with this.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "",
        };
        var counts = new Option<bool>("--counts")
        {
            Description = "Also count each event's users this month and its unique flag's users (all in one batch): a table of event, users_this_month, unique_flag.",
        };
        var command = new Command("events", "List event names (unique flags included), optionally only those starting with a prefix.");
        command.Arguments.Add(prefix);
        command.Options.Add(counts);
        command.SetBody(context, global, async (run, ct) =>
        {
            await using var session = await run.OpenStoreAsync(StoreAccess.Read, ct).ConfigureAwait(false);
            var statement = new EventsStatement(run.Parse.GetValue(prefix) ?? "");
            StatementResult result;
            if (run.Parse.GetValue(counts))
            {
                result = await new StatementExecutor(session.Store).ExecuteAsync(statement, null, ct).ConfigureAwait(false);
                await run.Renderer.RenderAsync(await EventCounts.CountAsync(session.Store, (EventsResult)result, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            else result = await run.RunAsync(session, statement, ct).ConfigureAwait(false);
            if (result is EventsResult { Names.Count: 0 } && run.Settings.Format == OutputFormat.Table)
                run.Context.Note($"no events in {session.Description} under the prefix '{run.Settings.Prefix}'.");
        });
        return command;
    }
}
