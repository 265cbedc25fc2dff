using System.Text;
using System.Text.Json;
using Bitmapist.Linq.Cohorts.Rendering;

namespace Bitmapist.Linq.Trends.Rendering;

/// <summary>
/// JSON of a funnel: <c>{"funnel": {"unit": "day", "steps": ["signup", "active", "paid"], "rows": [{"period":
/// "2026-03-01", "counts": [100, 60, 12]}, ...]}}</c>, rows oldest first, each step as written in the text language,
/// <c>counts[k]</c> the users left after step k. The writer's default escaping (<c>&amp;</c> as <c>\u0026</c>, as in
/// <see cref="Cohorts.Rendering.CohortJson"/>) keeps the text safe to embed in a page. Scripts and every host read this shape: keep it.
/// </summary>
public static class FunnelJson
{
    /// <summary>The funnel as one JSON object on one line.</summary>
    public static string Render(FunnelTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartObject("funnel");
            w.WriteString("unit", CohortFormat.Unit(table.Unit));
            w.WriteStartArray("steps");
            foreach (var step in table.Steps) w.WriteStringValue(step);
            w.WriteEndArray();
            w.WriteStartArray("rows");
            foreach (var row in table.Rows)
            {
                w.WriteStartObject();
                w.WriteString("period", row.Label);
                w.WriteStartArray("counts");
                foreach (var count in row.Counts) w.WriteNumberValue(count);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
