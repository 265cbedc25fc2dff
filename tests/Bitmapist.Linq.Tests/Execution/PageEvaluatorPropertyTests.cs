using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Tests.Bitmaps;
using CsCheck;

namespace Bitmapist.Linq.Tests.Execution;

/// <summary>
/// The page-at-a-time evaluator against a step-at-a-time interpreter on <see cref="HashSet{T}"/>s, on random
/// programs: every operator, literals, temporaries rewritten and read back, steps whose target is one of their
/// sources, every read kind at any position (so fused AND counts, early-settled reads and membership-only
/// walks all occur), over stored keys of every container form and a key that does not exist.
/// </summary>
public class PageEvaluatorPropertyTests
{
    private static readonly string[] KeyNames = ["k0", "k1", "k2", "k3", "missing"];

    private sealed record Case(Dictionary<string, HashSet<uint>> Data, BatchProgram Program)
    {
        public override string ToString() =>
            string.Join("\n", Program.Steps.Select((s, i) => $"{i}: {s}")) + "\nreads: " + string.Join(", ", Program.Reads)
            + "\nsizes: " + string.Join(", ", Data.Select(kv => $"{kv.Key}={kv.Value.Count}"));
    }

    private static readonly Gen<Case> Cases =
        Gen.Select(BitmapGens.MixedDensitySet, BitmapGens.IdSet, BitmapGens.MixedDensitySet, BitmapGens.IdSet, Gen.Int)
            .Select((a, b, c, d, seed) => Build(new Dictionary<string, HashSet<uint>>
            {
                ["k0"] = a,
                ["k1"] = b,
                ["k2"] = c,
                // Every other id of k0 and of k2, plus d: operands that overlap, in every container form.
                ["k3"] = [.. a.Where(id => id % 2 == 0).Concat(c.Where(id => id % 2 == 1)).Concat(d)],
            }, seed));

    private static Case Build(Dictionary<string, HashSet<uint>> data, int seed)
    {
        var r = new Random(seed);
        var temps = r.Next(1, 5);
        var written = new List<int>();
        var steps = new List<ProgramStep>();
        var reads = new List<ProgramRead>();
        var members = data.Values.SelectMany(s => s).Take(200).ToArray();
        Operand Source()
        {
            if (written.Count > 0 && r.Next(2) == 0) return Operand.Temporary(written[r.Next(written.Count)]);
            return Operand.Stored(KeyNames[r.Next(KeyNames.Length)]);
        }
        uint Probe() => members.Length > 0 && r.Next(3) > 0 ? members[r.Next(members.Length)] + (uint)r.Next(0, 2) : (uint)r.Next(1 << 20);
        var stepCount = r.Next(1, 9);
        for (var i = 0; i < stepCount; i++)
        {
            var target = r.Next(temps);
            if (r.Next(8) == 0)
                steps.Add(new LiteralStep(target, [.. Enumerable.Range(0, r.Next(0, 6)).Select(_ => Probe()).Distinct().Order()]));
            else
            {
                var op = (BitOpKind)r.Next(5);
                var fanIn = r.Next(op is BitOpKind.Diff or BitOpKind.AndOr ? 2 : 1, 5);
                steps.Add(new BitOpStep(target, op, [.. Enumerable.Range(0, fanIn).Select(_ => Source())]));
            }
            if (!written.Contains(target)) written.Add(target);
            // Reads after this step: of this step's temporary (a fusable count), of another temporary, or of a stored key.
            var readCount = r.Next(0, 3);
            if (r.Next(3) == 0)
            {
                // A count right after its step: the evaluator counts the result without writing it.
                reads.Add(new ProgramRead(i + 1, Operand.Temporary(target)));
                readCount = 0;
            }
            for (var k = 0; k < readCount; k++)
            {
                var kind = (ReadKind)r.Next(Enum.GetValues<ReadKind>().Length);
                Operand? source = r.Next(6) switch
                {
                    0 => Operand.Stored(KeyNames[r.Next(KeyNames.Length)]),
                    1 => null,
                    2 => Operand.Temporary(written[r.Next(written.Count)]),
                    _ => Operand.Temporary(target),
                };
                reads.Add(new ProgramRead(i + 1, source, kind, kind == ReadKind.Contains ? Probe() : kind == ReadKind.Ids ? Probe() : 0));
            }
        }
        if (reads.Count == 0) reads.Add(new ProgramRead(steps.Count, Operand.Temporary(steps[^1].Target)));
        return new Case(data, new BatchProgram([.. steps], [.. reads], temps, CapabilityProfile.Embedded));
    }

    /// <summary>Step at a time, on HashSets: the definition of what a program answers.</summary>
    private static List<string> Interpret(Case c)
    {
        var temps = new Dictionary<int, HashSet<uint>>();
        HashSet<uint> Get(Operand o) => o.IsTemp ? temps[o.Temp] : c.Data.TryGetValue(o.StoredKey!, out var s) ? s : [];
        var answers = new string[c.Program.Reads.Length];
        foreach (var (read, i) in c.Program.InOrder())
        {
            if (read >= 0)
            {
                var r = c.Program.Reads[read];
                answers[read] = Describe(r, r.Source is { } s ? Get(s) : []);
                continue;
            }
            var step = c.Program.Steps[i];
            temps[step.Target] = step switch
            {
                LiteralStep l => [.. l.Ids],
                BitOpStep b => b.Op switch
                {
                    BitOpKind.And => b.Sources.Select(Get).Aggregate((x, y) => [.. x.Intersect(y)]),
                    BitOpKind.Or => [.. b.Sources.SelectMany(Get)],
                    BitOpKind.Xor => [.. b.Sources.SelectMany(Get).GroupBy(id => id).Where(g => g.Count() % 2 == 1).Select(g => g.Key)],
                    BitOpKind.Diff => [.. Get(b.Sources[0]).Except(b.Sources.Skip(1).SelectMany(Get))],
                    _ => [.. Get(b.Sources[0]).Intersect(b.Sources.Skip(1).SelectMany(Get))],
                },
                _ => throw new InvalidOperationException(),
            };
        }
        return [.. answers];
    }

    private static string Describe(ProgramRead read, IEnumerable<uint> set)
    {
        var ids = set.Order().ToArray();
        return read.Kind switch
        {
            ReadKind.Count => $"count {ids.Length}",
            ReadKind.Any => $"any {ids.Length > 0}",
            ReadKind.Contains => $"contains {read.Id} {ids.Contains(read.Id)}",
            ReadKind.Min => $"min {(ids.Length > 0 ? ids[0] : -1L)}",
            ReadKind.Max => $"max {(ids.Length > 0 ? ids[^1] : -1L)}",
            _ => $"ids from {read.Id}: {ids.Count(id => id >= read.Id)} " + string.Join(",", ids.Where(id => id >= read.Id).Take(20)),
        };
    }

    private static async Task<List<string>> Evaluate(Case c)
    {
        var keys = c.Data.ToDictionary(kv => kv.Key, kv => PagedBitmap.Of(kv.Value));
        var before = keys.ToDictionary(kv => kv.Key, kv => kv.Value.Ids().ToArray());
        var results = PageEvaluator.Run(c.Program, keys, CancellationToken.None);
        var answers = new List<string>();
        for (var i = 0; i < results.Length; i++)
        {
            var read = c.Program.Reads[i];
            var result = results[i];
            if (result.Ids is { } source)
            {
                var ids = new List<uint>();
                await foreach (var page in source.PagesAsync(0, CancellationToken.None)) ids.AddRange(page);
                answers.Add(Describe(read, ids));
                continue;
            }
            answers.Add(read.Kind switch
            {
                ReadKind.Count => $"count {result.Integer}",
                ReadKind.Any => $"any {result.Integer > 0}",
                ReadKind.Contains => $"contains {read.Id} {result.Integer == 1}",
                _ => $"min {result.Integer}",
            });
        }
        // Reading never changes a stored key.
        foreach (var (key, ids) in before) keys[key].Ids().ShouldBe(ids, $"{key} changed");
        return answers;
    }

    [Fact]
    public void Random_programs_answer_as_a_step_at_a_time_interpreter_on_hash_sets()
    {
        Cases.Sample(c =>
        {
            var expected = Interpret(c);
            var got = Evaluate(c).GetAwaiter().GetResult();
            got.ShouldBe(expected, c.ToString());
        }, iter: 150);
    }

    [Theory]
    [InlineData(BitOpKind.Or)]
    [InlineData(BitOpKind.Xor)]
    [InlineData(BitOpKind.Diff)]
    [InlineData(BitOpKind.AndOr)]
    public async Task A_count_right_after_any_operator_of_two_arrays_is_derived_from_their_intersection(BitOpKind op)
    {
        // Two overlapping array pages and one dense page: the count is derived (arrays) or built in scratch (dense).
        HashSet<uint> a = [.. Enumerable.Range(0, 3000).Select(i => (uint)(i * 7))];
        HashSet<uint> b = [.. Enumerable.Range(0, 3000).Select(i => (uint)(i * 5))];
        HashSet<uint> dense = [.. Enumerable.Range(0, 20_000).Select(i => (uint)(i * 3))];
        foreach (var (x, y) in new[] { ("a", "b"), ("b", "a"), ("a", "dense"), ("dense", "b") })
        {
            var data = new Dictionary<string, HashSet<uint>> { ["a"] = a, ["b"] = b, ["dense"] = dense };
            var program = new BatchProgram([new BitOpStep(0, op, [Operand.Stored(x), Operand.Stored(y)])], [new ProgramRead(1, Operand.Temporary(0))], 1, CapabilityProfile.Embedded);
            EmbeddedBackend.FusableSteps(program, anyOperator: true).ShouldContainKey(0);
            var c = new Case(data, program);
            (await Evaluate(c)).ShouldBe(Interpret(c), $"{op} of {x} and {y}");
        }
    }

    [Fact]
    public void A_count_of_a_wide_or_over_many_dense_pages_allocates_no_scratch_after_the_first_run()
    {
        // Warm: scratch containers come from the thread's evaluator, so a second run allocates only the
        // per-run bookkeeping (results, the compiled walk), not pages: far below one 8 KiB page per source page.
        var keys = Enumerable.Range(0, 4).ToDictionary(i => $"k{i}", i => PagedBitmap.Of(Enumerable.Range(0, 64).SelectMany(p => Enumerable.Range(0, 5000).Select(j => (uint)((p << 16) + (j * 13 + i) % 65536)))));
        var program = new BatchProgram(
            [
                new BitOpStep(0, BitOpKind.And, [Operand.Stored("k0"), Operand.Stored("k1")]),
                new BitOpStep(1, BitOpKind.Or, [Operand.Temporary(0), Operand.Stored("k2")]),
                new BitOpStep(0, BitOpKind.Xor, [Operand.Temporary(1), Operand.Stored("k3")]),
            ],
            [new ProgramRead(3, Operand.Temporary(0))], 2, CapabilityProfile.Embedded);
        var first = PageEvaluator.Run(program, keys, CancellationToken.None)[0].Integer;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = PageEvaluator.Run(program, keys, CancellationToken.None)[0].Integer;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        second.ShouldBe(first);
        allocated.ShouldBeLessThan(8 * 1024, "64 pages x 3 steps ran; a page-sized allocation per step would be 1.5 MB");
    }
}
