using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// Runs a <see cref="BatchProgram"/> on the embedded store's bitmaps a page at a time: for each page number
/// (2^16 ids) that some source holds, every step of the program runs on that page's containers into scratch
/// containers, and every read takes its share. No intermediate bitmap is ever built: a temporary is one
/// scratch page, reused for every page and every query, so a count allocates nothing in proportion to the data
/// and its working set stays in the CPU's cache. Only a read that streams ids (ids, max) keeps result pages.
/// </summary>
/// <remarks>
/// Why per page and not per step: the step-at-a-time engine built a full bitmap per step (12.7 MB allocated by
/// a depth-4 query, docs/performance.md issue 14) and read each intermediate back from memory; page by page,
/// intermediates never leave the cache. A page no source holds is empty in every temporary (every operator
/// maps empty inputs to an empty output; NOT never reaches a program), so it is skipped outright. Reads that
/// can be settled early (any, min, contains) stop the walk once all of them are.
/// </remarks>
internal sealed class PageEvaluator
{
    // Evaluators are pooled: a query takes one (its scratch containers, 16 KiB each, and its probe page) and gives
    // it back, so warm queries allocate none of them whichever pool thread they run on. Evaluation never awaits.
    private static readonly Stack<PageEvaluator> Pool = new();
    private const int PoolMax = 16;

    private readonly ulong[] _probe = new ulong[Container.Words];

    // A stored array page with at least this many ids (0.8% of the page), read by two operands or more, is expanded
    // to words once per page, into a scratch twin that keeps the array too: every AND against it tests bits, and the
    // expansion (~1 us for 780 ids) is paid once, not per meeting. A cohort's active day meets 13 signup days: the
    // 31x13 table on issue 14's data takes 5x less time. A page read once is not expanded: that costs as much as the
    // one meeting it would save (docs/performance.md, issue 14).
    internal const int DenseTwinMin = 512;

    private Container[] _slots = [];
    private Container[] _twins = [];
    private Container _spare = Container.Scratch();
    private Container[] _inputs = new Container[8];

    /// <summary>Runs <paramref name="program"/> over <paramref name="keys"/> (the caller holds the read lock).</summary>
    public static ReadResult[] Run(BatchProgram program, IReadOnlyDictionary<string, PagedBitmap> keys, CancellationToken ct)
    {
        PageEvaluator? evaluator;
        lock (Pool) Pool.TryPop(out evaluator);
        evaluator ??= new PageEvaluator();
        try
        {
            using var lent = ContainerOps.LendProbe(evaluator._probe);
            return evaluator.Evaluate(program, keys, ct);
        }
        finally
        {
            lock (Pool)
                if (Pool.Count < PoolMax) Pool.Push(evaluator);
        }
    }

    private ReadResult[] Evaluate(BatchProgram program, IReadOnlyDictionary<string, PagedBitmap> keys, CancellationToken ct)
    {
        var compiled = CompiledProgram.Compile(program, keys);
        var results = new ReadResult[program.Reads.Length];
        var walk = compiled.Walk;
        if (walk.Length == 0)
        {
            compiled.AnswerWithoutWalk(results);
            return results;
        }
        EnsureSlots(program.TempCount, compiled.MaxFanIn, compiled.Sources.Length);

        var reads = program.Reads;
        var counts = new long[reads.Length];
        var settled = new bool[reads.Length];
        var streams = new PagedBitmap?[reads.Length];
        var unsettled = 0;
        var endless = 0; // reads that need every page: counts, ids, max
        foreach (var r in compiled.LoopReads)
        {
            if (reads[r].Kind is ReadKind.Count or ReadKind.Ids or ReadKind.Max) endless++;
            else unsettled++;
            if (reads[r].StreamsIds) streams[r] = new PagedBitmap();
            if (reads[r].Kind == ReadKind.Min) counts[r] = -1;
        }

        var sources = compiled.Sources;
        var current = new Container[sources.Length];
        var cursors = new int[sources.Length];
        var pagesSeen = 0;
        foreach (var number in compiled.PageNumbers(cursors))
        {
            if ((++pagesSeen & 63) == 0) ct.ThrowIfCancellationRequested();
            for (var s = 0; s < sources.Length; s++)
            {
                var c = cursors[s];
                var page = c < sources[s].PageCount && sources[s].PageNumberAt(c) == number ? sources[s].PageAt(c) : Container.Empty;
                if (!page.IsDense && page.Count >= DenseTwinMin && compiled.SourceUses[s] >= 2)
                {
                    var twin = _twins[s];
                    page.CopyWordsTo(twin.Dense);
                    twin.IsDense = true;
                    twin.Count = page.Count;
                    twin.Values = page.Values; // the stored array stays readable: an AND walks the smaller side's values
                    twin.SortedToo = true;
                    page = twin;
                }
                current[s] = page;
            }
            foreach (var item in walk)
            {
                if (item.Step is { } step)
                {
                    var inputs = Gather(step.Operands, current);
                    RunStep(step, inputs);
                    (_slots[step.Target], _spare) = (_spare, _slots[step.Target]);
                    continue;
                }
                var read = item.Read;
                if (settled[read]) continue;
                var kind = reads[read].Kind;
                if (item.Fused is { } fused)
                {
                    counts[read] += ContainerOps.Count(fused.Op, Gather(fused.Operands, current), ref _spare);
                    if (kind == ReadKind.Any && counts[read] > 0) Settle(read);
                    continue;
                }
                var page = _slots[reads[read].Source!.Value.Temp];
                switch (kind)
                {
                    case ReadKind.Count:
                        counts[read] += page.Count;
                        break;
                    case ReadKind.Any:
                        counts[read] += page.Count;
                        if (page.Count > 0) Settle(read);
                        break;
                    case ReadKind.Contains:
                        var target = (int)(reads[read].Id >> PagedBitmap.PageShift);
                        if (number < target) break;
                        if (number == target && page.Count > 0 && page.Contains((ushort)reads[read].Id)) counts[read] = 1;
                        Settle(read);
                        break;
                    case ReadKind.Min:
                        if (page.Count == 0) break;
                        counts[read] = ((long)number << PagedBitmap.PageShift) + page.Min();
                        Settle(read);
                        break;
                    default: // ids, max: keep the page
                        if (page.Count > 0) streams[read]!.Append(number, PagedBitmap.Stored(page));
                        break;
                }
            }
            if (endless == 0 && unsettled == 0) break;
        }

        compiled.AnswerWithoutWalk(results);
        foreach (var r in compiled.LoopReads)
            results[r] = streams[r] is { } ids ? new ReadResult(0, new BitmapIdSource(ids)) : new ReadResult(counts[r]);
        return results;

        void Settle(int read)
        {
            settled[read] = true;
            unsettled--;
        }
    }

    private ReadOnlySpan<Container> Gather(int[] operands, Container[] current)
    {
        for (var k = 0; k < operands.Length; k++)
        {
            var o = operands[k];
            _inputs[k] = o >= 0 ? current[o] : o == CompiledProgram.Absent ? Container.Empty : _slots[~o];
        }
        return _inputs.AsSpan(0, operands.Length);
    }

    private void RunStep(CompiledStep step, ReadOnlySpan<Container> inputs)
    {
        switch (step.Op)
        {
            case BitOpKind.And: ContainerOps.And(inputs, ref _spare); break;
            case BitOpKind.Or: ContainerOps.Or(inputs, ref _spare); break;
            case BitOpKind.Xor: ContainerOps.Xor(inputs, ref _spare); break;
            case BitOpKind.Diff: ContainerOps.Diff(inputs[0], inputs[1..], ref _spare); break;
            case BitOpKind.AndOr: ContainerOps.AndOr(inputs[0], inputs[1..], ref _spare); break;
        }
    }

    private void EnsureSlots(int temps, int fanIn, int sources)
    {
        Grow(ref _twins, sources);
        Grow(ref _slots, temps);
        if (_inputs.Length < fanIn) _inputs = new Container[fanIn];
    }

    /// <summary>Adds scratch containers to <paramref name="scratch"/> until it holds <paramref name="count"/>, keeping those it has.</summary>
    private static void Grow(ref Container[] scratch, int count)
    {
        if (scratch.Length >= count) return;
        var grown = new Container[count];
        scratch.CopyTo(grown, 0);
        for (var i = scratch.Length; i < count; i++) grown[i] = Container.Scratch();
        scratch = grown;
    }
}
