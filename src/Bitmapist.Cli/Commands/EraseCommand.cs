using System.CommandLine;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.IdMapping;
using Spectre.Console;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist --id-map NAME erase &lt;id&gt;... [--from-file F] [--resume]</c>: erases external ids (a GDPR erasure) with
/// <see cref="IdMap.EraseAsync"/>: each id's bits are cleared in every event key of every period and its mapping goes;
/// its internal id is never handed out again. <c>--resume</c> first finishes the erasures a crash or Ctrl-C left
/// (<see cref="IdMap.ResumeErasuresAsync"/>). One line per id says what happened; progress shows on a terminal.
/// </summary>
internal static class EraseCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var ids = new Argument<string[]>("id")
        {
            Description = "External ids to erase (with the global --id-map NAME); repeats are erased once.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var fromFile = new Option<string?>("--from-file")
        {
            Description = "Also erase the ids in this file, one per line (spaces around an id and blank lines are ignored); - for stdin.",
            HelpName = "file",
        };
        var resume = new Option<bool>("--resume")
        {
            Description = "First finish the erasures that were started and not finished (the process died, or was cancelled).",
        };
        var command = new Command("erase",
            "Erase external ids of the id map (--id-map NAME): clear their bits in every event key of every period and forget their " +
            "mapping; their internal ids are never reused. Exit status: 0 every id erased, 3 some ids had no mapping (the others " +
            "were erased), 1 store failure (finish with --resume), 130 cancelled (finish with --resume).");
        command.Arguments.Add(ids);
        command.Options.Add(fromFile);
        command.Options.Add(resume);
        command.SetBody(context, global, async (run, ct) =>
        {
            var mapName = run.Settings.IdMap ?? throw new CliException(
                "erase needs the id map to erase from: give the global option --id-map NAME (e.g. bitmapist --id-map users erase alice), " +
                "or a profile's \"idMap\".");
            var resuming = run.Parse.GetValue(resume);
            var wanted = new List<string>(run.Parse.GetValue(ids) ?? []);
            if (run.Parse.GetValue(fromFile) is { } file) wanted.AddRange(ReadIds(file));
            if (wanted.Count == 0 && !resuming)
                throw new CliException("give the external ids to erase (bitmapist --id-map users erase alice bob), --from-file FILE, or --resume.");
            // Every id is checked before anything is erased: a bad one anywhere stops the command with nothing done.
            foreach (var id in wanted) IdMap.ValidateExternalId(id, "id");
            // Erasing from a store file that is not there would create it, to say that no id was found.
            if (run.Settings.Data is { } path && !File.Exists(path))
                throw new CliException($"The store file '{path}' does not exist: there is nothing to erase.", Cli.Failed);

            await using var session = await run.OpenStoreAsync(StoreAccess.Write, ct).ConfigureAwait(false);
            var map = session.Store.IdMap(mapName);
            var reports = new List<(IdErasure Erasure, bool Resumed)>();
            try
            {
                await WithProgressAsync(context, wanted.Count, async progress =>
                {
                    if (resuming)
                        reports.AddRange((await map.ResumeErasuresAsync(progress, ct).ConfigureAwait(false)).Select(e => (e, true)));
                    if (wanted.Count > 0)
                        reports.AddRange((await map.EraseAsync(wanted, progress, ct).ConfigureAwait(false)).Select(e => (e, false)));
                }).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw new CliException(
                    $"Cancelled: the erasures already started stay in progress (their ids no longer map; a mark of them makes a new id). " +
                    $"Run 'bitmapist --id-map {mapName} erase --resume' to finish them.", Cli.Cancelled);
            }
            // The embedded store's journal still holds the erased ids' text and mapping: compacting rewrites the file without them.
            session.Save();

            var missing = reports.Count(r => r.Erasure.InternalId is null);
            // One scan serves every id of a call (each reports its keys): the resumed erasures' scan, then the new ones'.
            var scanned = reports.Where(r => r.Resumed).Select(r => r.Erasure.KeysScanned).FirstOrDefault()
                + reports.Where(r => !r.Resumed && r.Erasure.InternalId is not null).Select(r => r.Erasure.KeysScanned).FirstOrDefault();
            if (resuming && !reports.Any(r => r.Resumed)) context.Note($"--resume: no erasure of the id map '{mapName}' was in progress.");
            await run.Renderer.RenderAsync(new CommandSummary(
                Sentence(reports, mapName, session.Description, scanned),
                w =>
                {
                    w.WriteString("idMap", mapName);
                    w.WriteNumber("keysScanned", scanned);
                    w.WriteStartArray("ids");
                    foreach (var (e, resumed) in reports)
                    {
                        w.WriteStartObject();
                        w.WriteString("id", e.ExternalId);
                        if (e.InternalId is { } internalId) w.WriteNumber("internalId", internalId);
                        else w.WriteNull("internalId");
                        w.WriteString("status", Status(e, resumed));
                        w.WriteNumber("bitsCleared", e.BitsCleared);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                },
                ["id", "internalId", "status", "bitsCleared", "keysScanned"],
                reports.Select(r => (IReadOnlyList<string>)[r.Erasure.ExternalId, r.Erasure.InternalId is { } n ? Output.Text(n) : "",
                    Status(r.Erasure, r.Resumed), Output.Text(r.Erasure.BitsCleared), Output.Text(r.Erasure.KeysScanned)])), ct).ConfigureAwait(false);
            return missing > 0 ? Cli.Skipped : Cli.Ok;
        });
        return command;
    }

    /// <summary>What happened to one id: <c>erased</c>, <c>resumed</c> (an erasure a crash left, finished) or <c>no such id</c>.</summary>
    private static string Status(IdErasure e, bool resumed) => e.InternalId is null ? "no such id" : resumed ? "resumed" : "erased";

    /// <summary>The table format: one line per id, then what the scan covered.</summary>
    private static string Sentence(List<(IdErasure Erasure, bool Resumed)> reports, string map, string where, long scanned)
    {
        if (reports.Count == 0) return $"nothing to erase in the id map '{map}' of {where}";
        var lines = reports.Select(r => r.Erasure.InternalId is { } id
            ? $"{(r.Resumed ? "finished erasing" : "erased")} '{r.Erasure.ExternalId}' (internal id {id}): {ImportCommand.Plural(r.Erasure.BitsCleared, "bit")} cleared"
            : $"no such id '{r.Erasure.ExternalId}': it has no mapping in the id map '{map}' (nothing to erase)");
        var erased = reports.Count(r => r.Erasure.InternalId is not null);
        return string.Join('\n', lines.Append(
            $"{ImportCommand.Plural(erased, "id")} erased from the id map '{map}' of {where}; {ImportCommand.Plural(scanned, "event key")} scanned"));
    }

    /// <summary>The ids of <paramref name="path"/> (<c>-</c>: stdin), one per line, trimmed, blank lines skipped.</summary>
    private static List<string> ReadIds(string path)
    {
        if (path != "-" && Directory.Exists(path)) throw new CliException($"'{path}' is a directory: give a file of ids, one per line.");
        if (path != "-" && !File.Exists(path)) throw new CliException($"No such file: '{path}'.");
        using var reader = path == "-" ? new StreamReader(Console.OpenStandardInput()) : new StreamReader(path);
        var result = new List<string>();
        var line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            var id = text.Trim();
            if (id.Length == 0) continue;
            try
            {
                IdMap.ValidateExternalId(id, "id");
            }
            catch (ArgumentException e)
            {
                throw new CliException($"line {line} of '{path}': {CommandRunner.Describe(e, default).Message}");
            }
            result.Add(id);
        }
        return result;
    }

    /// <summary>Runs <paramref name="body"/> with a progress display on stderr when it is a terminal (keys scanned, bits cleared).</summary>
    private static async Task WithProgressAsync(CliContext context, int ids, Func<IProgress<IdErasureProgress>?, Task> body)
    {
        if (Console.IsErrorRedirected || !ReferenceEquals(context.Err, Console.Error))
        {
            await body(null).ConfigureAwait(false);
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        await console.Progress().StartAsync(async p =>
        {
            var what = ids == 0 ? "finishing erasures" : ids == 1 ? "erasing 1 id" : $"erasing {ids} ids";
            var task = p.AddTask(what, maxValue: 1);
            task.IsIndeterminate = true; // SCAN does not know how many keys there are until it ends
            await body(new Reporter(e =>
            {
                task.Description = $"{what}: {e.KeysScanned:N0} keys scanned, {e.BitsCleared:N0} bits cleared";
                if (e.KeysTotal >= 0)
                {
                    task.IsIndeterminate = false;
                    task.Value = 1;
                }
            })).ConfigureAwait(false);
            task.IsIndeterminate = false;
            task.Value = 1;
        }).ConfigureAwait(false);
    }

    /// <summary>Reports on the caller's thread (<see cref="Progress{T}"/> would post them later, after the display ended).</summary>
    private sealed class Reporter(Action<IdErasureProgress> report) : IProgress<IdErasureProgress>
    {
        public void Report(IdErasureProgress value) => report(value);
    }
}
