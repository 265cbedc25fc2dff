using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// A statement with one row per period (a cohort table, a trend, a funnel) compiled to one program of counts:
/// every set it counts, bound, optimized and emitted like any other set, equal sub-plans computed once, the whole
/// table in one batch.
/// </summary>
/// <param name="Now">The clock reading that placed the rows.</param>
/// <param name="Rows">Each row's period, oldest first.</param>
/// <param name="Counted">The set of each count the program reads, as the query model wrote it.</param>
/// <param name="Optimized">The same sets over stored keys, optimized.</param>
/// <param name="Program">The program of every count.</param>
public abstract record TablePlan(
    DateTime Now,
    ImmutableArray<Period> Rows,
    ImmutableArray<SetExpr> Counted,
    ImmutableArray<SetExpr> Optimized,
    BatchProgram Program)
{
    /// <summary>The statement in the text query language.</summary>
    public abstract string Text { get; }

    /// <summary>What the counted sets are, for explain (e.g. "cohort sizes, return sizes, cells").</summary>
    internal abstract string CountsLine { get; }

    /// <summary>What one row holds, for explain (e.g. "13 cells each").</summary>
    internal abstract string RowLine { get; }

    /// <summary>
    /// A rough size for the plan cache's byte bound: about 640 bytes per counted set (its node as written, its
    /// optimized node, its step and read), measured as 59 MB kept by a 1000 x 99 cohort table of 97,150 sets.
    /// </summary>
    internal long EstimatedBytes => 640L * Counted.Length;

    /// <summary>Runs <paramref name="place"/>, turning a step off the calendar into a clear error about <paramref name="text"/>.</summary>
    internal static T OnCalendar<T>(string text, Func<T> place)
    {
        try
        {
            return place();
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Rows, columns, windows or a look-back stepped off the calendar (before year 1 or after 9999).
            throw new BitmapistQueryException($"'{text}' reaches dates outside years 1 to 9999.",
                "Start it later or earlier, or use fewer rows, columns or periods in a window.", e);
        }
    }
}
