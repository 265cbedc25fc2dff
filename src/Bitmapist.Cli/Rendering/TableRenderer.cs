using System.Globalization;
using Bitmapist.Cli.Commands;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Trends;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// <c>--format table</c>, for people. A value is labelled as psql does, a header row naming it above the value
/// (<c>count</c>, <c>contains</c>, <c>percent</c>); lists (ids, events) are one value per line with no header, so they
/// pipe into other tools; documents (explain, help) print as they are; a cohort table is aligned, with its average
/// row and a legend; a trend is a row per period, a funnel a row per period with a column per step. Results after the first are set apart by an empty line, as psql does.
/// </summary>
internal sealed class TableRenderer(TextWriter stdout) : ResultRenderer(stdout)
{
    private bool _printed;

    public override async Task RenderAsync(StatementResult result, CancellationToken ct)
    {
        if (result is NoResult) return;
        if (_printed) await Output.Writer.WriteLineAsync().ConfigureAwait(false);
        _printed = true;
        switch (result)
        {
            case CountResult c:
                Output.Table(["count"], [[Output.Text(c.Count)]]);
                break;
            case ContainsResult c:
                Output.Table(["contains"], [[Output.Text(c.Contains)]]);
                break;
            case PercentResult p:
                Output.Table(["percent"], [[p.Percent is { } share ? Percent(share) : Undefined]]);
                break;
            case IdsResult { IdMap: not null } i:
                // With an id map: the external ids, in order of internal id; '#123' for an id that has none.
                await foreach (var id in i.MappedIds.WithCancellation(ct).ConfigureAwait(false))
                    await Output.Writer.WriteLineAsync(id.Display.AsMemory(), ct).ConfigureAwait(false);
                break;
            case IdsResult i:
                await foreach (var id in i.Ids.WithCancellation(ct).ConfigureAwait(false))
                    await Output.Writer.WriteLineAsync(Output.Text(id).AsMemory(), ct).ConfigureAwait(false);
                break;
            case EventsResult e:
                Output.Lines(e.Names);
                break;
            case ExplainResult e:
                Document(e.Plan);
                break;
            case HelpResult h:
                Document(h.Text);
                break;
            case CohortResult c:
                Cohort(c.Table);
                break;
            case TrendResult t:
                Output.Table(TrendColumns.Header(t.Table), t.Table.Rows.Select(r => TrendColumns.Cells(t.Table, r, Undefined)));
                break;
            case FunnelResult f:
                Funnel(f.Table);
                break;
            case CommandSummary s:
                Output.Writer.WriteLine(s.Sentence);
                break;
            case TableResult t:
                // The facts as "name: value" lines above the aligned rows.
                foreach (var (name, value) in t.Facts) Output.Writer.WriteLine($"{name}: {Output.Text(value)}");
                Output.Table(t.Columns, t.Rows.Select(r => (IReadOnlyList<string>)[.. r.Select(v => Output.Text(v))]));
                break;
            default:
                throw Unrendered(result);
        }
    }

    private void Document(string text)
    {
        if (text.EndsWith('\n')) Output.Writer.Write(text);
        else Output.Writer.WriteLine(text);
    }

    /// <summary>A funnel: a row per period, the users left after each step, and the overall conversion (last step of first).</summary>
    private void Funnel(FunnelTable table)
    {
        var rows = table.Rows.Select(r => (IReadOnlyList<string>)[r.Label, .. r.Counts.Select(c => Output.Text(c)), r.Overall is { } p ? Percent(p) : Undefined]);
        Output.Table([CohortFormat.Unit(table.Unit), .. table.Steps, "conversion %"], rows);
    }

    /// <summary>An aligned cohort table with the average row, then a line saying what the cells are.</summary>
    private void Cohort(CohortTable table)
    {
        string Cell(double? v) => CohortFormat.Cell(v, table.Values);
        var columns = new List<string> { table.Unit.ToString().ToLowerInvariant(), "total" };
        columns.AddRange(Enumerable.Range(0, table.Columns).Select(t => t.ToString(CultureInfo.InvariantCulture)));
        var rows = table.Rows.Select(r => (IReadOnlyList<string>)[r.Label, r.Size.ToString(CultureInfo.InvariantCulture), .. r.Values.Select(v => v is null ? Undefined : Cell(v))]).ToList();
        rows.Add(["average", table.AverageSize is { } a ? a.ToString("0.#", CultureInfo.InvariantCulture) : "", .. table.Average.Select(v => v is null ? Undefined : Cell(Math.Round(v.Value, 2)))]);
        Output.Table(columns, rows);
        Output.Writer.WriteLine(table.Values == CohortValues.Percent
            ? "cells: % of the row's cohort who returned t periods later; '.': no cohort or no data in that period"
            : "cells: users of the row's cohort who returned t periods later; '.': no cohort or no data in that period");
    }
}
