using System.CommandLine;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary><c>bitmapist count &lt;event&gt; [--period unit] [--at when]</c>: how many users did the event in the period.</summary>
internal static class CountCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var eventName = new Argument<string>("event") { Description = "Event name, e.g. active." };
        var period = new PeriodOptions();
        var command = new Command("count", "Count the users who did an event in a period (default: the month containing now).");
        command.Arguments.Add(eventName);
        period.AddTo(command);
        command.SetBody(context, global, async (run, ct) =>
        {
            var name = Parsing.EventName(run.Parse.GetValue(eventName));
            period.Validate(run.Parse);
            await using var session = await run.OpenStoreAsync(StoreAccess.Read, ct).ConfigureAwait(false);
            var (set, _) = period.Set(run.Parse, session.Store, name);
            await run.RunAsync(session, new QueryStatement(new SetQuery(set.ToSetExpr(), ReadKind.Count)), ct).ConfigureAwait(false);
        });
        return command;
    }
}
