using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Cohorts;

/// <summary>
/// A cohort table compiled to one program: every row's cohort size, every return period's size (a cell is
/// empty when it is 0) and every cell, counted in one batch. The sets are ordinary set queries, bound,
/// optimized and emitted like any other; equal sub-plans between cells are computed once.
/// </summary>
/// <param name="Query">The statement.</param>
/// <param name="Now">The clock reading that placed the rows.</param>
/// <param name="Rows">Each row's period, oldest first.</param>
/// <param name="Counted">The set of each count the program reads, as the query model wrote it.</param>
/// <param name="Optimized">The same sets over stored keys, optimized.</param>
/// <param name="Program">The program of every count.</param>
public sealed record CohortPlan(
    CohortQuery Query,
    DateTime Now,
    ImmutableArray<Period> Rows,
    ImmutableArray<SetExpr> Counted,
    ImmutableArray<SetExpr> Optimized,
    BatchProgram Program)
{
    /// <summary>For each row, the read of its cohort size.</summary>
    internal int[] SizeReads { get; init; } = [];

    /// <summary>For each row and column, the read of the return set's size.</summary>
    internal int[][] ReturnReads { get; init; } = [];

    /// <summary>For each row and column, the read of the cell (cohort and return).</summary>
    internal int[][] CellReads { get; init; } = [];

    /// <summary>
    /// A rough size for the plan cache's byte bound: about 640 bytes per counted set (its node as written, its
    /// optimized node, its step and read), measured as 59 MB kept by a 1000 x 99 table of 97,150 sets.
    /// </summary>
    internal long EstimatedBytes => 640L * Counted.Length;

    /// <summary>The most periods a union over periods may take when the template is not a simple union (see <see cref="CohortTemplate"/>).</summary>
    private const int MaxUnionPeriods = 1000;

    /// <summary>Plans <paramref name="query"/> at <paramref name="context"/>'s now for <paramref name="profile"/>.</summary>
    internal static CohortPlan Create(CohortQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct = default)
    {
        query.Validate();
        try
        {
            return Place(query, context, profile, ct);
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Rows, columns or the first-time look-back stepped off the calendar (before year 1 or after 9999).
            throw new BitmapistQueryException($"The table {query.Text} reaches dates outside years 1 to 9999.",
                "Start it later or earlier, or use fewer rows or columns.", e);
        }
    }

    // A large table (1000 rows x 99 columns) plans for seconds: cancellation is checked per row and per set.
    private static CohortPlan Place(CohortQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct)
    {
        var unit = query.By;
        var current = Period.Of(unit, context.Now);
        var first = query.From?.Resolve(context.Now) ?? current.Delta(-(query.RowCount - 1));
        var rows = Enumerable.Range(0, query.RowCount).Select(first.Delta).ToImmutableArray();
        var since = Period.Of(unit, query.Since ?? first.Start.AddYears(-1));

        // Each counted set as written, its index, and for a cell the indexes of its cohort and return sets.
        var sets = new List<SetExpr>();
        var cellParts = new List<(int Cohort, int Return)>();
        var index = new Dictionary<SetExpr, int>();
        int Count(SetExpr set, int cohortRead = -1, int returnRead = -1)
        {
            if (index.TryGetValue(set, out var i)) return i;
            sets.Add(set);
            cellParts.Add((cohortRead, returnRead));
            return index[set] = sets.Count - 1;
        }

        var returns = new Dictionary<Period, SetExpr>();
        SetExpr Return(Period q)
        {
            if (returns.TryGetValue(q, out var r)) return r;
            r = query.Retention == RetentionMode.NDay
                ? CohortTemplate.At(query.Return, q)
                : q.CompareTo(current) > 0 ? SetExpr.Empty : UnionOver(query.Return, q, current);
            return returns[q] = r;
        }

        // Row by row, so a row's cohort and each return set are counted right where the cells use them.
        var sizeReads = new int[rows.Length];
        var returnReads = new int[rows.Length][];
        var cellReads = new int[rows.Length][];
        for (var i = 0; i < rows.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            var p = rows[i];
            var cohort = CohortTemplate.At(query.Cohort, p);
            if (query.Membership == CohortMembership.FirstTime && since.CompareTo(p) < 0)
                cohort = SetExpr.Diff(cohort, UnionOver(query.Cohort, since, p.Previous()));
            sizeReads[i] = Count(cohort);
            returnReads[i] = new int[query.Cols + 1];
            cellReads[i] = new int[query.Cols + 1];
            for (var t = 0; t <= query.Cols; t++)
            {
                var r = Return(p.Delta(t));
                returnReads[i][t] = Count(r);
                cellReads[i][t] = Count(SetExpr.And(cohort, r), sizeReads[i], returnReads[i][t]);
            }
        }

        // Each row's cohort and each return set is bound and optimized once; a cell is the intersection of those
        // two results, so only its own node is new. Binding and optimizing every cell in full made each cell a
        // fresh tree of some hundred keys: a 1000 x 99 table allocated 11.6 GB and kept 2.5 GB
        // (docs/performance.md, "cohort planning memory").
        var universe = context.Universe is null ? null : Binder.Bind(context.Universe, context);
        var memo = new Optimizer.FixedPoints();
        var optimized = new SetExpr[sets.Count];
        for (var k = 0; k < sets.Count; k++)
        {
            if ((k & 255) == 0) ct.ThrowIfCancellationRequested();
            var (cohortRead, returnRead) = cellParts[k];
            var input = cohortRead >= 0 ? SetExpr.And(optimized[cohortRead], optimized[returnRead]) : Binder.Bind(sets[k], context);
            optimized[k] = Optimizer.Optimize(input, universe, asWritten: sets[k], memo: memo);
        }
        var program = ProgramEmitter.EmitCounts(optimized, profile) with { Description = "cohort batch" };
        return new CohortPlan(query, context.Now, rows, [.. sets], [.. optimized], program)
        {
            SizeReads = sizeReads,
            ReturnReads = returnReads,
            CellReads = cellReads,
        };
    }

    /// <summary>
    /// Users for whom <paramref name="template"/> holds in some period from <paramref name="from"/> to
    /// <paramref name="to"/>. When the template has one bare event name, reached only through and, or and the
    /// head of a difference, that union is the template with the event taken over the whole range (one range,
    /// covered with the fewest keys); otherwise it is the union of the template in each period.
    /// </summary>
    private static SetExpr UnionOver(SetExpr template, Period from, Period to)
    {
        if (IsUnionOfOneEvent(template)) return CohortTemplate.Over(template, PeriodRef.Of(from), PeriodRef.Of(to));
        var periods = new List<SetExpr>();
        for (var p = from; p.CompareTo(to) <= 0; p = p.Next())
        {
            if (periods.Count == MaxUnionPeriods)
                throw new BitmapistQueryException(
                    $"The cohort template {template} combines several events, so a union over periods takes one set per period, and {from}..{to} has more than {MaxUnionPeriods}.",
                    "Use a coarser grouping or a later 'since', or a template with a single event.");
            periods.Add(CohortTemplate.At(template, p));
        }
        return SetExpr.Or(periods);
    }

    private static bool IsUnionOfOneEvent(SetExpr template)
    {
        var templates = 0;
        bool Walk(SetExpr e, bool monotone)
        {
            if (e is TemplateNode)
            {
                templates++;
                return monotone;
            }
            return e switch
            {
                DiffNode d => Walk(d.Head, monotone) && d.Subtract.All(s => Walk(s, false)),
                { Kind: SetKind.And or SetKind.Or } => e.Children.All(c => Walk(c, monotone)),
                _ => e.Children.All(c => Walk(c, false)),
            };
        }
        return Walk(template, true) && templates == 1;
    }
}
