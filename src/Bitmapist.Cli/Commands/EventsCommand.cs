using System.CommandLine;

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
            var names = await session.Store.ListEventsAsync(run.Parse.GetValue(prefix) ?? "", ct).ConfigureAwait(false);
            var output = run.Output;
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
                    if (names.Count == 0) run.Context.Note($"no events in {session.Description} under the prefix '{run.Settings.Prefix}'.");
                    break;
            }
        });
        return command;
    }
}
