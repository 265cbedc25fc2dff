using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Trends;

/// <summary>
/// A funnel as a statement of the query model: <c>funnel signup then active then paid by day rows 7 within 3</c>.
/// Row i is one funnel for the period <c>P_i</c>: step 1 is the users for whom <c>Steps[0]</c> holds in <c>P_i</c>
/// (bare event names taken in it); step k is those of step k-1 for whom <c>Steps[k-1]</c> holds in any period from
/// <c>P_i</c> to <c>P_i + Within - 1</c>. Bitmaps hold no time inside a period, so "then" orders periods, not
/// events: two steps in the same period both count, whichever came first.
/// </summary>
/// <param name="Steps">The step templates, at least two.</param>
/// <param name="By">The period of a row: hour, day, ISO week, month or year.</param>
public sealed record FunnelQuery(ImmutableArray<SetExpr> Steps, PeriodUnit By)
{
    /// <summary>The most steps a funnel may have.</summary>
    public const int MaxSteps = 20;

    /// <summary>Number of rows; null for the default of the unit (<see cref="TrendQuery.DefaultRows"/>).</summary>
    public int? Rows { get; init; }

    /// <summary>The first (oldest) row's period, fixed or relative to now; null to end at the current period.</summary>
    public PeriodRef? From { get; init; }

    /// <summary>How many periods, from the row's on, later steps may take (1, the default: the row's period only).</summary>
    public int Within { get; init; } = 1;

    /// <summary>The number of rows.</summary>
    public int RowCount => Rows ?? TrendQuery.DefaultRows(By);

    /// <summary>Checks the settings; the message says what is wrong and how to fix it.</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range.</exception>
    public void Validate()
    {
        if (Steps.IsDefault || Steps.Length < 2 || Steps.Length > MaxSteps)
            throw new BitmapistQueryException($"A funnel has 2 to {MaxSteps} steps, not {(Steps.IsDefault ? 0 : Steps.Length)}.", "Write 'funnel STEP then STEP [then STEP ...] by UNIT'.");
        if (By == PeriodUnit.Unique)
            throw new BitmapistQueryException("A funnel's rows are periods: hour, day, week, month or year, not unique.", "Use by hour, day, week, month or year.");
        if (RowCount is < 1 or > TrendQuery.MaxRows)
            throw new BitmapistQueryException($"A funnel has 1 to {TrendQuery.MaxRows} rows, not {RowCount}.", "Change rows.");
        if (Within is < 1 or > TrendQuery.MaxWindow)
            throw new BitmapistQueryException($"A funnel's 'within' is 1 to {TrendQuery.MaxWindow} periods, not {Within}.", "Change within.");
        if (From is { } from && from.Unit != By)
            throw new ArgumentException($"The start must be a {PeriodRef.FunctionName(By)}, not a {PeriodRef.FunctionName(from.Unit)}.", nameof(From));
        Series.CheckSize("funnel", RowCount, Steps.Select((s, k) => (s, k == 0 ? 1 : Within)));
    }

    /// <summary>The statement in the text query language.</summary>
    public string Text
    {
        get
        {
            var sb = new StringBuilder("funnel ");
            sb.AppendJoin(" then ", Steps.Select(s => s.Text)).Append(" by ").Append(PeriodRef.FunctionName(By));
            if (Rows is { } rows) sb.Append(CultureInfo.InvariantCulture, $" rows {rows}");
            if (From is { } from)
                sb.Append(" from ").Append(from.IsRelative ? from.Offset.ToString("+0;-0;0", CultureInfo.InvariantCulture) : from.ArgumentText);
            if (Within != 1) sb.Append(CultureInfo.InvariantCulture, $" within {Within}");
            return sb.ToString();
        }
    }

    /// <summary>Equal when the steps are equal in order and every setting is (records compare arrays by reference).</summary>
    public bool Equals(FunnelQuery? other) =>
        other is not null && By == other.By && Rows == other.Rows && From == other.From && Within == other.Within
        && Steps.AsSpan().SequenceEqual(other.Steps.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var step in Steps) hash.Add(step);
        return HashCode.Combine(hash.ToHashCode(), By, Rows, From, Within);
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
