using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Reference;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// The same programs, run on two back ends directly through <see cref="IBitmapBackend.RunAsync"/>, give the same
/// answers: the reference back end (HashSets, outside the library) and the embedded engine (paged bitmaps, its
/// AND-then-count fusion). Programs are planned through the public API (<see cref="BitmapStore.Plan(SetQuery, IReadOnlyDictionary{string, SetExpr}?)"/>,
/// <see cref="BitmapStore.PlanCounts"/>) for every profile, so the programs Redis 7 (chunked to 16 sources, no DIFF),
/// Redis 8.2 (DIFF, ANDOR) and bitmapist-server would get all run on both. A new back end copies this test with
/// its own back end in place of the embedded one.
/// </summary>
public class ReferenceVersusEmbeddedTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0, DateTimeKind.Utc);
    private static readonly SetExpr[] Leaves = [.. Enumerable.Range(0, 6).Select(i => SetExpr.Key($"k{i}"))];
    private static readonly SetExpr Universe = SetExpr.Key("U");

    private static readonly CapabilityProfile[] Profiles = [ReferenceBackend.ReferenceProfile, .. CapabilityProfile.All];

    private static readonly ReadKind[] Kinds = Enum.GetValues<ReadKind>();

    /// <summary>One case: the profile programs are planned for, the bits every key holds, and the reads asked.</summary>
    private sealed record Case(int Seed, CapabilityProfile Profile, List<BitWrite> Writes, List<SetQuery> Queries)
    {
        public override string ToString() => $"seed {Seed} on {Profile.Name}: {string.Join("; ", Queries)}";
    }

    private static readonly Gen<Case> Cases = Gen.Int.Select(seed =>
    {
        var r = new Random(seed);
        var writes = new List<BitWrite>();
        var universe = new HashSet<uint>();
        foreach (var leaf in Leaves.Cast<KeyNode>())
        {
            // Some keys empty, some small, some spread over pages up to 2^32, as an oracle store's keys are.
            var size = r.Next(5) == 0 ? 0 : r.Next(1, 60);
            for (var i = 0; i < size; i++)
            {
                var id = r.Next(3) == 0 ? RandomFormula.Wide(r) : RandomFormula.Interesting(r, (uint)r.Next(100, 200_000));
                writes.Add(new BitWrite(leaf.StoredKey, id, true));
                universe.Add(id);
            }
            // Cleared bits too: a key whose every bit was cleared still exists and is empty.
            if (size > 0 && r.Next(3) == 0) writes.Add(writes[^1] with { Value = false });
        }
        var queries = new List<SetQuery>();
        for (var q = r.Next(1, 5); q > 0; q--)
        {
            // Now and then a union wider than Redis 7's 16 sources, which its programs must split into chunks.
            var set = r.Next(6) == 0
                ? SetExpr.Or(Enumerable.Range(0, r.Next(17, 40)).Select(_ => r.Next(3) == 0 ? SetExpr.Ids([RandomFormula.Interesting(r)]) : Leaves[r.Next(Leaves.Length)]))
                : RandomFormula.Build(r, Leaves, depth: r.Next(2, 5), minDepth: 1);
            foreach (var id in Subtrees(set).OfType<IdsNode>().SelectMany(n => n.Members)) universe.Add(id);
            var kind = Kinds[r.Next(Kinds.Length)];
            var probe = universe.Count > 0 && r.Next(2) == 0 ? universe.ElementAt(r.Next(universe.Count)) : RandomFormula.Wide(r);
            queries.Add(new SetQuery(set, kind, kind is ReadKind.Contains or ReadKind.Ids ? probe : 0));
        }
        // The universe holds every id the case uses, plus users with no events.
        for (var i = 0; i < 5; i++) universe.Add((uint)r.Next(0, 300_000));
        writes.AddRange(universe.Select(id => new BitWrite(((KeyNode)Universe).StoredKey, id, true)));
        return new Case(seed, Profiles[r.Next(Profiles.Length)], writes, queries);
    });

    [Fact]
    public async Task The_same_programs_give_the_same_answers_on_the_reference_and_embedded_back_ends()
    {
        var reads = new Dictionary<ReadKind, int>();
        var multiRead = 0;
        await Cases.SampleAsync(async c =>
        {
            var options = new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)), Universe = Universe };
            // The store plans; both back ends run what it planned. The embedded back end runs any profile's program.
            await using var reference = new BitmapStore(new ReferenceBackend(c.Profile), options);
            await using var embedded = new EmbeddedStore(options);
            await reference.Backend.WriteBitsAsync(c.Writes, default);
            await embedded.Backend.WriteBitsAsync(c.Writes, default);

            foreach (var query in c.Queries)
            {
                var program = reference.Plan(query).Program;
                await SameAnswers(program, $"{query} on {c.Profile.Name}");
                reads[query.Read] = reads.GetValueOrDefault(query.Read) + 1;
            }
            var counts = reference.PlanCounts([.. c.Queries.Select(q => q.Set)]).Program;
            if (counts.Reads.Length > 1) multiRead++;
            await SameAnswers(counts, $"counts of {string.Join("; ", c.Queries.Select(q => q.Set))} on {c.Profile.Name}");

            async Task SameAnswers(BatchProgram program, string context)
            {
                var expected = await embedded.Backend.RunAsync(program, default);
                var actual = await reference.Backend.RunAsync(program, default);
                actual.Length.ShouldBe(program.Reads.Length, context);
                for (var i = 0; i < program.Reads.Length; i++)
                {
                    var read = program.Reads[i];
                    var what = $"{context}; read #{i} ({read.Kind} of {read.Source})";
                    // An any read is answered by a number that is positive exactly when the set has a member: the
                    // embedded engine stops at the first page that has one, the reference counts them all.
                    if (read.Kind == ReadKind.Any) (actual[i].Integer > 0).ShouldBe(expected[i].Integer > 0, what);
                    else actual[i].Integer.ShouldBe(expected[i].Integer, what);
                    (actual[i].Ids is null).ShouldBe(expected[i].Ids is null, what);
                    if (expected[i].Ids is null) continue;
                    await using var want = expected[i].Ids!;
                    await using var got = actual[i].Ids!;
                    (await got.MaxAsync(default)).ShouldBe(await want.MaxAsync(default), what);
                    (await Members(got, read.Id)).ShouldBe(await Members(want, read.Id), what);
                }
            }
        }, iter: 400, threads: 1, print: c => c.ToString());

        // Every kind of read, and programs of several reads, must have been asked, or this test proves little.
        foreach (var kind in Kinds) reads.GetValueOrDefault(kind).ShouldBeGreaterThan(20, $"{kind} reads");
        multiRead.ShouldBeGreaterThan(100, "programs of several counts");
    }

    private static async Task<List<uint>> Members(IdSource ids, uint from)
    {
        var members = new List<uint>();
        await foreach (var page in ids.PagesAsync(from, default)) members.AddRange(page);
        return members;
    }

    private static IEnumerable<SetExpr> Subtrees(SetExpr e) => e.Children.SelectMany(Subtrees).Prepend(e);
}
