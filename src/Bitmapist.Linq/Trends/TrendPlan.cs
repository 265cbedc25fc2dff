using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Trends;

/// <summary>
/// A trend compiled to one program: each row's count, and for a ratio each row's whole and the row within it,
/// counted in one batch (<see cref="TablePlan"/>). A row's window is the template over the W periods ending at the
/// row: one range covered with the fewest keys when the template is a single event, else one set per period.
/// </summary>
/// <param name="Query">The statement.</param>
/// <param name="Now">The clock reading that placed the rows.</param>
/// <param name="Rows">Each row's period, oldest first.</param>
/// <param name="Counted">The set of each count the program reads, as the query model wrote it.</param>
/// <param name="Optimized">The same sets over stored keys, optimized.</param>
/// <param name="Program">The program of every count.</param>
public sealed record TrendPlan(
    TrendQuery Query,
    DateTime Now,
    ImmutableArray<Period> Rows,
    ImmutableArray<SetExpr> Counted,
    ImmutableArray<SetExpr> Optimized,
    BatchProgram Program) : TablePlan(Now, Rows, Counted, Optimized, Program)
{
    /// <inheritdoc />
    public override string Text => Query.Text;

    internal override string CountsLine => Query.Of is null ? "rows" : "wholes, rows within them";

    internal override string RowLine => Query.Of is null ? "one count each" : "a share of a whole each";

    /// <summary>For each row, the read of its count (within its whole, for a ratio).</summary>
    internal int[] CountReads { get; init; } = [];

    /// <summary>For a ratio, each row's read of its whole; empty otherwise.</summary>
    internal int[] WholeReads { get; init; } = [];

    /// <summary>Plans <paramref name="query"/> at <paramref name="context"/>'s now for <paramref name="profile"/>.</summary>
    internal static TrendPlan Create(TrendQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct = default)
    {
        query.Validate();
        return OnCalendar(query.Text, () => Place(query, context, profile, ct));
    }

    private static TrendPlan Place(TrendQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct)
    {
        var rows = Series.Rows(query.By, query.RowCount, query.From, context.Now);
        var sets = new CountedSets();
        var counts = new int[rows.Length];
        var wholes = query.Of is null ? [] : new int[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            var p = rows[i];
            var row = Series.Ending(query.Template, p, query.Window);
            if (query.Of is not { } of)
            {
                counts[i] = sets.Count(row);
                continue;
            }
            // The whole first, then the row within it: the order percent counts in.
            wholes[i] = sets.Count(Series.Ending(of.Template, Period.Of(of.By, p.Start), of.Window));
            counts[i] = sets.And(sets.Part(row), wholes[i]);
        }
        var (counted, optimized, program) = sets.Plan(context, profile, "trend batch", ct);
        return new TrendPlan(query, context.Now, rows, counted, optimized, program)
        {
            CountReads = [.. counts.Select(sets.ReadOf)],
            WholeReads = [.. wholes.Select(sets.ReadOf)],
        };
    }
}

/// <summary>A funnel compiled to one program: every step of every row's funnel, counted in one batch (<see cref="TablePlan"/>).</summary>
/// <param name="Query">The statement.</param>
/// <param name="Now">The clock reading that placed the rows.</param>
/// <param name="Rows">Each row's period, oldest first.</param>
/// <param name="Counted">The set of each count the program reads, as the query model wrote it.</param>
/// <param name="Optimized">The same sets over stored keys, optimized.</param>
/// <param name="Program">The program of every count.</param>
public sealed record FunnelPlan(
    FunnelQuery Query,
    DateTime Now,
    ImmutableArray<Period> Rows,
    ImmutableArray<SetExpr> Counted,
    ImmutableArray<SetExpr> Optimized,
    BatchProgram Program) : TablePlan(Now, Rows, Counted, Optimized, Program)
{
    /// <inheritdoc />
    public override string Text => Query.Text;

    internal override string CountsLine => "each step within the one before";

    internal override string RowLine => $"{Query.Steps.Length} steps each";

    /// <summary>For each row and step, the read of the users left after that step.</summary>
    internal int[][] StepReads { get; init; } = [];

    /// <summary>Plans <paramref name="query"/> at <paramref name="context"/>'s now for <paramref name="profile"/>.</summary>
    internal static FunnelPlan Create(FunnelQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct = default)
    {
        query.Validate();
        return OnCalendar(query.Text, () => Place(query, context, profile, ct));
    }

    private static FunnelPlan Place(FunnelQuery query, BindContext context, CapabilityProfile profile, CancellationToken ct)
    {
        var rows = Series.Rows(query.By, query.RowCount, query.From, context.Now);
        var sets = new CountedSets();
        var steps = new int[rows.Length][];
        for (var i = 0; i < rows.Length; i++)
        {
            ct.ThrowIfCancellationRequested();
            var p = rows[i];
            steps[i] = new int[query.Steps.Length];
            steps[i][0] = sets.Count(CohortTemplate.At(query.Steps[0], p));
            for (var k = 1; k < query.Steps.Length; k++)
            {
                // Later steps may happen in any period from the row's to Within - 1 after it.
                var later = sets.Part(Series.Starting(query.Steps[k], p, query.Within));
                steps[i][k] = sets.And(steps[i][k - 1], later);
            }
        }
        var (counted, optimized, program) = sets.Plan(context, profile, "funnel batch", ct);
        return new FunnelPlan(query, context.Now, rows, counted, optimized, program)
        {
            StepReads = [.. steps.Select(r => r.Select(sets.ReadOf).ToArray())],
        };
    }
}
