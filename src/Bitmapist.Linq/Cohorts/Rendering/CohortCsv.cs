using System.Globalization;
using System.Text;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>CSV in bitmapist's layout: <c>Date,Total,0,1,...,N</c>, one line per row, no average row; an empty cell is an empty field.</summary>
public static class CohortCsv
{
    /// <summary>The table as CSV text (lines end with \n).</summary>
    public static string Render(CohortTable table)
    {
        var sb = new StringBuilder("Date,Total");
        for (var t = 0; t < table.Columns; t++) sb.Append(CultureInfo.InvariantCulture, $",{t}");
        sb.Append('\n');
        foreach (var row in table.Rows)
        {
            sb.Append(row.Label).Append(',').Append(row.Size.ToString(CultureInfo.InvariantCulture));
            foreach (var v in row.Values) sb.Append(',').Append(CohortFormat.Cell(v, table.Values));
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
