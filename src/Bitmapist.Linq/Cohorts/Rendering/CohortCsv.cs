using System.Globalization;
using System.Text;
using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>The two CSV layouts of a cohort table (<c>bitmapist cohort --format csv --csv-style</c>).</summary>
public enum CohortCsvStyle
{
    /// <summary>
    /// bitmapist's columns (<c>Date,Total,0,1,...,N</c>, no average row) with this tool's period labels (<c>2026-03-01</c>,
    /// <c>2026-W09</c>, <c>2026-03</c>, <c>2026</c>) and cells as every other rendering shows them (<c>50</c>, <c>33.33</c>).
    /// </summary>
    Plain,

    /// <summary>
    /// bitmapist's own CSV (<c>bitmapist.cohort.render_csv_data</c>) byte for byte: its date labels (<c>05 Mar 2026</c> by day,
    /// <c>Week 09 04 Mar</c> by week, where the number is strftime's <c>%U</c>, Sunday-based, not the ISO week; <c>01 Mar</c>
    /// by month, with no year; <c>2026</c> by year) and Python's <c>str(round(p, 2))</c> for a percentage (<c>50.0</c>,
    /// <c>0.0</c>) and <c>str(int(n))</c> for a count. A week row's date is the day of that week on the weekday of the table's
    /// "now", which is the date bitmapist labels it with when the table ends at now (without a start date).
    /// </summary>
    Bitmapist,
}

/// <summary>CSV in bitmapist's layout: <c>Date,Total,0,1,...,N</c>, one line per row, no average row; an empty cell is an empty field.</summary>
public static class CohortCsv
{
    /// <summary>The table as CSV text in the <see cref="CohortCsvStyle.Plain"/> style (lines end with \n).</summary>
    public static string Render(CohortTable table) => Render(table, CohortCsvStyle.Plain);

    /// <summary>The table as CSV text in <paramref name="style"/> (lines end with \n, as bitmapist's template writes them).</summary>
    public static string Render(CohortTable table, CohortCsvStyle style)
    {
        ArgumentNullException.ThrowIfNull(table);
        var sb = new StringBuilder("Date,Total");
        for (var t = 0; t < table.Columns; t++) sb.Append(CultureInfo.InvariantCulture, $",{t}");
        sb.Append('\n');
        foreach (var row in table.Rows)
        {
            sb.Append(style == CohortCsvStyle.Bitmapist ? BitmapistLabel(row.Period, table.Now) : row.Label)
                .Append(',').Append(row.Size.ToString(CultureInfo.InvariantCulture));
            foreach (var v in row.Values)
                sb.Append(',').Append(style == CohortCsvStyle.Bitmapist ? CohortFormat.BitmapistCell(v, table.Values) : CohortFormat.Cell(v, table.Values));
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The row's date as bitmapist's CSV template formats it with strftime (C locale).</summary>
    internal static string BitmapistLabel(Period period, DateTime now)
    {
        var start = period.Start;
        switch (period.Unit)
        {
            case PeriodUnit.Day:
                return start.ToString("dd MMM yyyy", CultureInfo.InvariantCulture);
            case PeriodUnit.Week:
                // bitmapist steps back whole weeks from now, so each row's date falls on now's weekday (ISO weeks start Monday).
                var offset = ((int)now.DayOfWeek + 6) % 7;
                var day = start.AddDays(Math.Min(offset, (DateTime.MaxValue.Date - start).Days));
                // %U: weeks start on Sunday; the days before the year's first Sunday are week 00.
                var sundayWeek = (day.DayOfYear - 1 + 7 - (int)day.DayOfWeek) / 7;
                return string.Create(CultureInfo.InvariantCulture, $"Week {sundayWeek:00} {day:dd MMM}");
            case PeriodUnit.Month:
                return start.ToString("dd MMM", CultureInfo.InvariantCulture);
            case PeriodUnit.Year:
                return start.ToString("yyyy", CultureInfo.InvariantCulture);
            default:
                throw new ArgumentException($"A cohort table has no {period.Unit} rows.", nameof(period));
        }
    }
}
