using System.Text.Json;
using Bitmapist.Cli.Repl;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Tests;

/// <summary><c>events</c> with each event's users this month and of its unique flag: the REPL's, and <c>bitmapist events --counts</c>.</summary>
public sealed class EventCountsTests(SampleFile sample) : IClassFixture<SampleFile>
{
    /// <summary>The embedded back end of the sample file, counting the programs it runs (one program is one batch).</summary>
    private sealed class CountingBackend(IBitmapBackend inner) : IBitmapBackend
    {
        public int Programs;

        public CapabilityProfile Profile => inner.Profile;

        public Task<Linq.Backends.ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
        {
            Interlocked.Increment(ref Programs);
            return inner.RunAsync(program, ct);
        }

        public Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct) => inner.WriteBitsAsync(writes, ct);
        public Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct) => inner.MergeAsync(merges, ct);
        public IAsyncEnumerable<string> ScanAsync(string pattern, CancellationToken ct) => inner.ScanAsync(pattern, ct);
        public Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct) => inner.DeleteAsync(keys, ct);
        public Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct) => inner.AnyKeyExistsAsync(groups, ct);
        public IEnumerable<string> Describe(BatchProgram program) => inner.Describe(program);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private async Task<(long Month, long Unique)> Expected(string name)
    {
        await using var store = CliHarness.OpenStore(sample.Path);
        return (await store.Month(name, 2026, 11).CountAsync(), await store.Unique(name).CountAsync());
    }

    [Fact]
    public async Task The_REPL_shows_each_events_users_this_month_counted_in_one_batch()
    {
        var terminal = new ScriptedTerminal(width: 120);
        terminal.Type("events\n");
        terminal.Close();
        await using var file = CliHarness.OpenStore(sample.Path);
        var counting = new CountingBackend(file.Backend);
        var store = new BitmapStore(counting, file.Options); // not disposed: the file's store owns the back end
        var session = new ReplSession(terminal, store, new History(null), "test");
        (await session.RunAsync(CancellationToken.None)).ShouldBe(0);
        counting.Programs.ShouldBe(1);
        var screen = terminal.Screen;
        screen.ShouldContain("month: 2026-11");
        var (active, _) = await Expected("active");
        var (_, premium) = await Expected("premium");
        active.ShouldBeGreaterThan(0);
        premium.ShouldBeGreaterThan(0);
        screen.ShouldMatch($@"│ active\s+│\s+{active} │\s+0 │");
        screen.ShouldMatch($@"│ premium\s+│\s+0 │\s+{premium} │");
    }

    [Fact]
    public async Task Events_counts_prints_a_table_in_every_format_and_plain_events_keep_their_shape()
    {
        var (active, _) = await Expected("active");
        var (_, premium) = await Expected("premium");
        var json = (await CliHarness.Run(sample.Args("events", "--counts"))).Json().GetProperty("events");
        json.GetProperty("month").GetString().ShouldBe("2026-11");
        var rows = json.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("event").GetString()!);
        rows.Keys.ShouldBe(["active", "premium", "signup", "song:played"]);
        rows["active"].GetProperty("users_this_month").GetInt64().ShouldBe(active);
        rows["premium"].GetProperty("unique_flag").GetInt64().ShouldBe(premium);
        var table = await CliHarness.Run("events", "act", "--counts", "--data", sample.Path, "--now", CliHarness.Now);
        table.Out.ReplaceLineEndings("\n").ShouldBe($"month: 2026-11\nevent   users_this_month  unique_flag\nactive  {active,-16}  0\n");
        // Without --counts: the list scripts read, unchanged.
        (await CliHarness.Run(sample.Args("events"))).Json().GetProperty("events").ValueKind.ShouldBe(JsonValueKind.Array);
    }
}
