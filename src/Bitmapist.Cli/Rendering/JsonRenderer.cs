using Bitmapist.Cli.Commands;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Trends.Rendering;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// <c>--format json</c>: one JSON object per result, on one line, named by the statement
/// (<c>{"count":3}</c>, <c>{"contains":true}</c> (with <c>"external":"alice"</c> for <c>'alice' in SET</c>),
/// <c>{"percent":null}</c> for an empty whole, <c>{"ids":[...]}</c> streamed (with an id map,
/// <c>{"ids":[{"id":7,"external":"alice"},{"id":9,"external":null}]}</c>), <c>{"events":[...]}</c>, <c>{"explain":"..."}</c>, <c>{"help":"..."}</c>, a cohort table's, a trend's and a funnel's object).
/// Scripts read this shape: keep it.
/// </summary>
internal sealed class JsonRenderer(TextWriter stdout) : ResultRenderer(stdout)
{
    public override async Task RenderAsync(StatementResult result, CancellationToken ct)
    {
        switch (result)
        {
            case NoResult:
                break;
            case CountResult c:
                Output.Json(w => w.WriteNumber("count", c.Count));
                break;
            case ContainsResult { ExternalId: { } external } c:
                Output.Json(w =>
                {
                    w.WriteBoolean("contains", c.Contains);
                    w.WriteString("external", external);
                });
                break;
            case ContainsResult c:
                Output.Json(w => w.WriteBoolean("contains", c.Contains));
                break;
            case PercentResult p:
                Output.Json(w =>
                {
                    if (p.Percent is { } share) w.WriteNumber("percent", share);
                    else w.WriteNull("percent");
                });
                break;
            case IdsResult { IdMap: not null } i:
                // With an id map: each id with its external id (null when it has none), in order of internal id.
                using (var json = Output.BeginJson())
                {
                    json.Writer.WriteStartArray("ids");
                    await foreach (var id in i.MappedIds.WithCancellation(ct).ConfigureAwait(false))
                    {
                        json.Writer.WriteStartObject();
                        json.Writer.WriteNumber("id", id.Id);
                        if (id.ExternalId is { } external) json.Writer.WriteString("external", external);
                        else json.Writer.WriteNull("external");
                        json.Writer.WriteEndObject();
                        json.Flush();
                    }
                    json.Writer.WriteEndArray();
                }
                break;
            case IdsResult i:
                using (var json = Output.BeginJson())
                {
                    json.Writer.WriteStartArray("ids");
                    await foreach (var id in i.Ids.WithCancellation(ct).ConfigureAwait(false))
                    {
                        json.Writer.WriteNumberValue(id);
                        json.Flush();
                    }
                    json.Writer.WriteEndArray();
                }
                break;
            case EventsResult e:
                Output.Json(w =>
                {
                    w.WriteStartArray("events");
                    foreach (var name in e.Names) w.WriteStringValue(name);
                    w.WriteEndArray();
                });
                break;
            case ExplainResult e:
                Output.Json(w => w.WriteString("explain", e.Plan));
                break;
            case HelpResult h:
                Output.Json(w => w.WriteString("help", h.Text));
                break;
            case CohortResult c:
                Output.Writer.WriteLine(CohortJson.Render(c.Table));
                break;
            case TrendResult t:
                Output.Writer.WriteLine(TrendJson.Render(t.Table));
                break;
            case FunnelResult f:
                Output.Writer.WriteLine(FunnelJson.Render(f.Table));
                break;
            case CommandSummary s:
                Output.Json(s.Json);
                break;
            case TableResult t:
                Output.Json(w =>
                {
                    w.WriteStartObject(t.Name);
                    foreach (var (name, value) in t.Facts) Value(w, name, value);
                    w.WriteStartArray("rows");
                    foreach (var row in t.Rows)
                    {
                        w.WriteStartObject();
                        for (var i = 0; i < t.Columns.Length; i++) Value(w, t.Columns[i], row[i]);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
                break;
            default:
                throw Unrendered(result);
        }
    }

    /// <summary>One property of a table result: numbers and booleans as such, null as null, anything else as text.</summary>
    private static void Value(System.Text.Json.Utf8JsonWriter w, string name, object? value)
    {
        switch (value)
        {
            case null: w.WriteNull(name); break;
            case bool b: w.WriteBoolean(name, b); break;
            case int or long or uint: w.WriteNumber(name, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            case double d: w.WriteNumber(name, d); break;
            default: w.WriteString(name, Output.Text(value)); break;
        }
    }
}
