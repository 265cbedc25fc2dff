using System.Globalization;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>How every rendering writes a cell, so the terminal, CSV, JSON and HTML show the same numbers.</summary>
public static class CohortFormat
{
    /// <summary>A cell: a percentage with up to two decimals, or a count; empty for an empty cell.</summary>
    public static string Cell(double? value, CohortValues values) => value is not { } v ? ""
        : values == CohortValues.Percent ? v.ToString("0.##", CultureInfo.InvariantCulture) : v.ToString("0", CultureInfo.InvariantCulture);

    /// <summary>A number for JSON: percentages keep a decimal point (<c>75.0</c>), counts are integers.</summary>
    internal static string Json(double v, CohortValues values) =>
        values == CohortValues.Percent ? v.ToString("0.0##", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The unit's name as the renderings print it.</summary>
    public static string Unit(Model.PeriodUnit unit) => unit.ToString().ToLowerInvariant();
}
