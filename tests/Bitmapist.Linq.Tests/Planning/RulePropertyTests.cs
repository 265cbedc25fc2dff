using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Planning.Rules;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Testing;
using CsCheck;

namespace Bitmapist.Linq.Tests.Planning;

/// <summary>
/// Every optimizer rule, on random formulas over random sets (empty sets, sets of different sizes, literals,
/// the universe): evaluating a node before and after the rule gives the same members.
/// </summary>
public class RulePropertyTests
{
    private static readonly KeyScheme Keys = KeyScheme.Default;
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0);
    private static readonly SetExpr[] Leaves = [.. Enumerable.Range(0, 5).Select(i => SetExpr.Key($"k{i}"))];

    /// <summary>One random case: data for the leaves and a formula; the universe holds every id used.</summary>
    private sealed record Case(Dictionary<string, HashSet<uint>> Data, SetExpr Formula, int Seed)
    {
        public SetOracle Oracle => new(Keys, Data, Now, SetExpr.Key("U"));
        public override string ToString() => $"seed {Seed}: {Formula}";
    }

    private static readonly Gen<Case> Cases = Gen.Int.Select(seed =>
    {
        var r = new Random(seed);
        var data = new Dictionary<string, HashSet<uint>>();
        for (var i = 0; i < Leaves.Length; i++)
        {
            // Some leaves empty, some small, some larger, so lengths differ as Redis strings would.
            var size = r.Next(4) == 0 ? 0 : r.Next(1, 40);
            data[$"k{i}"] = [.. Enumerable.Range(0, size).Select(_ => RandomFormula.Interesting(r, (uint)r.Next(100, 70_000)))];
        }
        var formula = RandomFormula.Build(r, Leaves, depth: 4);
        var universe = new HashSet<uint>(data.Values.SelectMany(s => s));
        universe.UnionWith(Literals(formula));
        universe.UnionWith(Enumerable.Range(0, 5).Select(_ => (uint)r.Next(0, 100_000))); // users with no events
        data["U"] = universe;
        return new Case(data, formula, seed);
    });

    public static TheoryData<string> RuleNames() => [.. Optimizer.Rules.Append(Optimizer.Complement).Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(RuleNames))]
    public void Rule_preserves_members_wherever_it_applies(string ruleName)
    {
        var rule = Optimizer.Rules.Append(Optimizer.Complement).Single(r => r.Name == ruleName);
        var applied = 0;
        Cases.Sample(c =>
        {
            var oracle = c.Oracle;
            foreach (var node in Subtrees(c.Formula))
            {
                if (rule.TryRewrite(node) is not { } rewritten) continue;
                Interlocked.Increment(ref applied);
                var before = oracle.Eval(node);
                var after = oracle.Eval(rewritten);
                if (!before.SetEquals(after))
                    throw new Exception($"{rule.Name} changed members: {node} => {rewritten}");
            }
        }, iter: 3000, threads: 1);
        applied.ShouldBeGreaterThan(20, $"{ruleName} should fire on random formulas, or this test proves nothing");
    }

    [Fact]
    public void Whole_optimizer_preserves_members_and_removes_every_complement()
    {
        Cases.Sample(c =>
        {
            var oracle = c.Oracle;
            var optimized = Optimizer.Optimize(c.Formula, SetExpr.Key("U"));
            Kinds(optimized).ShouldNotContain(SetKind.Not);
            Kinds(optimized).ShouldNotContain(SetKind.Universe);
            oracle.Eval(optimized).SetEquals(oracle.Eval(c.Formula)).ShouldBeTrue($"{c.Formula} => {optimized}");
        }, iter: 3000, threads: 1);
    }

    [Fact]
    public void Sets_optimized_with_a_shared_memo_come_out_as_they_do_alone()
    {
        // A cohort table optimizes hundreds of sets that repeat each other's pieces with one memo of fixed
        // points; every set must come out exactly as it would on its own, whatever was optimized before it.
        Gen.Int.Sample(seed =>
        {
            var r = new Random(seed);
            var memo = new Optimizer.FixedPoints();
            var earlier = new List<SetExpr>();
            for (var i = 0; i < 20; i++)
            {
                var formula = RandomFormula.Build(r, Leaves, depth: 3);
                if (earlier.Count > 0 && r.Next(2) == 0) formula = SetExpr.And(earlier[r.Next(earlier.Count)], formula);
                earlier.Add(formula);
                var alone = Optimizer.Optimize(formula, SetExpr.Key("U"));
                Optimizer.Optimize(formula, SetExpr.Key("U"), memo: memo).ShouldBe(alone, $"seed {seed}: {formula}");
            }
        }, iter: 300, threads: 1);
    }

    [Fact]
    public void Without_a_universe_the_optimizer_either_needs_none_or_says_so()
    {
        int refused = 0, planned = 0;
        Cases.Sample(c =>
        {
            SetExpr optimized;
            try
            {
                optimized = Optimizer.Optimize(c.Formula, universe: null);
            }
            catch (BitmapistQueryException e)
            {
                e.Message.ShouldContain("universe");
                refused++;
                return;
            }
            planned++;
            Kinds(optimized).ShouldNotContain(SetKind.Universe);
            c.Oracle.Eval(optimized).SetEquals(c.Oracle.Eval(c.Formula)).ShouldBeTrue($"{c.Formula} => {optimized}");
        }, iter: 2000, threads: 1);
        refused.ShouldBeGreaterThan(0);
        planned.ShouldBeGreaterThan(0);
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Emitted_programs_compute_the_optimized_set(string profileName)
    {
        // Interprets the program with Redis BITOP semantics on sets; checks chunking, DIFF, ANDOR and A XOR (A AND T).
        var profile = CapabilityProfile.Parse(profileName);
        Cases.Sample(c =>
        {
            var optimized = Optimizer.Optimize(c.Formula, SetExpr.Key("U"));
            var program = ProgramEmitter.Emit(optimized, ReadKind.Count, 0, profile);
            var expected = c.Oracle.Eval(optimized);
            ProgramInterpreter.Run(program, c.Data).SetEquals(expected).ShouldBeTrue($"{optimized} on {profileName}");
            foreach (var step in program.Steps.OfType<BitOpStep>())
            {
                step.Sources.Length.ShouldBeLessThanOrEqualTo(profile.MaxSources);
                step.Sources.Length.ShouldBeGreaterThanOrEqualTo(2, "bitmapist-server needs two sources, and one-source BITOPs are wasted work");
                if (!profile.HasDiff) step.Op.ShouldNotBe(BitOpKind.Diff);
                if (!profile.HasAndOr) step.Op.ShouldNotBe(BitOpKind.AndOr);
            }
        }, iter: 1500, threads: 1);
    }

    public static TheoryData<string> Profiles() => [.. CapabilityProfile.All.Select(p => p.Name)];

    [Fact]
    public void Wide_unions_are_chunked_to_16_sources_on_redis7()
    {
        var wide = SetExpr.Or(Enumerable.Range(0, 40).Select(i => SetExpr.Key($"d{i}")));
        var program = ProgramEmitter.Emit(wide, ReadKind.Count, 0, CapabilityProfile.Redis7);
        program.Steps.OfType<BitOpStep>().ShouldAllBe(s => s.Sources.Length <= 16);
        program.Steps.Length.ShouldBe(3); // 16 + 16 + (8 + 2 partials)
        ProgramEmitter.Emit(wide, ReadKind.Count, 0, CapabilityProfile.Redis8).Steps.Length.ShouldBe(1);
    }

    [Fact]
    public void Common_sub_plans_are_computed_once()
    {
        var shared = SetExpr.And(SetExpr.Key("a"), SetExpr.Key("b"));
        var query = SetExpr.Xor(SetExpr.Or(shared, SetExpr.Key("c")), SetExpr.Or(shared, SetExpr.Key("d")));
        var program = ProgramEmitter.Emit(query, ReadKind.Count, 0, CapabilityProfile.Redis7);
        program.Steps.OfType<BitOpStep>().Count(s => s.Op == BitOpKind.And).ShouldBe(1);
    }

    private static IEnumerable<SetExpr> Subtrees(SetExpr e) => e.Children.SelectMany(Subtrees).Prepend(e);

    private static IEnumerable<SetKind> Kinds(SetExpr e) => Subtrees(e).Select(x => x.Kind);

    private static IEnumerable<uint> Literals(SetExpr e) => Subtrees(e).OfType<IdsNode>().SelectMany(i => i.Members);
}

/// <summary>Runs a program's steps on HashSets with Redis BITOP semantics (missing key = empty).</summary>
internal static class ProgramInterpreter
{
    public static HashSet<uint> Run(BatchProgram program, IReadOnlyDictionary<string, HashSet<uint>> data)
    {
        var temps = new Dictionary<int, HashSet<uint>>();
        HashSet<uint> Get(Operand o) => o.IsTemp ? [.. temps[o.Temp]] : data.TryGetValue(o.StoredKey!, out var s) ? [.. s] : [];
        foreach (var step in program.Steps)
        {
            temps[step.Target] = step switch
            {
                LiteralStep l => [.. l.Ids],
                BitOpStep { Op: BitOpKind.And } b => b.Sources.Select(Get).Aggregate((x, y) => { x.IntersectWith(y); return x; }),
                BitOpStep { Op: BitOpKind.Or } b => b.Sources.Select(Get).Aggregate((x, y) => { x.UnionWith(y); return x; }),
                BitOpStep { Op: BitOpKind.Xor } b => b.Sources.Select(Get).Aggregate((x, y) => { x.SymmetricExceptWith(y); return x; }),
                BitOpStep { Op: BitOpKind.Diff } b => b.Sources.Skip(1).Select(Get).Aggregate(Get(b.Sources[0]), (x, y) => { x.ExceptWith(y); return x; }),
                BitOpStep { Op: BitOpKind.AndOr } b => Get(b.Sources[0]).Intersect(b.Sources.Skip(1).SelectMany(Get)).ToHashSet(),
                _ => throw new InvalidOperationException(step.ToString()),
            };
        }
        return program.Reads[0].Source is { } r ? Get(r) : [];
    }
}
