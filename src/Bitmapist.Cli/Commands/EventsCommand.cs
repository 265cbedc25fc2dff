using System.CommandLine;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary><c>bitmapist events [prefix]</c>: the event names with at least one key, sorted.</summary>
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
        var command = new Command("events", "List event names (unique flags included), optionally only those starting with a prefix.");
        command.Arguments.Add(prefix);
        command.SetBody(context, global, async (run, ct) =>
        {
            await using var session = await run.OpenStoreAsync(StoreAccess.Read, ct).ConfigureAwait(false);
            var result = await run.RunAsync(session, new EventsStatement(run.Parse.GetValue(prefix) ?? ""), ct).ConfigureAwait(false);
            if (result is EventsResult { Names.Count: 0 } && run.Settings.Format == OutputFormat.Table)
                run.Context.Note($"no events in {session.Description} under the prefix '{run.Settings.Prefix}'.");
        });
        return command;
    }
}
