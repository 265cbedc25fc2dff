using System.CommandLine;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary><c>bitmapist explain &lt;event&gt; [--period unit] [--at when]</c>: how counting the set is planned and run.</summary>
internal static class ExplainCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var eventName = new Argument<string>("event") { Description = "Event name, e.g. active." };
        var period = new PeriodOptions();
        var command = new Command("explain", "Print the plan of counting an event in a period: logical and optimized plans, program and Redis commands.");
        command.Arguments.Add(eventName);
        period.AddTo(command);
        command.SetBody(context, global, async (run, ct) =>
        {
            var name = Parsing.EventName(run.Parse.GetValue(eventName));
            period.Validate(run.Parse);
            await using var session = await run.OpenStoreAsync(StoreAccess.Plan, ct).ConfigureAwait(false);
            var (set, _) = period.Set(run.Parse, session.Store, name);
            await run.RunAsync(session, new ExplainStatement(new QueryStatement(new SetQuery(set.ToSetExpr(), ReadKind.Count))), ct).ConfigureAwait(false);
        });
        return command;
    }
}
