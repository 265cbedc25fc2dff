using System.CommandLine;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary><c>bitmapist in &lt;id&gt; &lt;event&gt; [--period unit] [--at when]</c>: whether one user did the event in the period.</summary>
internal static class InCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var id = new Argument<string>("id") { Description = "User id, from 0 to 4294967295; with an id map (--id-map), the user's external id, e.g. alice." };
        var eventName = new Argument<string>("event") { Description = "Event name, e.g. active." };
        var period = new PeriodOptions();
        var command = new Command("in", "Tell whether a user did an event in a period.");
        command.Arguments.Add(id);
        command.Arguments.Add(eventName);
        period.AddTo(command);
        command.SetBody(context, global, async (run, ct) =>
        {
            var text = run.Parse.GetValue(id) ?? "";
            var name = Parsing.EventName(run.Parse.GetValue(eventName));
            period.Validate(run.Parse);
            await using var session = await run.OpenStoreAsync(StoreAccess.Read, ct).ConfigureAwait(false);
            var (set, _) = period.Set(run.Parse, session.Store, name);
            // With an id map every id given is an external id (even "42"), looked up in the map; else an internal id.
            var statement = session.Store.DefaultIdMap is not null
                ? QueryStatement.Contains(set.ToSetExpr(), text)
                : new QueryStatement(new SetQuery(set.ToSetExpr(), ReadKind.Contains, UserIds.Validate(Parsing.UserId(text), "id")));
            await run.RunAsync(session, statement, ct).ConfigureAwait(false);
        });
        return command;
    }
}
