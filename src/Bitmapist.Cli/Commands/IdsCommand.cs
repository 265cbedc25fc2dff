using System.CommandLine;
using Bitmapist.Linq;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary><c>bitmapist ids &lt;event&gt; [--period unit] [--at when] [--limit n]</c>: the users, ascending, streamed.</summary>
internal static class IdsCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var eventName = new Argument<string>("event") { Description = "Event name, e.g. active." };
        var period = new PeriodOptions();
        var limit = new Option<int?>("--limit", "-n") { Description = "Print at most this many ids (the smallest).", HelpName = "n" };
        var command = new Command("ids", "List the ids of the users who did an event in a period, ascending.");
        command.Arguments.Add(eventName);
        period.AddTo(command);
        command.Options.Add(limit);
        command.SetBody(context, global, async (run, ct) =>
        {
            var name = Parsing.EventName(run.Parse.GetValue(eventName));
            period.Validate(run.Parse);
            var max = run.Parse.GetValue(limit);
            if (max < 0) throw new CliException("--limit cannot be negative.");
            await using var session = await run.OpenStoreAsync(StoreAccess.Read, ct).ConfigureAwait(false);
            var (set, _) = period.Set(run.Parse, session.Store, name);
            await run.RunAsync(session, QueryStatement.Ids(set.ToSetExpr(), new Paging(max)), ct).ConfigureAwait(false);
        });
        return command;
    }
}
