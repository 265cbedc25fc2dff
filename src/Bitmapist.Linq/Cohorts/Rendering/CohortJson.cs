using System.Text;
using System.Text.Json;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>
/// JSON: <c>{"cohort": {"query": "...", "unit": "day", "values": "percent", "rows": [{"period": "2026-03-01",
/// "size": 3, "cells": [100.0, 33.33333333333333, null]}], "average": [...]}}</c>, where null is an empty cell. Numbers are exact:
/// a percentage is the unrounded <c>(n / size) * 100</c> (<see cref="CohortRow.Values"/>) in the shortest digits that read back
/// as the same double, so a reader rounds it as it likes (Python's <c>round(p, 2)</c> gives what bitmapist shows); the average
/// row likewise.
/// </summary>
public static class CohortJson
{
    /// <summary>The table as one JSON object on one line.</summary>
    public static string Render(CohortTable table)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteStartObject("cohort");
            w.WriteString("query", table.Query.Text);
            w.WriteString("unit", CohortFormat.Unit(table.Unit));
            w.WriteString("values", table.Values == CohortValues.Percent ? "percent" : "counts");
            w.WriteStartArray("rows");
            foreach (var row in table.Rows)
            {
                w.WriteStartObject();
                w.WriteString("period", row.Label);
                w.WriteNumber("size", row.Size);
                Cells(w, "cells", row.Values, table.Values);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Cells(w, "average", table.Average, CohortValues.Percent);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Cells(Utf8JsonWriter w, string name, IEnumerable<double?> values, CohortValues kind)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            if (v is { } x) w.WriteRawValue(CohortFormat.Json(x, kind));
            else w.WriteNullValue();
        }
        w.WriteEndArray();
    }
}
