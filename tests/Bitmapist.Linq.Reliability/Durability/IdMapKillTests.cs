using System.Globalization;
using Bitmapist.Linq.Reliability.Infrastructure;
using Bitmapist.Linq.Stores;
using Xunit.Abstractions;

namespace Bitmapist.Linq.Reliability.Durability;

/// <summary>
/// The embedded store's id maps under <c>kill -9</c>: a writer process (the writer's "ids" mode) get-or-creates an
/// external id, prints the internal id it got, marks the user by external id, and saves now and then, with a journal
/// threshold small enough that automatic compactions happen too. While it writes, reader processes' opens
/// (<see cref="EmbeddedStore.OpenReadOnly"/>) see every mapping acknowledged before they opened; after each kill the
/// store holds every acknowledged mapping with the id it was acknowledged with, and the next writer (a new process)
/// never hands out an id handed out before.
/// </summary>
[Collection(Serial.Name)]
public sealed class IdMapKillTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bitmapist-idkill-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Policies = ["EveryBatch", "Every:20", "Off"];

    private static StoreOptions Options => new() { IdMap = "users", FileLockTimeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Every_acknowledged_mapping_survives_kill_9_and_no_id_is_handed_out_twice()
    {
        var path = Path.Combine(_dir, "ids.bmdb");
        var mapped = new Dictionary<long, uint>(); // op -> the internal id acknowledged for user-op
        var marked = new HashSet<long>();
        var rng = new Random(Testing.OracleSeed.Value);
        var budget = TimeSpan.FromSeconds(Budget.LongSeconds ?? 0);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rounds = 0;
        var readerChecks = 0;
        long next = 0;
        while (Budget.LongSeconds is null ? rounds < 9 : clock.Elapsed < budget)
        {
            var policy = Policies[rounds % Policies.Length];
            using var writer = WriterProcess.Start(path, policy, compactionBytes: 1 << 10, first: next, ids: true);
            await writer.Opened.WaitAsync(TimeSpan.FromSeconds(60));
            writer.Lines.ShouldContain("open", $"round {rounds}: {string.Join(" | ", writer.Lines)}");
            await Task.Delay(rng.Next(20, 400));

            // A reader process's view while the writer writes: every mapping acknowledged before it opened.
            var before = Parse(writer.Lines);
            if (before.Mapped.Count > 0) // else the first round's file may not exist yet
            {
                using var reader = EmbeddedStore.OpenReadOnly(path, Options);
                (await MissingFrom(reader, before.Mapped, new HashSet<long>())).ShouldBeNull($"round {rounds} ({policy}), a reader opened while the writer wrote");
                readerChecks += before.Mapped.Count;
            }

            await Task.Delay(rng.Next(5, 300));
            var lines = await writer.KillAsync();
            var (acknowledged, marks, last) = Parse(lines);
            foreach (var (op, id) in acknowledged) mapped.Add(op, id);
            marked.UnionWith(marks);
            next = Math.Max(next, last + 1);

            mapped.Values.Distinct().Count().ShouldBe(mapped.Count, $"round {rounds} ({policy}): an internal id was handed out twice");
            if (mapped.Count == 0 && !File.Exists(path))
            {
                rounds++; // killed before its first write created the file: nothing to check yet
                continue;
            }
            using (var reader = EmbeddedStore.OpenReadOnly(path, Options))
                (await MissingFrom(reader, mapped, marked)).ShouldBeNull($"round {rounds} ({policy}), read-only open after the kill");
            using (var reopened = EmbeddedStore.Open(path, Options))
                (await MissingFrom(reopened, mapped, marked)).ShouldBeNull($"round {rounds} ({policy}), writer's open after the kill");
            rounds++;
        }
        output.WriteLine($"{rounds} rounds, {mapped.Count} acknowledged mappings and {marked.Count} marks checked, " +
                         $"{readerChecks} mappings checked by readers opened mid-write; seed {Testing.OracleSeed.Value}");
        mapped.Count.ShouldBeGreaterThan(rounds, "the writers wrote");
    }

    /// <summary>The writer's acknowledged mappings ("i OP ID"), marks ("u OP") and its last operation.</summary>
    private static (Dictionary<long, uint> Mapped, HashSet<long> Marked, long Last) Parse(IEnumerable<string> lines)
    {
        var mapped = new Dictionary<long, uint>();
        var marked = new HashSet<long>();
        var last = -1L;
        foreach (var parts in lines.Select(l => l.Split(' ')))
        {
            if (parts.Length < 2 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var op)) continue;
            if (parts[0] == "i" && parts.Length == 3) mapped[op] = uint.Parse(parts[2], CultureInfo.InvariantCulture);
            if (parts[0] == "u") marked.Add(op);
            last = Math.Max(last, op);
        }
        return (mapped, marked, last);
    }

    /// <summary>Null when <paramref name="store"/> maps every external id to its acknowledged id and back, and holds every acknowledged mark.</summary>
    private static async Task<string?> MissingFrom(EmbeddedStore store, IReadOnlyDictionary<long, uint> mapped, IReadOnlySet<long> marked)
    {
        var ops = mapped.Keys.Order().ToArray();
        var map = store.IdMap("users");
        var ids = await map.FindAsync([.. ops.Select(op => $"user-{op}")]);
        var back = await map.FindExternalAsync([.. ops.Select(op => mapped[op])]);
        var u = (await store.Month("u", 2026, 11).ToListAsync()).ToHashSet();
        var lost = ops.Select((op, k) => (op, k))
            .Where(x => ids[x.k] != mapped[x.op] || back[x.k] != $"user-{x.op}")
            .Select(x => $"user-{x.op} -> {ids[x.k]?.ToString(CultureInfo.InvariantCulture) ?? "none"} (acknowledged {mapped[x.op]}), back {back[x.k] ?? "none"}")
            .Concat(marked.Where(op => !u.Contains(mapped[op])).Select(op => $"mark of user-{op}"))
            .Take(10).ToList();
        return lost.Count == 0 ? null : $"{lost.Count} (first 10) acknowledged writes missing: {string.Join(", ", lost)}";
    }
}
