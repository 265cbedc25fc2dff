using System.CommandLine;
using System.Globalization;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Tracking;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist mark &lt;event&gt; &lt;id&gt;... [--at when] [--hourly] [--unique | --unique-only]</c>: marks users in one batch
/// (one round trip, all or nothing) and saves the file store. <c>--unique</c> is bitmapist's <c>track_unique=True</c>: the
/// dated keys and the dateless unique flag; <c>--unique-only</c> sets the flag alone (bitmapist's <c>mark_unique</c>).
/// With <c>--id-map</c> the ids are external ids (any text), mapped in the same batch: one id map call for all of them.
/// </summary>
internal static class MarkCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var eventName = new Argument<string>("event") { Description = "Event name, e.g. signup." };
        var maxIds = ArgumentArity.OneOrMore.MaximumNumberOfValues;
        var ids = new Argument<string[]>("id")
        {
            Description = string.Create(CultureInfo.InvariantCulture,
                $"User ids, from 0 to 4294967295, or with --id-map external ids (any text; 7 and 007 are two ids) (at most {maxIds:N0}; import takes more)."),
            Arity = ArgumentArity.OneOrMore,
        };
        var at = new Option<string?>("--at")
        {
            Description = "When the event happened (2026-11-28T14:30:00, 2026-11-28, ...). Default: now.",
            HelpName = "when",
        };
        var hourly = new Option<bool>("--hourly") { Description = "Also write the hour key." };
        var unique = new Option<bool>("--unique")
        {
            Description = "Also set the dateless unique flag ({event}_u), besides the dated keys: bitmapist's track_unique=True.",
        };
        var uniqueOnly = new Option<bool>("--unique-only")
        {
            Description = "Set only the dateless unique flag ({event}_u), no dated keys: bitmapist's mark_unique (no --at, no --hourly).",
        };
        var command = new Command("mark",
            "Mark that users did an event (month, ISO week and day keys; hour with --hourly; the unique flag too with --unique), in one batch.");
        command.Arguments.Add(eventName);
        command.Arguments.Add(ids);
        command.Options.Add(at);
        command.Options.Add(hourly);
        command.Options.Add(unique);
        command.Options.Add(uniqueOnly);
        // The parser takes at most maxIds values for one argument and alone would call the next one an unrecognized argument:
        // a hidden second argument takes the overflow so that the error can say what the limit is.
        var overflow = new Argument<string[]>("more-ids") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        command.Arguments.Add(overflow);
        command.Validators.Add(result =>
        {
            if (result.GetValue(overflow) is { Length: > 0 })
                result.AddError(string.Create(CultureInfo.InvariantCulture,
                    $"mark takes at most {maxIds:N0} ids at a time; mark the rest in another call, or put them in a CSV file for bitmapist import."));
        });
        command.SetBody(context, global, async (run, ct) =>
        {
            var parse = run.Parse;
            var name = Parsing.EventName(parse.GetValue(eventName));
            var external = run.Settings.IdMap is not null;
            var given = parse.GetValue(ids) ?? [];
            // By number, each id is checked here; by external id, by the library (its own message), before the store is opened.
            var users = external ? [] : given.Select(Parsing.UserId).Distinct().ToArray();
            var names = external ? given.Distinct(StringComparer.Ordinal).ToArray() : [];
            foreach (var id in names) Linq.IdMapping.IdMap.ValidateExternalId(id, "id");
            var atText = parse.GetValue(at);
            var onlyFlag = parse.GetValue(uniqueOnly);
            var tracking = new TrackingOptions(Hourly: parse.GetValue(hourly), Unique: parse.GetValue(unique));
            if (onlyFlag && tracking.Unique) throw new CliException("give --unique (dated keys and the unique flag) or --unique-only (the flag alone), not both.");
            if (onlyFlag && atText is not null) throw new CliException("--at has no meaning with --unique-only: the unique flag has no date. Use --unique to mark the dated keys of that moment and the flag.");
            if (onlyFlag && tracking.Hourly) throw new CliException("--hourly has no meaning with --unique-only: the unique flag has no date. Use --unique --hourly to mark the hour key and the flag.");
            DateTime? when = atText is null ? null : Parsing.Instant(atText, "--at");

            // The store's tracking settings decide which keys a mark writes, as bitmapist's do.
            await using var session = await run.OpenStoreAsync(StoreAccess.Write, ct, tracking).ConfigureAwait(false);
            var store = session.Store;
            var moment = when ?? store.Now;
            var batch = store.CreateBatch();
            foreach (var user in users)
            {
                if (onlyFlag) batch.MarkUnique(name, user);
                else batch.Mark(name, user, moment);
            }
            foreach (var user in names)
            {
                if (onlyFlag) batch.MarkUnique(name, user);
                else batch.Mark(name, user, moment);
            }
            // Durable once it returns (the store file's journal): no rewrite of the whole file for a few marks. External
            // ids are mapped first, all in one id map call (creating the missing mappings).
            await batch.ExecuteAsync(ct).ConfigureAwait(false);
            // The internal ids the external ones got, for the JSON summary: one lookup, only with --id-map.
            var internalIds = external ? await store.DefaultIdMap!.FindAsync(names, ct).ConfigureAwait(false) : [];

            IReadOnlyList<string> keys = onlyFlag
                ? [store.Keys.Key(name, Period.Unique)]
                : store.Keys.KeysForMark(name, moment, tracking);

            var what = onlyFlag ? $"set the unique flag '{name}'"
                : $"marked '{name}' at {Output.Timestamp(moment)}" + (tracking.Unique ? " and set its unique flag" : "");
            var count = external ? names.Length : users.Length;
            var who = count > 1 ? $"{count} users" : external ? $"user '{names[0]}'" : $"user {users[0]}";
            var where = external ? $"{session.Description} (id map '{run.Settings.IdMap}')" : session.Description;
            IEnumerable<string> texts = external ? names : users.Select(u => Output.Text(u));
            await run.Renderer.RenderAsync(new CommandSummary(
                $"{what} for {who} in {where}: {string.Join(", ", keys)}",
                w =>
                {
                    w.WriteString("event", name);
                    w.WriteStartArray("ids");
                    foreach (var user in users) w.WriteNumberValue(user);
                    foreach (var user in names) w.WriteStringValue(user);
                    w.WriteEndArray();
                    if (external)
                    {
                        // The dense ids the external ones are mapped to, in the same order.
                        w.WriteString("idMap", run.Settings.IdMap);
                        w.WriteStartArray("internalIds");
                        foreach (var id in internalIds)
                        {
                            if (id is { } known) w.WriteNumberValue(known);
                            else w.WriteNullValue(); // erased by another process meanwhile
                        }
                        w.WriteEndArray();
                    }
                    if (onlyFlag) w.WriteNull("at");
                    else w.WriteString("at", Output.Timestamp(moment));
                    w.WriteBoolean("unique", onlyFlag || tracking.Unique);
                    w.WriteStartArray("keys");
                    foreach (var key in keys) w.WriteStringValue(key);
                    w.WriteEndArray();
                },
                ["event", "id", "key"],
                texts.SelectMany(u => keys.Select(k => (IReadOnlyList<string>)[name, u, k]))), ct).ConfigureAwait(false);
        });
        return command;
    }
}
