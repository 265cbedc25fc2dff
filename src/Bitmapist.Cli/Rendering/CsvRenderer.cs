using Bitmapist.Cli.Commands;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// <c>--format csv</c>: each result is one RFC 4180 table, a header row naming its column(s) then its rows
/// (<c>count</c>, <c>contains</c>, <c>percent</c> with an empty field for an empty whole, <c>id</c> (with an id map
/// <c>id,external_id</c>, the external id empty for an id that has none), <c>event</c>,
/// <c>explain</c>, <c>help</c>, a cohort table in bitmapist's layout, a trend as <c>day,count</c> (with
/// <c>whole,percent</c> for a ratio), a funnel as <c>day</c> then one column of counts per step). Several statements write their tables one
/// after another with nothing between them, as <c>psql --csv</c> does: each starts with its header row. No
/// separator line is written because none is unambiguous in CSV: an empty line is also a one-column row with an
/// empty field (the percent of an empty whole). A reader that wants one table runs one statement per call.
/// </summary>
internal sealed class CsvRenderer(TextWriter stdout) : ResultRenderer(stdout)
{
    public override async Task RenderAsync(StatementResult result, CancellationToken ct)
    {
        switch (result)
        {
            case NoResult:
                break;
            case CountResult c:
                Output.Csv(["count"], [[Output.Text(c.Count)]]);
                break;
            case ContainsResult c:
                Output.Csv(["contains"], [[Output.Text(c.Contains)]]);
                break;
            case PercentResult p:
                Output.Csv(["percent"], [[p.Percent is { } share ? Percent(share) : ""]]);
                break;
            case IdsResult { IdMap: not null } i:
                // With an id map: the internal id and its external id (an empty field when it has none).
                await Output.Writer.WriteLineAsync("id,external_id".AsMemory(), ct).ConfigureAwait(false);
                await foreach (var id in i.MappedIds.WithCancellation(ct).ConfigureAwait(false))
                    await Output.Writer.WriteLineAsync((Output.Text(id.Id) + "," + (id.ExternalId is { } x ? Output.CsvField(x) : "")).AsMemory(), ct).ConfigureAwait(false);
                break;
            case IdsResult i:
                await Output.Writer.WriteLineAsync("id".AsMemory(), ct).ConfigureAwait(false);
                await foreach (var id in i.Ids.WithCancellation(ct).ConfigureAwait(false))
                    await Output.Writer.WriteLineAsync(Output.Text(id).AsMemory(), ct).ConfigureAwait(false);
                break;
            case EventsResult e:
                Output.Csv(["event"], e.Names.Select(n => new[] { n }));
                break;
            case ExplainResult e:
                Output.Csv(["explain"], [[e.Plan]]);
                break;
            case HelpResult h:
                Output.Csv(["help"], [[h.Text]]);
                break;
            case CohortResult c:
                Output.Writer.Write(CohortCsv.Render(c.Table));
                break;
            case TrendResult t:
                Output.Csv(TrendColumns.Header(t.Table), t.Table.Rows.Select(r => TrendColumns.Cells(t.Table, r, "")));
                break;
            case FunnelResult f:
                Output.Csv([CohortFormat.Unit(f.Table.Unit), .. f.Table.Steps], f.Table.Rows.Select(r => (IReadOnlyList<string>)[r.Label, .. r.Counts.Select(c => Output.Text(c))]));
                break;
            case CommandSummary s:
                Output.Csv(s.Columns, s.Rows);
                break;
            case TableResult t:
                // The facts lead every row as columns of their own (tidy data: two describes in one stream stay apart).
                var facts = t.Facts.Select(f => Output.Text(f.Value)).ToList();
                Output.Csv([.. t.Facts.Select(f => f.Key), .. t.Columns], t.Rows.Select(r => (IReadOnlyList<string>)[.. facts, .. r.Select(v => Output.Text(v))]));
                break;
            default:
                throw Unrendered(result);
        }
    }
}
