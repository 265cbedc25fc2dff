using System.CommandLine;
using System.Globalization;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq;
using Bitmapist.Linq.Migration;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using Spectre.Console;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist migrate --from &lt;redis&gt; --to &lt;redis&gt; [--layout sharded[:K]|bitmapist] [--from-layout L]
/// [--to-prefix P] [--verify]</c>: copies every event key from one Redis into another in the layout asked
/// (<see cref="LayoutMigration"/>): bitmapist's keys into the sharded layout a Redis Cluster needs, or back for Python
/// readers. Re-runnable (each key is ORed in). A progress bar on a terminal, a line per tenth when stderr is piped.
/// </summary>
internal static class MigrateCommand
{
    /// <summary>Mismatches printed on stderr; JSON lists every one.</summary>
    public const int ListedMismatches = 10;

    public static Command Create(CliContext context, GlobalOptions global)
    {
        var from = new Option<string>("--from")
        {
            Description = "The Redis to copy from (a StackExchange.Redis connection string; a cluster's nodes comma-separated).",
            HelpName = "connection",
            Required = true,
        };
        var to = new Option<string>("--to")
        {
            Description = "The Redis to copy into (a cluster's nodes comma-separated).",
            HelpName = "connection",
            Required = true,
        };
        var fromLayout = new Option<string?>("--from-layout")
        {
            Description = "The source's key layout; default: the other one (bitmapist when --layout is sharded, sharded when it is bitmapist).",
            HelpName = "layout",
        };
        var toPrefix = new Option<string?>("--to-prefix")
        {
            Description = "The destination's key prefix; default: --prefix (on the same Redis give one that neither starts nor extends --prefix).",
            HelpName = "prefix",
        };
        var verify = new Option<bool>("--verify")
        {
            Description = "After the copy, compare every key's count (BITCOUNT) on both sides and list the keys that differ (exit status 1).",
        };
        var command = new Command("migrate",
            "Copy every event key from one Redis into another in the key layout of --layout (default sharded, what a Redis Cluster needs; " +
            "bitmapist copies a sharded store back for the Python library). Keys are merged with an OR, so running it again is safe and " +
            "adds what is missing (after a window of writing to both stores, for example). Exit status: 0 copied (and verified), " +
            "1 a store failed or --verify found keys that differ, 2 bad options.");
        command.Options.Add(from);
        command.Options.Add(to);
        command.Options.Add(fromLayout);
        command.Options.Add(toPrefix);
        command.Options.Add(verify);
        command.SetBody(context, global, async (run, ct) =>
        {
            var settings = run.Settings;
            if (settings.Redis is not null || settings.Data is not null)
                throw new CliException("migrate takes its stores from --from and --to, not from --redis or --data.");
            string source = run.Parse.GetValue(from)!, destination = run.Parse.GetValue(to)!;
            if (source.Trim().Length == 0 || destination.Trim().Length == 0)
                throw new CliException("--from and --to need a connection string, e.g. localhost:6379.");
            var toLayout = settings.Layout ?? KeyLayout.Sharded();
            var sourceLayout = GlobalOptions.ReadLayout(run.Parse.GetValue(fromLayout), "--from-layout")
                ?? (toLayout.IsSharded ? KeyLayout.Bitmapist : KeyLayout.Sharded());
            var destinationPrefix = run.Parse.GetValue(toPrefix) ?? settings.Prefix;
            if (destinationPrefix.Length == 0) throw new CliException("--to-prefix needs a prefix, e.g. trackist_.");

            var baseOptions = StoreSession.OptionsFor(settings);
            await using var sourceStore = await OpenAsync("--from", source, baseOptions with { Layout = sourceLayout }, "--from-layout").ConfigureAwait(false);
            await using var destinationStore = await OpenAsync("--to", destination,
                baseOptions with { Layout = toLayout, Keys = new KeyScheme(destinationPrefix) }, "--layout").ConfigureAwait(false);
            var migration = new LayoutMigration(sourceStore, destinationStore);
            string fromText = $"Redis at '{ConnectionString.Redact(source)}' ({sourceLayout})", toText = $"Redis at '{ConnectionString.Redact(destination)}' ({toLayout})";

            MigrationSummary copied = null!;
            VerificationReport? report = null;
            async Task Work(IProgress<MigrationProgress> progress)
            {
                copied = await migration.CopyAsync(progress, ct).ConfigureAwait(false);
                if (run.Parse.GetValue(verify)) report = await migration.VerifyAsync(progress, ct).ConfigureAwait(false);
            }

            if (!Console.IsErrorRedirected && ReferenceEquals(context.Err, Console.Error))
            {
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                await console.Progress().StartAsync(async p => await Work(new BarProgress(p)).ConfigureAwait(false)).ConfigureAwait(false);
            }
            else
            {
                await Work(new LineProgress(context)).ConfigureAwait(false);
            }

            var mismatches = report?.Mismatches ?? [];
            foreach (var m in mismatches.Take(ListedMismatches))
                context.Error($"{Describe(m)}: {Ids(m.SourceCount)} in the source, {Ids(m.DestinationCount)} in the destination");
            if (mismatches.Count > ListedMismatches)
                context.Error($"and {mismatches.Count - ListedMismatches} more keys that differ (--format json lists every one).");

            await run.Renderer.RenderAsync(Summary(copied, report, fromText, toText, sourceLayout, toLayout), ct).ConfigureAwait(false);
            return mismatches.Count > 0 ? Cli.Failed : Cli.Ok;
        });
        return command;
    }

    /// <summary>Opens one side, saying which side an error is about.</summary>
    private static async Task<RedisStore> OpenAsync(string option, string connection, StoreOptions options, string layoutOption)
    {
        try
        {
            return await RedisStore.ConnectAsync(connection, options).ConfigureAwait(false);
        }
        catch (BitmapistStoreException e)
        {
            // The library's advice names --layout, which for migrate's source is --from-layout.
            var hint = layoutOption == "--layout" || !e.Message.Contains("--layout", StringComparison.Ordinal)
                ? "" : " (for the source of migrate, give the layout with --from-layout)";
            throw new CliException($"{option}: {e.Message}{hint}", Cli.Failed);
        }
    }

    private static CommandSummary Summary(MigrationSummary c, VerificationReport? v, string from, string to, KeyLayout fromLayout, KeyLayout toLayout)
    {
        var inv = CultureInfo.InvariantCulture;
        var seconds = c.Elapsed.TotalSeconds;
        var sentence = string.Create(inv,
            $"migrated {ImportCommand.Plural(c.Keys, "key")} ({c.Ids:N0} ids, {c.Bytes / 1e6:0.#} MB) from {from} to {to} in {seconds:0.##} s: " +
            $"{c.KeysPerSecond:N0} keys/s, {c.MegabytesPerSecond:0.#} MB/s");
        if (c.EmptyKeys > 0) sentence += string.Create(inv, $"; {ImportCommand.Plural(c.EmptyKeys, "empty key")} not copied (empty either way)");
        if (v is not null)
            sentence += v.Matches
                ? string.Create(inv, $"; verified: every key's count matches ({ImportCommand.Plural(v.KeysCompared, "key")})")
                : string.Create(inv, $"; verify: {v.Mismatches.Count} of {ImportCommand.Plural(v.KeysCompared, "key")} differ");
        return new CommandSummary(sentence,
            w =>
            {
                w.WriteNumber("keys", c.Keys);
                w.WriteNumber("emptyKeys", c.EmptyKeys);
                w.WriteNumber("ids", c.Ids);
                w.WriteNumber("bytes", c.Bytes);
                w.WriteNumber("seconds", Math.Round(seconds, 3));
                w.WriteNumber("keysPerSecond", Math.Round(c.KeysPerSecond, 1));
                w.WriteNumber("megabytesPerSecond", Math.Round(c.MegabytesPerSecond, 2));
                w.WriteString("fromLayout", fromLayout.ToString());
                w.WriteString("toLayout", toLayout.ToString());
                if (v is null)
                {
                    w.WriteNull("verified");
                    return;
                }
                w.WriteBoolean("verified", v.Matches);
                w.WriteNumber("keysCompared", v.KeysCompared);
                w.WriteStartArray("mismatches");
                foreach (var m in v.Mismatches)
                {
                    w.WriteStartObject();
                    w.WriteString("event", m.EventName);
                    w.WriteString("unit", m.Period.Unit.ToString().ToLowerInvariant());
                    w.WriteString("period", m.Period.ToString());
                    w.WriteNumber("source", m.SourceCount);
                    w.WriteNumber("destination", m.DestinationCount);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            },
            ["keys", "empty_keys", "ids", "bytes", "seconds", "keys_per_second", "mb_per_second", "mismatches"],
            [[Output.Text(c.Keys), Output.Text(c.EmptyKeys), Output.Text(c.Ids), Output.Text(c.Bytes),
              seconds.ToString("0.###", inv), c.KeysPerSecond.ToString("0.#", inv), c.MegabytesPerSecond.ToString("0.##", inv),
              v is null ? "" : Output.Text(v.Mismatches.Count)]]);
    }

    /// <summary>"active 2026-11-28 (day)": a key by event and period.</summary>
    internal static string Describe(KeyCountMismatch m) =>
        m.Period.Unit == PeriodUnit.Unique ? $"{m.EventName} (unique flag)" : $"{m.EventName} {m.Period} ({m.Period.Unit.ToString().ToLowerInvariant()})";

    private static string Ids(long n) => n == 1 ? "1 id" : string.Create(CultureInfo.InvariantCulture, $"{n:N0} ids");

    /// <summary>Progress as lines on stderr: one when a phase starts and one per tenth of its keys.</summary>
    private sealed class LineProgress(CliContext context) : IProgress<MigrationProgress>
    {
        private readonly Lock _lock = new();
        private MigrationPhase? _phase;
        private long _tenth = -1;

        public void Report(MigrationProgress p)
        {
            lock (_lock)
            {
                if (p.Phase == MigrationPhase.Listing)
                {
                    if (_phase != MigrationPhase.Listing)
                        context.Note(_phase is null ? "migrate: listing the source's keys" : "migrate: listing both stores' keys to compare them");
                    _phase = p.Phase;
                    return;
                }
                if (_phase != p.Phase) _tenth = -1;
                var tenth = p.KeysTotal == 0 ? 10 : p.KeysDone * 10 / p.KeysTotal;
                if (tenth <= _tenth) return;
                _phase = p.Phase;
                _tenth = tenth;
                var verb = p.Phase == MigrationPhase.Copying ? "copied" : "compared";
                var amount = p.Phase == MigrationPhase.Copying ? string.Create(CultureInfo.InvariantCulture, $", {p.Ids:N0} ids, {p.Bytes / 1e6:0.#} MB") : "";
                context.Note(string.Create(CultureInfo.InvariantCulture,
                    $"migrate: {verb} {p.KeysDone:N0} of {p.KeysTotal:N0} keys ({tenth * 10}%){amount}"));
            }
        }
    }

    /// <summary>Progress as Spectre.Console bars on a terminal: one per phase.</summary>
    private sealed class BarProgress(ProgressContext progress) : IProgress<MigrationProgress>
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<MigrationPhase, ProgressTask> _tasks = [];

        public void Report(MigrationProgress p)
        {
            if (p.Phase == MigrationPhase.Listing) return;
            lock (_lock)
            {
                if (!_tasks.TryGetValue(p.Phase, out var task))
                    _tasks[p.Phase] = task = progress.AddTask(p.Phase == MigrationPhase.Copying ? "copying keys" : "verifying counts", maxValue: Math.Max(1, p.KeysTotal));
                task.Value = p.KeysTotal == 0 ? task.MaxValue : p.KeysDone;
            }
        }
    }
}
