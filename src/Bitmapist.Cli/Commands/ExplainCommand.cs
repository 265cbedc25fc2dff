using System.CommandLine;

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
            var document = set.Explain();
            var output = run.Output;
            switch (output.Format)
            {
                case OutputFormat.Json:
                    output.Json(w => w.WriteString("explain", document));
                    break;
                case OutputFormat.Csv:
                    output.Csv(["explain"], [[document]]);
                    break;
                default:
                    await output.Writer.WriteAsync(document.AsMemory(), ct).ConfigureAwait(false);
                    break;
            }
        });
        return command;
    }
}
