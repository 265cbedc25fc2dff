using System.CommandLine;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Tracking;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist mark &lt;event&gt; &lt;id&gt;... [--at when] [--hourly] [--unique]</c>: marks users in one batch
/// (one round trip, all or nothing) and saves the file store.
/// </summary>
internal static class MarkCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var eventName = new Argument<string>("event") { Description = "Event name, e.g. signup." };
        var ids = new Argument<string[]>("id")
        {
            Description = "User ids, from 0 to 4294967295.",
            Arity = ArgumentArity.OneOrMore,
        };
        var at = new Option<string?>("--at")
        {
            Description = "When the event happened (2026-11-28T14:30:00, 2026-11-28, ...). Default: now.",
            HelpName = "when",
        };
        var hourly = new Option<bool>("--hourly") { Description = "Also write the hour key." };
        var unique = new Option<bool>("--unique") { Description = "Set the dateless unique flag instead of the dated keys." };
        var command = new Command("mark", "Mark that users did an event (month, ISO week and day keys; hour with --hourly), in one batch.");
        command.Arguments.Add(eventName);
        command.Arguments.Add(ids);
        command.Options.Add(at);
        command.Options.Add(hourly);
        command.Options.Add(unique);
        command.SetBody(context, global, async (run, ct) =>
        {
            var parse = run.Parse;
            var name = Parsing.EventName(parse.GetValue(eventName));
            var users = (parse.GetValue(ids) ?? []).Select(Parsing.UserId).Distinct().ToArray();
            var atText = parse.GetValue(at);
            var isUnique = parse.GetValue(unique);
            var isHourly = parse.GetValue(hourly);
            if (isUnique && atText is not null) throw new CliException("--at has no meaning with --unique: a unique flag has no date.");
            if (isUnique && isHourly) throw new CliException("--hourly has no meaning with --unique: a unique flag has no date.");
            DateTime? when = atText is null ? null : Parsing.Instant(atText, "--at");

            await using var session = await run.OpenStoreAsync(StoreAccess.Write, ct, new TrackingOptions(Hourly: isHourly)).ConfigureAwait(false);
            var store = session.Store;
            var moment = when ?? store.Now;
            var batch = store.CreateBatch();
            foreach (var user in users)
            {
                if (isUnique) batch.MarkUnique(name, user);
                else batch.Mark(name, user, moment);
            }
            // Durable once it returns (the store file's journal): no rewrite of the whole file for a few marks.
            await batch.ExecuteAsync(ct).ConfigureAwait(false);

            IReadOnlyList<string> keys = isUnique
                ? [store.Keys.Key(name, Period.Unique)]
                : store.Keys.KeysForMark(name, moment, new TrackingOptions(Hourly: isHourly));

            var what = isUnique ? $"set the unique flag '{name}'" : $"marked '{name}' at {Output.Timestamp(moment)}";
            var who = users.Length == 1 ? $"user {users[0]}" : $"{users.Length} users";
            await run.Renderer.RenderAsync(new CommandSummary(
                $"{what} for {who} in {session.Description}: {string.Join(", ", keys)}",
                w =>
                {
                    w.WriteString("event", name);
                    w.WriteStartArray("ids");
                    foreach (var user in users) w.WriteNumberValue(user);
                    w.WriteEndArray();
                    if (isUnique) w.WriteNull("at");
                    else w.WriteString("at", Output.Timestamp(moment));
                    w.WriteBoolean("unique", isUnique);
                    w.WriteStartArray("keys");
                    foreach (var key in keys) w.WriteStringValue(key);
                    w.WriteEndArray();
                },
                ["event", "id", "key"],
                users.SelectMany(u => keys.Select(k => (IReadOnlyList<string>)[name, Output.Text(u), k]))), ct).ConfigureAwait(false);
        });
        return command;
    }
}
