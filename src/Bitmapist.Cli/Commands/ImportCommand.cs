using System.CommandLine;
using Bitmapist.Linq.Tracking;
using Spectre.Console;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist import &lt;file.csv&gt; [--hourly] [--unique]</c>: loads <c>user id, event, timestamp</c> lines
/// through the bulk import path (client-built bitmaps merged on the server). Bad lines are reported with
/// their line numbers and skipped; good lines are kept. A progress bar shows on large files when stderr is a
/// terminal.
/// </summary>
internal static class ImportCommand
{
    private const int ListedProblems = 20;

    public static Command Create(CliContext context, GlobalOptions global)
    {
        var file = new Argument<string>("file") { Description = "CSV file: user id, event, timestamp (header optional); - for stdin." };
        var hourly = new Option<bool>("--hourly") { Description = "Also write hour keys." };
        var unique = new Option<bool>("--unique") { Description = "Also set each event's dateless unique flag." };
        var command = new Command("import", "Import events from a CSV file (user id, event, timestamp) in bulk; bad lines are reported and skipped.");
        command.Arguments.Add(file);
        command.Options.Add(hourly);
        command.Options.Add(unique);
        command.SetBody(context, global, async (run, ct) =>
        {
            var path = run.Parse.GetValue(file)!;
            var fromStdin = path == "-";
            if (!fromStdin && !File.Exists(path)) throw new CliException($"No such file: '{path}'.");
            var tracking = new TrackingOptions(Hourly: run.Parse.GetValue(hourly), Unique: run.Parse.GetValue(unique));

            await using var session = await run.OpenStoreAsync(StoreAccess.Write, ct, tracking).ConfigureAwait(false);
            var import = session.Store.CreateBulkImport();
            var problems = new List<CsvRecord>();
            var events = new SortedSet<string>(StringComparer.Ordinal);
            long imported = 0;

            async Task Load(Action<long>? progress)
            {
                using var reader = fromStdin ? new StreamReader(Console.OpenStandardInput()) : new StreamReader(path);
                foreach (var record in CsvRecords.Read(reader, progress))
                {
                    ct.ThrowIfCancellationRequested();
                    if (record.Problem is not null)
                    {
                        problems.Add(record);
                        continue;
                    }
                    await import.AddAsync(record.Event, record.UserId, record.At, ct).ConfigureAwait(false);
                    events.Add(record.Event);
                    imported++;
                }
                await import.FlushAsync(ct).ConfigureAwait(false);
            }

            var size = fromStdin ? 0 : new FileInfo(path).Length;
            if (size > 4 << 20 && !Console.IsErrorRedirected && ReferenceEquals(context.Err, Console.Error))
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                await console.Progress().StartAsync(async p =>
                {
                    var task = p.AddTask($"importing {Path.GetFileName(path)}", maxValue: size);
                    await Load(bytes => task.Value = Math.Min(bytes, size)).ConfigureAwait(false);
                    task.Value = size;
                }).ConfigureAwait(false);
            }
            else
            {
                await Load(null).ConfigureAwait(false);
            }
            session.Save();

            foreach (var bad in problems.Take(ListedProblems)) context.Error($"line {bad.Line}: {bad.Problem}; skipped.");
            if (problems.Count > ListedProblems) context.Error($"... and {problems.Count - ListedProblems} more bad lines, skipped.");

            var output = run.Output;
            switch (output.Format)
            {
                case OutputFormat.Json:
                    output.Json(w =>
                    {
                        w.WriteNumber("imported", imported);
                        w.WriteNumber("bad", problems.Count);
                        w.WriteStartArray("badLines");
                        foreach (var bad in problems) w.WriteNumberValue(bad.Line);
                        w.WriteEndArray();
                        w.WriteStartArray("events");
                        foreach (var e in events) w.WriteStringValue(e);
                        w.WriteEndArray();
                    });
                    break;
                case OutputFormat.Csv:
                    output.Csv(["imported", "bad"], [[Output.Text(imported), Output.Text(problems.Count)]]);
                    break;
                default:
                    output.Writer.WriteLine($"imported {imported} records ({events.Count} events) into {session.Description}" +
                                            (problems.Count > 0 ? $"; {problems.Count} bad lines skipped" : ""));
                    break;
            }
        });
        return command;
    }
}
