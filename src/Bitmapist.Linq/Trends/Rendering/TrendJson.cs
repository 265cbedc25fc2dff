using System.Text;
using System.Text.Json;
using Bitmapist.Linq.Cohorts.Rendering;

namespace Bitmapist.Linq.Trends.Rendering;

/// <summary>
/// JSON of a trend: <c>{"trend": {"unit": "day", "rows": [{"period": "2026-03-01", "count": 123}, ...]}}</c>, rows
/// oldest first. A ratio (<c>of ...</c>) adds to each row <c>"whole"</c> (users in its whole) and <c>"percent"</c>
/// (the exact share, null when the whole is empty). Scripts and every host read this shape: keep it.
/// </summary>
public static class TrendJson
{
    /// <summary>The trend as one JSON object on one line.</summary>
    public static string Render(TrendTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartObject("trend");
            w.WriteString("unit", CohortFormat.Unit(table.Unit));
            w.WriteStartArray("rows");
            foreach (var row in table.Rows)
            {
                w.WriteStartObject();
                w.WriteString("period", row.Label);
                w.WriteNumber("count", row.Count);
                if (table.IsRatio)
                {
                    if (row.Whole is { } whole) w.WriteNumber("whole", whole);
                    else w.WriteNull("whole");
                    // The exact value (shortest round-trip form): rounding is for people, in the table.
                    if (row.Percent is { } percent) w.WriteNumber("percent", percent);
                    else w.WriteNull("percent");
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
