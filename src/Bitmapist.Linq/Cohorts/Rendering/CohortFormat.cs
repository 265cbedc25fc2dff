using System.Globalization;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>How every rendering writes a cell, so the terminal, CSV, JSON and HTML show the same numbers.</summary>
public static class CohortFormat
{
    /// <summary>
    /// A cell: a percentage rounded to two decimals as bitmapist rounds it (Python's <c>round(p, 2)</c>: half to even on the
    /// exact binary value, so 14.374999999999998 shows 14.37 and 15.625 shows 15.62), written without trailing zeros
    /// (<c>50</c>, <c>12.5</c>); or a count; empty for an empty cell.
    /// </summary>
    public static string Cell(double? value, CohortValues values) => value is not { } v ? ""
        : values == CohortValues.Percent ? PythonFloat.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture)
        : v.ToString("0", CultureInfo.InvariantCulture);

    /// <summary>
    /// A number for JSON, exact: a percentage is the unrounded double, in the shortest digits that read back as it
    /// (<c>33.33333333333333</c>), always with a decimal point (<c>75.0</c>); a count is an integer.
    /// </summary>
    internal static string Json(double v, CohortValues values) =>
        values == CohortValues.Percent ? PythonFloat.Repr(v) : v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A cell as bitmapist's CSV writes it: <c>str(round(p, 2))</c> for a percentage (<c>50.0</c>, <c>0.0</c>), <c>str(int(n))</c> for a count.</summary>
    internal static string BitmapistCell(double? value, CohortValues values) => value is not { } v ? ""
        : values == CohortValues.Percent ? PythonFloat.Repr(PythonFloat.Round(v, 2))
        : ((long)v).ToString(CultureInfo.InvariantCulture);

    /// <summary>The unit's name as the renderings print it.</summary>
    public static string Unit(Model.PeriodUnit unit) => unit.ToString().ToLowerInvariant();
}
