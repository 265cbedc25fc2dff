using System.CommandLine;
using System.Globalization;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Tracking;
using Spectre.Console;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist import &lt;file.csv&gt; [--hourly] [--unique] [--header | --no-header] [--delimiter d]</c>: loads
/// <c>user id, event, timestamp</c> records through the bulk import path (client-built bitmaps merged on the
/// server). Bad lines are reported (the first <see cref="ListedProblems"/> by line number) and skipped, good ones
/// kept, and the exit code is <see cref="Cli.Skipped"/>; binary input is refused before anything is read. A
/// progress bar shows on large files when stderr is a terminal. With <c>--id-map</c> the user id column holds external
/// ids (any text), mapped through the store's id map in batches (<see cref="BulkImport.MapBatchSize"/> records per id map
/// call); the summary says how many internal ids the map handed out meanwhile.
/// </summary>
internal static class ImportCommand
{
    /// <summary>Bad lines printed on stderr; the rest are counted (and listed by number in JSON).</summary>
    public const int ListedProblems = 10;

    public static Command Create(CliContext context, GlobalOptions global)
    {
        var file = new Argument<string>("file")
        {
            Description = "CSV file: user id, event, timestamp (header optional); - for stdin. With --id-map the user id is an external id (any text).",
        };
        var hourly = new Option<bool>("--hourly") { Description = "Also write hour keys." };
        var unique = new Option<bool>("--unique") { Description = "Also set each event's dateless unique flag." };
        var header = new Option<bool>("--header") { Description = "The first line is a header: skip it (default: detected, and said on stderr)." };
        var noHeader = new Option<bool>("--no-header") { Description = "Every line is a record, the first too." };
        var delimiter = new Option<string?>("--delimiter")
        {
            Description = "Field delimiter: ',', ';', '|' or tab ('\\t'); default: tab if the first line has one, else comma (semicolon if it has only those).",
            HelpName = "d",
        };
        var command = new Command("import",
            "Import events from a CSV file (user id, event, timestamp: ISO date or time, or Unix seconds/milliseconds) in bulk; " +
            "bad lines are reported and skipped. Exit status: 0 every record imported, 3 some lines skipped (the others imported), " +
            "2 bad input (nothing imported), 1 store failure.");
        command.Arguments.Add(file);
        command.Options.Add(hourly);
        command.Options.Add(unique);
        command.Options.Add(header);
        command.Options.Add(noHeader);
        command.Options.Add(delimiter);
        command.SetBody(context, global, async (run, ct) =>
        {
            var path = run.Parse.GetValue(file)!;
            if (run.Parse.GetValue(header) && run.Parse.GetValue(noHeader))
                throw new CliException("give --header or --no-header, not both.");
            var headerMode = run.Parse.GetValue(header) ? HeaderMode.Present : run.Parse.GetValue(noHeader) ? HeaderMode.Absent : HeaderMode.Detect;
            char? given = run.Parse.GetValue(delimiter) is { } d ? ImportInput.ParseDelimiter(d) : null;
            var tracking = new TrackingOptions(Hourly: run.Parse.GetValue(hourly), Unique: run.Parse.GetValue(unique));

            // The input is checked (directory, binary) before the store is opened: a refused file changes nothing.
            using var input = ImportInput.Open(path, given, Console.OpenStandardInput);
            await using var session = await run.OpenStoreAsync(StoreAccess.Write, ct, tracking).ConfigureAwait(false);
            var import = session.Store.CreateBulkImport();
            var idMap = session.Store.DefaultIdMap;
            var records = new CsvRecords(input.Delimiter, headerMode, delimiterGiven: given is not null, externalIds: idMap is not null);
            // Ids the map handed out during the import: its counter before and after (one cheap call each: a hash length and
            // a counter per lane on Redis, in memory embedded). Another writer's new ids made meanwhile are counted too.
            var allocatedBefore = idMap is null ? 0 : (await idMap.CountAsync(ct).ConfigureAwait(false)).Allocated;
            var problems = new List<CsvRecord>(ListedProblems);
            var badLines = new List<long>();
            var events = new SortedSet<string>(StringComparer.Ordinal);
            long imported = 0;

            async Task Load(Action? progress)
            {
                foreach (var record in records.Read(input.Reader, progress))
                {
                    ct.ThrowIfCancellationRequested();
                    if (record.Problem is not null)
                    {
                        if (problems.Count < ListedProblems) problems.Add(record);
                        badLines.Add(record.Line);
                        continue;
                    }
                    if (record.ExternalId is { } externalId) await import.AddAsync(record.Event, externalId, record.At, ct).ConfigureAwait(false);
                    else await import.AddAsync(record.Event, record.UserId, record.At, ct).ConfigureAwait(false);
                    events.Add(record.Event);
                    imported++;
                }
                await import.FlushAsync(ct).ConfigureAwait(false);
            }

            async Task LoadWithProgress()
            {
                var size = input.Length;
                if (size > 4 << 20 && !Console.IsErrorRedirected && ReferenceEquals(context.Err, Console.Error))
                {
                    var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                    await console.Progress().StartAsync(async p =>
                    {
                        var task = p.AddTask($"importing {Path.GetFileName(path)}", maxValue: size);
                        await Load(() => task.Value = Math.Min(input.Position, size)).ConfigureAwait(false);
                        task.Value = size;
                    }).ConfigureAwait(false);
                }
                else
                {
                    await Load(null).ConfigureAwait(false);
                }
            }

            try
            {
                await LoadWithProgress().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // Groups already sent stay in the store: say so, and that a rerun finishes the job (a mark sets a bit,
                // so marking a record twice changes nothing; an external id keeps the internal id it was given).
                throw new CliException(
                    $"Cancelled after reading {Plural(imported, "record")}: some of them may already be in {session.Description}. " +
                    (idMap is null ? "Marking is idempotent" : $"Marking is idempotent and the id map '{idMap.Name}' keeps the ids it gave") +
                    ": run the same import again to finish it.", Cli.Cancelled);
            }
            session.Save();
            long? newIds = idMap is null ? null : (await idMap.CountAsync(ct).ConfigureAwait(false)).Allocated - allocatedBefore;

            if (records.Header is { } line && headerMode == HeaderMode.Detect)
                context.Note($"took the first line '{line}' as a header and skipped it: {records.HeaderReason}. Give --no-header to import it as a record.");
            foreach (var bad in problems) context.Error($"line {bad.Line} skipped: {bad.Problem}");
            if (badLines.Count > 0) context.Error(Summary(badLines.Count));

            await run.Renderer.RenderAsync(new CommandSummary(
                $"imported {Plural(imported, "record")} ({Plural(events.Count, "event")}) into {session.Description}" +
                    (newIds is { } n ? $"; {Plural(n, "new id")} in the id map '{idMap!.Name}'" : "") +
                    (badLines.Count > 0 ? $"; {Plural(badLines.Count, "bad line")} skipped" : ""),
                w =>
                {
                    w.WriteNumber("imported", imported);
                    if (newIds is { } created)
                    {
                        w.WriteString("idMap", idMap!.Name);
                        w.WriteNumber("newIds", created);
                    }
                    w.WriteNumber("bad", badLines.Count);
                    w.WriteStartArray("badLines");
                    foreach (var n in badLines) w.WriteNumberValue(n);
                    w.WriteEndArray();
                    if (records.Header is { } h) w.WriteString("header", h);
                    else w.WriteNull("header");
                    w.WriteStartArray("events");
                    foreach (var e in events) w.WriteStringValue(e);
                    w.WriteEndArray();
                },
                newIds is null ? ["imported", "bad"] : ["imported", "bad", "newIds"],
                [newIds is { } c ? [Output.Text(imported), Output.Text(badLines.Count), Output.Text(c)] : [Output.Text(imported), Output.Text(badLines.Count)]]),
                ct).ConfigureAwait(false);
            return badLines.Count > 0 ? Cli.Skipped : Cli.Ok;
        });
        return command;
    }

    /// <summary><paramref name="n"/> and the noun, plural unless <paramref name="n"/> is 1 ("1 record", "2 records").</summary>
    internal static string Plural(long n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    /// <summary>The closing line on stderr when lines were skipped.</summary>
    internal static string Summary(int skipped)
    {
        var count = skipped.ToString("N0", CultureInfo.InvariantCulture);
        var lines = skipped == 1 ? "1 line" : $"{count} lines";
        var shown = skipped > ListedProblems ? $" (first {ListedProblems} shown; --format json lists every line number)" : "";
        return $"{lines} skipped{shown}; the other records were imported, exit status {Cli.Skipped}.";
    }
}
