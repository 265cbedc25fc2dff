using System.Globalization;
using System.Text;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Cohorts;

/// <summary>What a cohort table's cells show.</summary>
public enum CohortValues
{
    /// <summary>100 * |cohort and return| / |cohort| (bitmapist's as_percent).</summary>
    Percent,
    /// <summary>|cohort and return|.</summary>
    Counts,
}

/// <summary>When a user counts as returned in column t (the names retention reports use).</summary>
public enum RetentionMode
{
    /// <summary>"N-day retention" (bitmapist's table): the return set holds in exactly the period row + t.</summary>
    NDay,
    /// <summary>"Unbounded retention" ("on or after"): the return set holds in some period from row + t to the current one.</summary>
    Unbounded,
}

/// <summary>Who belongs to a row's cohort.</summary>
public enum CohortMembership
{
    /// <summary>Users for whom the cohort set holds in the row's period (bitmapist's table).</summary>
    AnyTime,
    /// <summary>"First time": those of them for whom it never held before the row, back to <see cref="CohortQuery.Since"/>.</summary>
    FirstTime,
}

/// <summary>
/// A cohort (retention) table as a statement of the query model: <c>cohort signup then active by week</c>.
/// Row i is the period <c>P_i</c>; its cohort is <see cref="Cohort"/> with every template (bare event name,
/// <see cref="TemplateNode"/>) taken in <c>P_i</c>; cell t counts those of them for whom <see cref="Return"/>
/// holds with its templates in <c>P_i + t</c>. Fixed sets (<c>unique(premium)</c>, <c>month(active, -1)</c>)
/// may be mixed in. The LINQ builder (<see cref="CohortBuilder"/>) and the text statement both produce this.
/// </summary>
/// <param name="Cohort">The cohort set template.</param>
/// <param name="Return">The return set template.</param>
/// <param name="By">The grouping: day, ISO week, month or year.</param>
public sealed record CohortQuery(SetExpr Cohort, SetExpr Return, PeriodUnit By)
{
    /// <summary>The most rows or columns a table may have.</summary>
    public const int MaxRowsOrColumns = 1000;

    /// <summary>The most cells a table may have (rows times columns): one batch holds every cell.</summary>
    public const int MaxCells = 100_000;

    /// <summary>Number of rows; null for bitmapist's default (31, or 3 by year).</summary>
    public int? Rows { get; init; }

    /// <summary>Columns after the first (there are <c>Cols + 1</c> cells per row); bitmapist's default is 12.</summary>
    public int Cols { get; init; } = 12;

    /// <summary>The first (oldest) row's period, fixed or relative to now; null to end the table at the current period (bitmapist's default).</summary>
    public PeriodRef? From { get; init; }

    /// <summary>Percentages (default) or counts.</summary>
    public CohortValues Values { get; init; } = CohortValues.Percent;

    /// <summary>N-day (default) or unbounded retention.</summary>
    public RetentionMode Retention { get; init; } = RetentionMode.NDay;

    /// <summary>Any-time (default) or first-time cohorts.</summary>
    public CohortMembership Membership { get; init; } = CohortMembership.AnyTime;

    /// <summary>For first-time cohorts: how far back "before" reaches (a day); null for one year before the first row.</summary>
    public DateTime? Since { get; init; }

    /// <summary>The number of rows the table has.</summary>
    public int RowCount => Rows ?? (By == PeriodUnit.Year ? 3 : 31);

    /// <summary>Checks the settings; the message says what is wrong and how to fix it.</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range.</exception>
    public void Validate()
    {
        if (By is not (PeriodUnit.Day or PeriodUnit.Week or PeriodUnit.Month or PeriodUnit.Year))
            throw new BitmapistQueryException($"A cohort table groups by day, week, month or year, not by {By.ToString().ToLowerInvariant()}.", "Use by day, week, month or year.");
        if (RowCount is < 1 or > MaxRowsOrColumns)
            throw new BitmapistQueryException($"A cohort table has 1 to {MaxRowsOrColumns} rows, not {RowCount}.", "Change rows.");
        if (Cols is < 0 or > MaxRowsOrColumns)
            throw new BitmapistQueryException($"A cohort table has 0 to {MaxRowsOrColumns} columns after the first, not {Cols}.", "Change cols.");
        if ((long)RowCount * (Cols + 1) > MaxCells)
            throw new BitmapistQueryException($"A cohort table of {RowCount} rows and {Cols + 1} columns has more than {MaxCells} cells.", "Use fewer rows or columns, or a coarser grouping.");
        if (From is { } from && from.Unit != By)
            throw new ArgumentException($"The start must be a {By.ToString().ToLowerInvariant()}, not a {from.Unit.ToString().ToLowerInvariant()}.", nameof(From));
        if (Since is not null && Membership != CohortMembership.FirstTime)
            throw new BitmapistQueryException("'since' only applies to first-time cohorts.", "Write 'cohort first ...' or drop 'since'.");
    }

    /// <summary>The statement in the text query language.</summary>
    public string Text
    {
        get
        {
            var sb = new StringBuilder("cohort ");
            if (Membership == CohortMembership.FirstTime) sb.Append("first ");
            sb.Append(CultureInfo.InvariantCulture, $"{Cohort.Text} then {Return.Text} by {PeriodRef.FunctionName(By)}");
            if (Rows is { } rows) sb.Append(CultureInfo.InvariantCulture, $" rows {rows}");
            if (Cols != 12) sb.Append(CultureInfo.InvariantCulture, $" cols {Cols}");
            if (From is { } from)
                sb.Append(" from ").Append(from.IsRelative ? from.Offset.ToString("+0;-0;0", CultureInfo.InvariantCulture) : from.ArgumentText);
            if (Since is { } since) sb.Append(" since ").Append(since.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            if (Retention == RetentionMode.Unbounded) sb.Append(" unbounded");
            if (Values == CohortValues.Counts) sb.Append(" counts");
            return sb.ToString();
        }
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}
