using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// Stage 5: turns optimized expressions over stored keys, each with a read, into one <see cref="BatchProgram"/> for one
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

    /// <summary>The program of one query: its set's steps, then one read of it.</summary>
    public static BatchProgram Emit(SetExpr optimized, ReadKind read, uint id, CapabilityProfile profile) =>
        Emit([(optimized, read, id)], profile);

    /// <summary>One program counting every set of <paramref name="optimized"/> (in order).</summary>
    public static BatchProgram EmitCounts(IReadOnlyList<SetExpr> optimized, CapabilityProfile profile) =>
        Emit([.. optimized.Select(o => (o, ReadKind.Count, 0u))], profile);

    /// <summary>
    /// One program answering every read of <paramref name="reads"/> (in order): sub-expressions shared between
    /// them are computed once, and each read is taken right after its set is complete.
    /// </summary>
    public static BatchProgram Emit(IReadOnlyList<(SetExpr Set, ReadKind Kind, uint Id)> reads, CapabilityProfile profile)
    {
        var emitter = new ProgramEmitter(profile);
        var sources = new Operand?[reads.Count];
        var positions = new int[reads.Count];
        for (var i = 0; i < reads.Count; i++)
        {
            sources[i] = reads[i].Set.Kind == SetKind.Empty ? null : emitter.Operand(reads[i].Set);
            positions[i] = emitter._steps.Count;
        }
        var live = Enumerable.Range(0, reads.Count).Where(i => sources[i] is not null).ToList();
        var (steps, mapped, temps) = ReuseTemporaries(emitter._steps,
            [.. live.Select(i => (positions[i], sources[i]!.Value, reads[i].Kind is ReadKind.Ids or ReadKind.Max))]);
        var result = new ProgramRead[reads.Count];
        for (var i = 0; i < result.Length; i++) result[i] = new ProgramRead(positions[i], null, reads[i].Kind, reads[i].Id);
        for (var j = 0; j < live.Count; j++) result[live[j]] = result[live[j]] with { Source = mapped[j] };
        return new BatchProgram([.. steps], [.. result], temps, profile) { Description = reads.Count == 1 ? "query" : "batch of counts" };
    }

    /// <summary>
    /// Gives each step's result the key of a temporary that is no longer needed, when there is one: on Redis a
    /// fresh key per node makes the server allocate (and page-fault) a new string every time, which made
    /// bandwidth-bound batches 2x slower than reusing keys (docs/performance.md, suite 4). BITOP may write
    /// into one of its own sources, so a source read for the last time by a step is free for its result; a
    /// temporary whose last reader is a count read (placed before step <c>Position</c>) is free for that step.
    /// The temporary of a read that streams ids stays distinct from every other: it may outlive the batch as a lease.
    /// </summary>
    private static (List<ProgramStep> Steps, List<Operand> Reads, int Temps) ReuseTemporaries(
        List<ProgramStep> steps, List<(int Position, Operand Source, bool Kept)> reads)
    {
        var lastUse = new Dictionary<int, int>();
        for (var i = 0; i < steps.Count; i++)
            if (steps[i] is BitOpStep b)
                foreach (var s in b.Sources.Where(s => s.IsTemp)) lastUse[s.Temp] = i;
        foreach (var (position, source, kept) in reads)
            if (source.IsTemp)
                lastUse[source.Temp] = kept || lastUse.GetValueOrDefault(source.Temp) == int.MaxValue
                    ? int.MaxValue : Math.Max(lastUse.GetValueOrDefault(source.Temp, -1), position);

        // The temporaries that die at each step (their last reader runs just before or at it).
        var dying = new Dictionary<int, List<int>>();
        foreach (var (temp, at) in lastUse)
            if (at != int.MaxValue) (dying.TryGetValue(at, out var list) ? list : dying[at] = []).Add(temp);

        var slotOf = new Dictionary<int, int>();
        var free = new SortedSet<int>();
        var slots = 0;
        var rewritten = new List<ProgramStep>(steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            Operand Map(Operand o) => o.IsTemp ? Backends.Operand.Temporary(slotOf[o.Temp]) : o;
            var mapped = step is BitOpStep bit ? bit with { Sources = [.. bit.Sources.Select(Map)] } : step;
            // Temporaries read here (or by a count just before) for the last time die now; their slots can
            // take this step's result. A step writing into its own source keeps that slot.
            if (dying.TryGetValue(i, out var dead))
                foreach (var t in dead.Where(t => t != step.Target && slotOf.ContainsKey(t)))
                    free.Add(slotOf[t]);
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
        var mappedReads = reads.Select(r => r.Source.IsTemp ? Backends.Operand.Temporary(slotOf[r.Source.Temp]) : r.Source).ToList();
        return (rewritten, mappedReads, slots);
    }

    private Operand Operand(SetExpr e)
    {
        if (e is KeyNode k) return Backends.Operand.Stored(k.StoredKey);
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
        // and[x, or[y..]] is one ANDOR on Redis 8.2, unless the union is computed already (a cohort's return set,
        // counted on its own and shared by a diagonal of cells): ANDing its result saves re-reading every source.
        if (kind == BitOpKind.And && _profile.HasAndOr && e.Children.Length == 2
            && e.Children.FirstOrDefault(c => c.Kind == SetKind.Or) is { } or && !_computed.ContainsKey(or))
        {
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
        return Backends.Operand.Temporary(target);
    }
}

