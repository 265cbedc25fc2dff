using System.CommandLine;
using System.Globalization;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Sample;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist sample --data &lt;file&gt; [--users n] [--days n] [--replace]</c>: writes the built-in sample data
/// (events signup, active, song:played; unique flag premium) into a store, ending on today (or --now's day).
/// </summary>
internal static class SampleCommand
{
    public static Command Create(CliContext context, GlobalOptions global)
    {
        var users = new Option<int>("--users")
        {
            Description = "Users who sign up over the window (ids 1 to n).",
            HelpName = "n",
            DefaultValueFactory = _ => StoreSession.DefaultSample.Users,
        };
        var days = new Option<int>("--days")
        {
            Description = "Length of the window in days, ending today (or on --now's day).",
            HelpName = "n",
            DefaultValueFactory = _ => StoreSession.DefaultSample.Days,
        };
        var replace = new Option<bool>("--replace") { Description = "Delete every event already in the store first." };
        var command = new Command("sample",
            "Write the built-in sample data (events signup, active, song:played; unique flag premium) into the store of --data (or --redis).");
        command.Options.Add(users);
        command.Options.Add(days);
        command.Options.Add(replace);
        command.SetBody(context, global, async (run, ct) =>
        {
            var settings = run.Settings;
            if (settings.Data is null && settings.Redis is null)
                throw new CliException("sample needs a store to write to: give --data FILE (or --redis CONNECTION).");
            var options = new SampleDataOptions(Users: run.Parse.GetValue(users), Days: run.Parse.GetValue(days));
            if (options.Users < 1) throw new CliException("--users must be at least 1.");
            if (options.Days < 1) throw new CliException("--days must be at least 1.");
            // Checked before the store is opened: with --replace, its events are deleted before the sample is generated.
            var lastDay = settings.Clock.GetUtcNow().UtcDateTime.Date;
            var maxDays = (lastDay - DateTime.MinValue).Days + 1;
            if (options.Days > maxDays)
                throw new CliException(string.Create(CultureInfo.InvariantCulture,
                    $"--days {options.Days} reaches before year 1: the window ends on {lastDay:yyyy-MM-dd}, so it takes at most {maxDays:N0} days."));

            await using var session = await run.OpenStoreAsync(StoreAccess.Write, ct).ConfigureAwait(false);
            var store = session.Store;
            var existing = await store.ListEventsAsync("", ct).ConfigureAwait(false);
            if (existing.Count > 0)
            {
                if (!run.Parse.GetValue(replace))
                    throw new CliException(
                        $"{Capitalized(session.Description)} already holds events ({string.Join(", ", existing.Take(5))}{(existing.Count > 5 ? ", ..." : "")}): " +
                        "give --replace to delete them first, or write the sample elsewhere.", Cli.Failed);
                await store.DeleteEventsAsync("", ct).ConfigureAwait(false);
            }
            var summary = await SampleData.GenerateAsync(store, options, ct: ct).ConfigureAwait(false);
            session.Save();

            var first = Day(summary.FirstDay);
            var last = Day(summary.LastDay);
            await run.Renderer.RenderAsync(new CommandSummary(
                string.Create(CultureInfo.InvariantCulture,
                    $"wrote sample data to {session.Description}: {options.Users} users, {first} to {last}, {summary.Records} records; " +
                    $"events {string.Join(", ", SampleData.Events)}; unique flag {SampleData.PremiumFlag}"),
                w =>
                {
                    w.WriteNumber("users", options.Users);
                    w.WriteNumber("days", options.Days);
                    w.WriteString("firstDay", first);
                    w.WriteString("lastDay", last);
                    w.WriteNumber("records", summary.Records);
                    w.WriteStartArray("events");
                    foreach (var e in SampleData.Events) w.WriteStringValue(e);
                    w.WriteEndArray();
                    w.WriteStartArray("uniqueFlags");
                    w.WriteStringValue(SampleData.PremiumFlag);
                    w.WriteEndArray();
                },
                ["users", "days", "first_day", "last_day", "records"],
                [[Output.Text(options.Users), Output.Text(options.Days), first, last, Output.Text(summary.Records)]]), ct).ConfigureAwait(false);
        });
        return command;
    }

    private static string Day(DateTime day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Capitalized(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
