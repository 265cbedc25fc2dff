using System.Collections.Immutable;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Execution;

/// <summary>
/// Stage 5: turns an optimized expression over stored keys into a <see cref="BitmapProgram"/> for one
/// capability profile. Equal sub-expressions are computed once (they print the same, so a dictionary finds
/// them). Differences use DIFF where the profile has it and the padding-safe A XOR (A AND T) elsewhere;
/// n-ary operators are split to the profile's fan-in limit; bare NOT is never emitted.
/// </summary>
internal sealed class ProgramEmitter
{
    private readonly CapabilityProfile _profile;
    private readonly List<ProgramStep> _steps = [];
    private readonly Dictionary<SetExpr, Operand> _computed = [];
    private int _temps;

    private ProgramEmitter(CapabilityProfile profile) => _profile = profile;

    public static BitmapProgram Emit(SetExpr optimized, ReadKind read, uint id, CapabilityProfile profile)
    {
        var emitter = new ProgramEmitter(profile);
        Operand? result = optimized.Kind == SetKind.Empty ? null : emitter.Operand(optimized);
        var (steps, finalResult, temps) = ReuseTemporaries(emitter._steps, result);
        return new BitmapProgram([.. steps], finalResult, read, id, temps, profile);
    }

    /// <summary>
    /// Gives each step's result the key of a temporary that is no longer needed, when there is one: on Redis a
    /// fresh key per node makes the server allocate (and page-fault) a new string every time, which made
    /// bandwidth-bound batches 2x slower than reusing keys (docs/performance.md, suite 4). BITOP may write
    /// into one of its own sources, so a source read for the last time by a step is free for its result.
    /// </summary>
    private static (List<ProgramStep> Steps, Operand? Result, int Temps) ReuseTemporaries(List<ProgramStep> steps, Operand? result)
    {
        var lastUse = new Dictionary<int, int>();
        for (var i = 0; i < steps.Count; i++)
            if (steps[i] is BitOpStep b)
                foreach (var s in b.Sources.Where(s => s.IsTemp)) lastUse[s.Temp] = i;
        if (result is { IsTemp: true } r) lastUse[r.Temp] = int.MaxValue;

        var slotOf = new Dictionary<int, int>();
        var free = new SortedSet<int>();
        var slots = 0;
        var rewritten = new List<ProgramStep>(steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            Operand Map(Operand o) => o.IsTemp ? Execution.Operand.Temporary(slotOf[o.Temp]) : o;
            var mapped = step is BitOpStep bit ? bit with { Sources = [.. bit.Sources.Select(Map)] } : step;
            // Sources read here for the last time die now; their slots can take this step's result.
            if (step is BitOpStep b)
                foreach (var dead in b.Sources.Where(s => s.IsTemp && lastUse[s.Temp] == i && s.Temp != step.Target).Select(s => s.Temp).Distinct())
                    free.Add(slotOf[dead]);
            if (!slotOf.TryGetValue(step.Target, out var slot))
            {
                if (free.Count > 0)
                {
                    slot = free.Min;
                    free.Remove(slot);
                }
                else slot = slots++;
                slotOf[step.Target] = slot;
            }
            rewritten.Add(mapped with { Target = slot });
            if (!lastUse.ContainsKey(step.Target)) free.Add(slot); // written but never read (cannot happen today; keeps the pool honest)
        }
        var finalResult = result is { IsTemp: true } res ? Execution.Operand.Temporary(slotOf[res.Temp]) : result;
        return (rewritten, finalResult, slots);
    }

    private Operand Operand(SetExpr e)
    {
        if (e is KeyNode k) return Execution.Operand.Stored(k.StoredKey);
        if (_computed.TryGetValue(e, out var done)) return done;
        var result = e switch
        {
            IdsNode ids => Write(t => new LiteralStep(t, ids.Members)),
            { Kind: SetKind.And } => EmitNary(e, BitOpKind.And),
            { Kind: SetKind.Or } => EmitNary(e, BitOpKind.Or),
            { Kind: SetKind.Xor } => EmitNary(e, BitOpKind.Xor),
            DiffNode d => EmitDiff(d),
            _ => throw new InvalidOperationException(
                $"Internal error: '{e}' ({e.Kind}) reached the emitter; binding and optimizing should have removed it."),
        };
        _computed[e] = result;
        return result;
    }

    private Operand EmitNary(SetExpr e, BitOpKind kind)
    {
        // and[x, or[y..]] is one ANDOR on Redis 8.2.
        if (kind == BitOpKind.And && _profile.HasAndOr && e.Children.Length == 2 && e.Children.Any(c => c.Kind == SetKind.Or))
        {
            var or = e.Children.First(c => c.Kind == SetKind.Or);
            var other = e.Children.First(c => !ReferenceEquals(c, or));
            return BitOp(BitOpKind.AndOr, [Operand(other), .. Chunk(BitOpKind.Or, or.Children.Select(Operand).ToList(), reserve: 1)]);
        }
        return BitOp(kind, Chunk(kind, e.Children.Select(Operand).ToList(), reserve: 0));
    }

    private Operand EmitDiff(DiffNode d)
    {
        var head = Operand(d.Head);
        var subtract = d.Subtract.Select(Operand).ToList();
        if (_profile.HasDiff)
            return BitOp(BitOpKind.Diff, [head, .. Chunk(BitOpKind.Or, subtract, reserve: 1)]);

        // A - T = A XOR (A AND T): correct for any string lengths, unlike NOT (which flips only up to
        // the source's length). T is the union of the subtracted sets.
        var union = subtract.Count == 1 ? subtract[0] : BitOp(BitOpKind.Or, Chunk(BitOpKind.Or, subtract, reserve: 0));
        var common = BitOp(BitOpKind.And, [head, union]);
        return Write(t => new BitOpStep(t, BitOpKind.Xor, [head, common]), reuse: common);
    }

    /// <summary>Groups sources so that one BITOP (plus <paramref name="reserve"/> other sources) stays within the fan-in limit.</summary>
    private List<Operand> Chunk(BitOpKind kind, List<Operand> sources, int reserve)
    {
        var limit = _profile.MaxSources - reserve;
        while (sources.Count > limit)
        {
            var size = Math.Min(_profile.MaxSources, sources.Count - limit + 1);
            var group = sources.GetRange(0, size);
            sources.RemoveRange(0, size);
            sources.Add(BitOp(kind, group)); // and/or/xor are associative: a chunk is a partial result
        }
        return sources;
    }

    private Operand BitOp(BitOpKind kind, List<Operand> sources) => Write(t => new BitOpStep(t, kind, [.. sources]));

    private Operand Write(Func<int, ProgramStep> step, Operand? reuse = null)
    {
        var target = reuse is { IsTemp: true } r ? r.Temp : _temps++;
        _steps.Add(step(target));
        return Execution.Operand.Temporary(target);
    }
}

