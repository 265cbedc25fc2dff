using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Testing;
using CsCheck;

namespace Bitmapist.Linq.Tests.Execution;

/// <summary>
/// The embedded store fuses "AND into a temporary, then count it" into one AndCount pass when nothing else
/// uses that temporary's value. Fusing a value something else reads would skip a step it needs, so the
/// one-pass finder is checked against the definition, read by read, on emitted programs.
/// </summary>
public class FusableStepsTests
{
    private static readonly SetExpr[] Leaves = [.. Enumerable.Range(0, 5).Select(i => SetExpr.Key($"k{i}"))];

    [Fact]
    public void A_count_right_after_its_and_fuses_unless_the_value_is_used_again()
    {
        Operand Key(string k) => Operand.Stored(k);
        Operand Tmp(int t) => Operand.Temporary(t);
        var program = new BatchProgram(
            [
                new BitOpStep(0, BitOpKind.And, [Key("a"), Key("b")]),   // 0
                new BitOpStep(1, BitOpKind.And, [Key("a"), Key("c")]),   // 1
                new BitOpStep(2, BitOpKind.Or, [Tmp(1), Key("d")]),      // 2: uses tmp1 again
                new BitOpStep(0, BitOpKind.And, [Key("c"), Key("d")]),   // 3: tmp0 rewritten, not read in between
                new BitOpStep(3, BitOpKind.And, [Key("a"), Key("d")]),   // 4
                new BitOpStep(4, BitOpKind.And, [Key("b"), Key("c")]),   // 5
                new BitOpStep(5, BitOpKind.And, [Key("b"), Key("d")]),   // 6
            ],
            [
                new ProgramRead(1, Tmp(0)), // fuses with step 0
                new ProgramRead(2, Tmp(1)), // tmp1 is used by step 2: no
                new ProgramRead(3, Tmp(2)), // an OR: no
                new ProgramRead(4, Tmp(0)), // fuses with step 3
                new ProgramRead(5, Tmp(3)), // fuses with step 4...
                new ProgramRead(5, Tmp(3)), // ...unless a second read uses the same value: neither fuses
                new ProgramRead(7, Tmp(4)), // another step ran since step 5: no
                new ProgramRead(7, Tmp(5)), // fuses with step 6
            ],
            6, CapabilityProfile.Embedded);
        EmbeddedBackend.FusableSteps(program).OrderBy(kv => kv.Key).ShouldBe([new(0, 0), new(3, 3), new(7, 6)]);
        // The page evaluator counts any operator's result without writing it: the OR read right after its step fuses too.
        EmbeddedBackend.FusableSteps(program, anyOperator: true).OrderBy(kv => kv.Key).ShouldBe([new(0, 0), new(2, 2), new(3, 3), new(7, 6)]);
    }

    [Fact]
    public void The_one_pass_finder_agrees_with_the_definition_on_emitted_programs()
    {
        int fused = 0, kept = 0;
        Gen.Int.Sample(seed =>
        {
            var r = new Random(seed);
            var sets = new List<SetExpr>();
            for (var i = 0; i < 15; i++)
            {
                var set = RandomFormula.Build(r, Leaves, depth: 3, allowUniverse: false);
                sets.Add(i > 0 && r.Next(2) == 0 ? SetExpr.And(sets[r.Next(sets.Count)], set) : set);
            }
            var universe = SetExpr.Key("U");
            var program = ProgramEmitter.EmitCounts([.. sets.Select(s => Optimizer.Optimize(s, universe))], CapabilityProfile.Embedded);
            var expected = Definition(program);
            EmbeddedBackend.FusableSteps(program).OrderBy(kv => kv.Key).ShouldBe(expected.OrderBy(kv => kv.Key), $"seed {seed}");
            fused += expected.Count;
            kept += program.Reads.Count(x => x.Source is { IsTemp: true }) - expected.Count;
        }, iter: 500, threads: 1);
        // Both answers must be common, or the comparison proves little.
        fused.ShouldBeGreaterThan(100);
        kept.ShouldBeGreaterThan(100);
    }

    /// <summary>Read r of temporary s at position p fuses with step p-1 when that step is an AND writing s from other
    /// sources, no other read sees the same value, and no step reads s before s is written again.</summary>
    private static Dictionary<int, int> Definition(BatchProgram program)
    {
        var result = new Dictionary<int, int>();
        for (var r = 0; r < program.Reads.Length; r++)
        {
            var (position, source) = (program.Reads[r].Position, program.Reads[r].Source);
            if (source is not { IsTemp: true } s || position == 0 || program.Steps[position - 1] is not BitOpStep { Op: BitOpKind.And } and
                || and.Target != s.Temp || and.Sources.Contains(s)) continue;
            var nextWrite = Enumerable.Range(position, program.Steps.Length - position).Where(i => program.Steps[i].Target == s.Temp).DefaultIfEmpty(int.MaxValue).First();
            var otherReads = program.Reads.Where((x, j) => j != r && x.Source == s && x.Position >= position && x.Position <= nextWrite).Any();
            // The step that writes s again still reads its sources first.
            var end = nextWrite == int.MaxValue ? program.Steps.Length : nextWrite + 1;
            var usedByStep = Enumerable.Range(position, end - position)
                .Any(i => program.Steps[i] is BitOpStep b && b.Sources.Contains(s));
            if (!otherReads && !usedByStep) result[r] = position - 1;
        }
        return result;
    }
}
