using System.CommandLine;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist ids &lt;event&gt; [--period unit] [--at when] [--limit n] [--output file]</c>: the users, ascending, streamed
/// (to stdout or a file); with an id map (<c>--id-map</c>), their external ids, still in order of internal id.
/// </summary>
internal static class IdsCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var eventName = new Argument<string>("event") { Description = "Event name, e.g. active." };
        var period = new PeriodOptions();
        var limit = new Option<int?>("--limit", "-n") { Description = "Print at most this many ids (the smallest).", HelpName = "n" };
        var output = new Option<string?>("--output", "-o")
        {
            Description = "Write the ids to this file instead of stdout, in the --format (table: one id a line); the file appears only when complete.",
            HelpName = "file",
        };
        var command = new Command("ids", "List the ids of the users who did an event in a period, ascending (with --id-map, their external ids, in order of internal id).");
        command.Arguments.Add(eventName);
        period.AddTo(command);
        command.Options.Add(limit);
        command.Options.Add(output);
        command.SetBody(context, global, async (run, ct) =>
        {
            var name = Parsing.EventName(run.Parse.GetValue(eventName));
            period.Validate(run.Parse);
            var max = run.Parse.GetValue(limit);
            if (max < 0) throw new CliException("--limit cannot be negative.");
            var file = run.Parse.GetValue(output);
            if (file is { Length: 0 }) throw new CliException("--output needs a file name.");
            await using var session = await run.OpenStoreAsync(StoreAccess.Read, ct).ConfigureAwait(false);
            var (set, _) = period.Set(run.Parse, session.Store, name);
            var statement = QueryStatement.Ids(set.ToSetExpr(), new Paging(max));
            if (file is null)
            {
                await run.RunAsync(session, statement, ct).ConfigureAwait(false);
                return;
            }
            var result = await new StatementExecutor(session.Store).ExecuteAsync(statement, null, ct).ConfigureAwait(false);
            var written = await ResultFile.WriteAsync(result, file, run.Settings.Format, ct).ConfigureAwait(false);
            StatementRunner.Warn(run.Context, result.Warnings);
            // stdout stays empty (the ids are in the file); what was written is a note, as the sample data's is.
            run.Context.Note(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"wrote {written:N0} ids to '{file}'."));
        });
        return command;
    }
}
