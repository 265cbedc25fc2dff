using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Cohorts;

/// <summary>
/// A cohort table compiled to one program: every row's cohort size, every return period's size (a cell is
/// empty when it is 0) and every cell, counted in one batch (<see cref="TablePlan"/>).
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
    BatchProgram Program) : TablePlan(Now, Rows, Counted, Optimized, Program)
{
    /// <inheritdoc />
    public override string Text => Query.Text;

    internal override string CountsLine => "cohort sizes, return sizes, cells";

    internal override string RowLine => $"{Query.Cols + 1} cells each";

    /// <summary>For each row, the read of its cohort size.</summary>
    internal int[] SizeReads { get; init; } = [];

    /// <summary>For each row and column, the read of the return set's size.</summary>
    internal int[][] ReturnReads { get; init; } = [];

    /// <summary>For each row and column, the read of the cell (cohort and return).</summary>
    internal int[][] CellReads { get; init; } = [];

    /// <summary>Plans <paramref name="query"/> at <paramref name="context"/>'s now for <paramref name="profile"/>.</summary>
    internal static CohortPlan Create(CohortQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct = default)
    {
        query.Validate();
        return OnCalendar(query.Text, () => Place(query, context, profile, ct));
    }

    // A large table (1000 rows x 99 columns) plans for seconds: cancellation is checked per row and per set.
    private static CohortPlan Place(CohortQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct)
    {
        var unit = query.By;
        var current = Period.Of(unit, context.Now);
        var first = query.From?.Resolve(context.Now) ?? current.Delta(-(query.RowCount - 1));
        var rows = Enumerable.Range(0, query.RowCount).Select(first.Delta).ToImmutableArray();
        var since = Period.Of(unit, query.Since ?? first.Start.AddYears(-1));

        var sets = new CountedSets();
        var returns = new Dictionary<Period, SetExpr>();
        SetExpr Return(Period q)
        {
            if (returns.TryGetValue(q, out var r)) return r;
            r = query.Retention == RetentionMode.NDay
                ? CohortTemplate.At(query.Return, q)
                : q.CompareTo(current) > 0 ? SetExpr.Empty : CohortTemplate.UnionOver(query.Return, q, current);
            return returns[q] = r;
        }

        // Row by row, so a row's cohort and each return set are counted right where the cells use them.
        var sizes = new int[rows.Length];
        var returnSets = new int[rows.Length][];
        var cells = new int[rows.Length][];
        for (var i = 0; i < rows.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            var p = rows[i];
            var cohort = CohortTemplate.At(query.Cohort, p);
            if (query.Membership == CohortMembership.FirstTime && since.CompareTo(p) < 0)
                cohort = SetExpr.Diff(cohort, CohortTemplate.UnionOver(query.Cohort, since, p.Previous()));
            sizes[i] = sets.Count(cohort);
            returnSets[i] = new int[query.Cols + 1];
            cells[i] = new int[query.Cols + 1];
            for (var t = 0; t <= query.Cols; t++)
            {
                returnSets[i][t] = sets.Count(Return(p.Delta(t)));
                cells[i][t] = sets.And(sizes[i], returnSets[i][t]);
            }
        }

        var (counted, optimized, program) = sets.Plan(context, profile, "cohort batch", ct);
        return new CohortPlan(query, context.Now, rows, counted, optimized, program)
        {
            SizeReads = [.. sizes.Select(sets.ReadOf)],
            ReturnReads = [.. returnSets.Select(r => r.Select(sets.ReadOf).ToArray())],
            CellReads = [.. cells.Select(r => r.Select(sets.ReadOf).ToArray())],
        };
    }
}
