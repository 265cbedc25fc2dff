using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>One step as the page evaluator runs it: operands resolved to source numbers (≥ 0), temporaries (~temp) or <see cref="CompiledProgram.Absent"/>.</summary>
internal sealed record CompiledStep(BitOpKind Op, int Target, int[] Operands);

/// <summary>One entry of the per-page walk: a step, or a read (with the step it is fused with, if any: counted, never written).</summary>
internal readonly record struct WalkItem(CompiledStep? Step, int Read, CompiledStep? Fused);

/// <summary>
/// A <see cref="BatchProgram"/> bound to the embedded store's bitmaps for one run: stored keys looked up once,
/// literals built once, reads of stored keys answered directly (they need no walk), and the steps and reads of
/// temporaries laid out as the walk every page repeats. A count of a step's result that nothing else reads is
/// fused with it (<see cref="EmbeddedBackend.FusableSteps"/>): the result is counted, never written.
/// </summary>
internal sealed class CompiledProgram
{
    /// <summary>An operand whose stored key does not exist: the empty set.</summary>
    public const int Absent = int.MinValue;

    private readonly List<(int Read, ReadResult Result)> _direct = [];
    private readonly BatchProgram _program;

    private CompiledProgram(BatchProgram program) => _program = program;

    /// <summary>The stored bitmaps and literals the walk reads, by source number.</summary>
    public PagedBitmap[] Sources { get; private set; } = [];

    /// <summary>What every page runs, in program order; empty when no read needs a walk.</summary>
    public WalkItem[] Walk { get; private set; } = [];

    /// <summary>The reads answered by the walk (reads of temporaries).</summary>
    public int[] LoopReads { get; private set; } = [];

    /// <summary>How many operands of the walk read each source.</summary>
    public int[] SourceUses { get; private set; } = [];

    /// <summary>The largest number of operands of a step or fused read.</summary>
    public int MaxFanIn { get; private set; }

    public static CompiledProgram Compile(BatchProgram program, IReadOnlyDictionary<string, PagedBitmap> keys)
    {
        var compiled = new CompiledProgram(program);
        var sources = new List<PagedBitmap>();
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var loopReads = new List<int>();
        for (var r = 0; r < program.Reads.Length; r++)
        {
            var read = program.Reads[r];
            if (read.Source is not { } source) compiled._direct.Add((r, ReadResult.OfEmpty(read)));
            else if (!source.IsTemp) compiled._direct.Add((r, Direct(read, keys.TryGetValue(source.StoredKey!, out var b) ? b : null)));
            else loopReads.Add(r);
        }
        compiled.LoopReads = [.. loopReads];
        if (loopReads.Count == 0) return compiled;

        var uses = new List<int>();
        int Operand(Operand o)
        {
            if (o.IsTemp) return ~o.Temp;
            if (byKey.TryGetValue(o.StoredKey!, out var index))
            {
                uses[index]++;
                return index;
            }
            if (!keys.TryGetValue(o.StoredKey!, out var bitmap)) return Absent;
            sources.Add(bitmap);
            uses.Add(1);
            return byKey[o.StoredKey!] = sources.Count - 1;
        }
        CompiledStep Step(ProgramStep step)
        {
            switch (step)
            {
                case BitOpStep b:
                    var operands = new int[b.Sources.Length];
                    for (var k = 0; k < operands.Length; k++) operands[k] = Operand(b.Sources[k]);
                    compiled.MaxFanIn = Math.Max(compiled.MaxFanIn, operands.Length);
                    return new CompiledStep(b.Op, b.Target, operands);
                case LiteralStep l:
                    // A literal is one more source; the step copies it (an OR of one input).
                    sources.Add(PagedBitmap.Of(l.Ids));
                    uses.Add(1);
                    return new CompiledStep(BitOpKind.Or, l.Target, [sources.Count - 1]);
                default:
                    throw new InvalidOperationException(step.ToString());
            }
        }

        var fused = EmbeddedBackend.FusableSteps(program, anyOperator: true);
        var skipped = fused.Values.ToHashSet();
        var inLoop = loopReads.ToHashSet();
        var walk = new List<WalkItem>();
        var lastRead = loopReads[^1];
        foreach (var (read, i) in program.InOrder())
        {
            if (read >= 0)
            {
                if (!inLoop.Contains(read)) continue;
                walk.Add(new WalkItem(null, read, fused.TryGetValue(read, out var step) ? Step(program.Steps[step]) : null));
                if (read == lastRead) break; // steps after the last read feed nothing
                continue;
            }
            if (!skipped.Contains(i)) walk.Add(new WalkItem(Step(program.Steps[i]), -1, null));
        }
        compiled.Walk = [.. walk];
        compiled.Sources = [.. sources];
        compiled.SourceUses = [.. uses];
        return compiled;
    }

    /// <summary>Writes the answers that needed no walk: reads of stored keys and of the empty set.</summary>
    public void AnswerWithoutWalk(ReadResult[] results)
    {
        foreach (var (read, result) in _direct) results[read] = result;
    }

    /// <summary>
    /// The page numbers to visit, ascending, leaving <paramref name="cursors"/> at each source's page of that
    /// number (or the next one): every page some source holds, or only the pages of the ids asked about when
    /// every walked read is a membership test.
    /// </summary>
    public IEnumerable<int> PageNumbers(int[] cursors)
    {
        var reads = _program.Reads;
        if (LoopReads.All(r => reads[r].Kind == ReadKind.Contains))
        {
            foreach (var number in LoopReads.Select(r => (int)(reads[r].Id >> PagedBitmap.PageShift)).Distinct().Order())
            {
                for (var s = 0; s < Sources.Length; s++)
                    while (cursors[s] < Sources[s].PageCount && Sources[s].PageNumberAt(cursors[s]) < number) cursors[s]++;
                yield return number;
            }
            yield break;
        }
        while (true)
        {
            var next = int.MaxValue;
            for (var s = 0; s < Sources.Length; s++)
                if (cursors[s] < Sources[s].PageCount) next = Math.Min(next, Sources[s].PageNumberAt(cursors[s]));
            if (next == int.MaxValue) yield break;
            yield return next;
            for (var s = 0; s < Sources.Length; s++)
                if (cursors[s] < Sources[s].PageCount && Sources[s].PageNumberAt(cursors[s]) == next) cursors[s]++;
        }
    }

    /// <summary>A read of a stored key (null: the key does not exist), answered from the bitmap itself.</summary>
    private static ReadResult Direct(ProgramRead read, PagedBitmap? bitmap)
    {
        if (bitmap is null) return ReadResult.OfEmpty(read);
        return read.Kind switch
        {
            ReadKind.Count or ReadKind.Any => new ReadResult(bitmap.Count()),
            ReadKind.Contains => new ReadResult(bitmap.Contains(read.Id) ? 1 : 0),
            ReadKind.Min => new ReadResult(bitmap.Min() is { } min ? min : -1),
            // A stored key can change after the read lock is released: stream a snapshot.
            _ => new ReadResult(0, new BitmapIdSource(bitmap.Clone())),
        };
    }
}
