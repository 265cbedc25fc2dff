using System.Globalization;
using System.Text;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Trends;

/// <summary>
/// A trend as a statement of the query model: <c>trend active by day rows 30</c>. Row i is the period
/// <c>P_i</c> (oldest first); it counts <see cref="Template"/> with every bare event name (<see cref="TemplateNode"/>)
/// taken in <c>P_i</c>, or, with a <see cref="Window"/> of W, in any of the W periods ending at <c>P_i</c>
/// (rolling actives). With <see cref="Of"/> each row is also a share of a whole: DAU/MAU is
/// <c>trend active by day rows 30 of active by month</c>. The whole series is one batch.
/// The LINQ builder and the text statement both produce this.
/// </summary>
/// <param name="Template">The counted set template.</param>
/// <param name="By">The period of a row: hour, day, ISO week, month or year.</param>
public sealed record TrendQuery(SetExpr Template, PeriodUnit By)
{
    /// <summary>The most rows a trend may have.</summary>
    public const int MaxRows = 1000;

    /// <summary>The widest window a trend (or its whole) may have, in periods.</summary>
    public const int MaxWindow = 1000;

    /// <summary>Number of rows; null for the default of the unit (<see cref="DefaultRows"/>).</summary>
    public int? Rows { get; init; }

    /// <summary>The first (oldest) row's period, fixed or relative to now; null to end the series at the current period.</summary>
    public PeriodRef? From { get; init; }

    /// <summary>How many periods, ending at the row's, a row counts users in (1, the default: only the row's own).</summary>
    public int Window { get; init; } = 1;

    /// <summary>The whole each row is a share of (<c>of SET by UNIT [window W]</c>), or null for plain counts.</summary>
    public TrendRatio? Of { get; init; }

    /// <summary>The number of rows the series has.</summary>
    public int RowCount => Rows ?? DefaultRows(By);

    /// <summary>Rows when none are given: 24 hours, 30 days, 12 weeks, 12 months or 3 years (the last of them is the current period).</summary>
    public static int DefaultRows(PeriodUnit unit) => unit switch
    {
        PeriodUnit.Hour => 24,
        PeriodUnit.Day => 30,
        PeriodUnit.Year => 3,
        _ => 12,
    };

    /// <summary>Checks the settings; the message says what is wrong and how to fix it.</summary>
    /// <exception cref="BitmapistQueryException">A setting is out of range.</exception>
    public void Validate()
    {
        if (By == PeriodUnit.Unique)
            throw new BitmapistQueryException("A trend's rows are periods: hour, day, week, month or year, not unique.", "Use by hour, day, week, month or year.");
        if (RowCount is < 1 or > MaxRows)
            throw new BitmapistQueryException($"A trend has 1 to {MaxRows} rows, not {RowCount}.", "Change rows.");
        if (Window is < 1 or > MaxWindow)
            throw new BitmapistQueryException($"A trend's window is 1 to {MaxWindow} periods, not {Window}.", "Change window.");
        if (From is { } from && from.Unit != By)
            throw new ArgumentException($"The start must be a {PeriodRef.FunctionName(By)}, not a {PeriodRef.FunctionName(from.Unit)}.", nameof(From));
        Of?.Validate(By);
        Series.CheckSize("trend", RowCount, Of is { } of ? [(Template, Window), (of.Template, of.Window)] : [(Template, Window)]);
    }

    /// <summary>The statement in the text query language.</summary>
    public string Text
    {
        get
        {
            var sb = new StringBuilder("trend ");
            sb.Append(CultureInfo.InvariantCulture, $"{Template.Text} by {PeriodRef.FunctionName(By)}");
            if (Rows is { } rows) sb.Append(CultureInfo.InvariantCulture, $" rows {rows}");
            if (From is { } from)
                sb.Append(" from ").Append(from.IsRelative ? from.Offset.ToString("+0;-0;0", CultureInfo.InvariantCulture) : from.ArgumentText);
            if (Window != 1) sb.Append(CultureInfo.InvariantCulture, $" window {Window}");
            if (Of is { } of) sb.Append(' ').Append(of.Text);
            return sb.ToString();
        }
    }

    /// <inheritdoc />
    public override string ToString() => Text;
}

/// <summary>
/// The whole of a trend's row (<c>of SET by UNIT [window W]</c>): <see cref="Template"/> taken in the period of
/// <see cref="By"/> that contains the row's period, or in any of the <see cref="Window"/> periods ending there.
/// The row then shows <c>100 * |row and whole| / |whole|</c>, as <c>percent</c> does. DAU/MAU:
/// <c>of active by month</c> (the calendar month of the day) or <c>of active by day window 30</c> (the 30 days
/// ending with it).
/// </summary>
/// <param name="Template">The whole's set template.</param>
/// <param name="By">Its period: the row's unit or one that contains it (day in week, month or year; hour in any).</param>
public sealed record TrendRatio(SetExpr Template, PeriodUnit By)
{
    /// <summary>How many periods of <see cref="By"/>, ending at the one containing the row, the whole covers.</summary>
    public int Window { get; init; } = 1;

    /// <summary>True when every <paramref name="row"/> period lies inside one period of <paramref name="whole"/>.</summary>
    public static bool Contains(PeriodUnit whole, PeriodUnit row) => (whole, row) switch
    {
        _ when whole == row => true,
        (PeriodUnit.Day or PeriodUnit.Week or PeriodUnit.Month or PeriodUnit.Year, PeriodUnit.Hour) => true,
        (PeriodUnit.Week or PeriodUnit.Month or PeriodUnit.Year, PeriodUnit.Day) => true,
        (PeriodUnit.Year, PeriodUnit.Month) => true,
        _ => false, // an ISO week can straddle a month or a year
    };

    internal void Validate(PeriodUnit rowUnit)
    {
        if (!Contains(By, rowUnit))
            throw new BitmapistQueryException(
                $"A {PeriodRef.FunctionName(rowUnit)} does not lie inside one {PeriodRef.FunctionName(By)}, so 'of ... by {PeriodRef.FunctionName(By)}' has no single whole per row.",
                $"Divide by the row's unit or a larger one that contains it (an ISO week can straddle a month or a year), e.g. 'of ... by {PeriodRef.FunctionName(rowUnit)} window N'.");
        if (Window is < 1 or > TrendQuery.MaxWindow)
            throw new BitmapistQueryException($"A whole's window is 1 to {TrendQuery.MaxWindow} periods, not {Window}.", "Change the window after 'of'.");
    }

    /// <summary>The clause in the text query language.</summary>
    public string Text => $"of {Template.Text} by {PeriodRef.FunctionName(By)}" + (Window != 1 ? string.Create(CultureInfo.InvariantCulture, $" window {Window}") : "");
}
