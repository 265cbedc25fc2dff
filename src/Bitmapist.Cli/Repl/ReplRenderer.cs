using System.Globalization;
using Bitmapist.Cli.Commands;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Trends;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Bitmapist.Cli.Repl;

/// <summary>
/// The interactive REPL's output format: rich tables (a header naming each value, numbers on the right),
/// <c>explain</c> as a panel, ids ten to a row with how to page on, cohort tables with heat-map cells, trends and funnels
/// as tables. Renders
/// every result type; the ids of an <see cref="IdsResult"/> are read first by <see cref="PrepareAsync"/>, so the
/// statement's timing includes them and nothing is read while drawing.
/// </summary>
internal sealed class ReplRenderer(IAnsiConsole console)
{
    /// <summary>Ids shown for <c>ids</c> without a limit (a limit shows up to <see cref="MaxIdsShown"/>).</summary>
    public const int IdsShown = 100;

    public const int MaxIdsShown = 10_000;

    /// <summary>An <see cref="IdsResult"/> with the ids shown read, and the paging of the ids after them, if any.</summary>
    /// <param name="Mapped">With an id map: the ids shown with their external ids (one lookup for the page); null without.</param>
    internal sealed record ShownIds(IdsPage Page, IReadOnlyList<MappedId>? Mapped = null) : StatementResult;

    /// <summary>A result written to a file (<c>ids SET &gt; out.txt</c>): where, and how many ids when it was a list of ids.</summary>
    internal sealed record WrittenFile(string Path, long? Ids) : StatementResult;

    /// <summary>Reads what <see cref="Render"/> shows of a lazy result: up to <see cref="IdsShown"/> ids (the statement's limit, at most <see cref="MaxIdsShown"/>).</summary>
    public static async Task<StatementResult> PrepareAsync(StatementResult result, CancellationToken ct)
    {
        if (result is not IdsResult ids) return result;
        var shown = Math.Min(ids.Paging.Limit ?? IdsShown, MaxIdsShown);
        var list = new List<long>();
        Paging? next = null;
        await foreach (var id in ids.Ids.WithCancellation(ct).ConfigureAwait(false))
        {
            if (list.Count == shown)
            {
                next = ids.Paging.Next(list[^1]);
                break;
            }
            list.Add(id);
        }
        IReadOnlyList<MappedId>? mapped = null;
        if (ids.IdMap is { } map && list.Count > 0)
        {
            // One lookup for the page shown, never one per id.
            var external = await map.FindExternalAsync([.. list.Select(i => (uint)i)], ct).ConfigureAwait(false);
            mapped = [.. list.Select((id, k) => new MappedId(id, external[k]))];
        }
        return new ShownIds(new IdsPage(list, next), ids.IdMap is null ? null : mapped ?? []) { Warnings = ids.Warnings };
    }

    /// <summary>Draws one prepared result.</summary>
    /// <exception cref="InvalidOperationException">An <see cref="IdsResult"/> not prepared, or a result type with no case here.</exception>
    public void Render(StatementResult result)
    {
        switch (result)
        {
            case NoResult:
                break;
            case CountResult c:
                console.Write(Table(["count"], [[Number(c.Count)]]));
                break;
            case ContainsResult c:
                console.Write(Table(["id", "in"], [[c.User, c.Contains ? "true" : "false"]]));
                break;
            case PercentResult p:
                console.Write(Table(["percent", "part", "whole"], [[p.Percent is { } share ? ResultRenderer.Percent(share) + " %" : ResultRenderer.Undefined + " (the whole is empty)", Number(p.Part), Number(p.Whole)]]));
                break;
            case EventsResult e:
                if (e.Names.Count == 0) console.MarkupLine("[grey]no events[/]");
                else console.Write(Table(["event"], e.Names.Select(n => new[] { n }).ToList()));
                break;
            case ExplainResult e:
                console.Write(new Panel(new Text(e.Plan.TrimEnd('\n'))) { Header = new PanelHeader("plan"), Border = BoxBorder.Rounded });
                break;
            case HelpResult h:
                console.WriteLine(h.Text.TrimEnd('\n'));
                break;
            case CommandSummary s:
                console.WriteLine(s.Sentence);
                break;
            case TableResult t:
                foreach (var (name, value) in t.Facts) console.MarkupLine($"[grey]{Markup.Escape(name)}:[/] {Markup.Escape(Output.Text(value))}");
                console.Write(Table(t.Columns, [.. t.Rows.Select(r => r.Select(v => Output.Text(v)).ToArray())]));
                break;
            case ShownIds i:
                RenderIds(i.Page, i.Mapped);
                break;
            case WrittenFile w:
                console.MarkupLine(Markup.Escape(w.Ids is { } n ? $"wrote {Number(n)} ids to {w.Path}" : $"wrote the result to {w.Path}"));
                break;
            case CohortResult c:
                RenderCohort(c.Table);
                break;
            case TrendResult t:
                RenderTrend(t.Table);
                break;
            case FunnelResult f:
                RenderFunnel(f.Table);
                break;
            case IdsResult:
                throw new InvalidOperationException("The REPL reads the ids it shows before drawing them: pass the result through PrepareAsync first.");
            default:
                throw new InvalidOperationException($"The {result.GetType().Name} of this statement has no rendering in the REPL: add its case to ReplRenderer (docs/EXTENDING.md).");
        }
    }

    /// <summary>A cohort table with heat-map cells: the darker the blue, the larger the share that returned.</summary>
    private void RenderCohort(CohortTable table)
    {
        var grid = new Table { Border = TableBorder.Rounded };
        grid.AddColumn(new TableColumn(table.Unit.ToString().ToLowerInvariant()));
        grid.AddColumn(new TableColumn("total") { Alignment = Justify.Right });
        for (var t = 0; t < table.Columns; t++) grid.AddColumn(new TableColumn(t.ToString(CultureInfo.InvariantCulture)) { Alignment = Justify.Right });
        string Cell(double? value, double? share)
        {
            if (value is null) return "";
            var text = Markup.Escape(CohortFormat.Cell(value, table.Values));
            if (share is not { } p) return text;
            var shade = (int)Math.Round(Math.Clamp(p, 0, 100) / 100 * 5); // 0..5 steps of blue
            return shade == 0 ? text : $"[{(shade >= 3 ? "white" : "black")} on {Shades[shade]}]{text}[/]";
        }
        foreach (var row in table.Rows)
            grid.AddRow([Markup.Escape(row.Label), Number(row.Size), .. row.Retained.Select((n, t) =>
                Cell(row.Values[t], n is { } x && row.Size > 0 ? 100.0 * x / row.Size : null))]);
        grid.AddRow(["[bold]average[/]", table.AverageSize is { } a ? a.ToString("0.#", CultureInfo.InvariantCulture) : "",
            .. table.Average.Select(v => v is { } x ? Cell(Math.Round(x, 2), table.Values == CohortValues.Percent ? x : null) : "")]);
        console.Write(grid);
        console.MarkupLine(table.Values == CohortValues.Percent
            ? "[grey]% of each row's cohort who returned t periods later; empty: no cohort, or no data in that period[/]"
            : "[grey]users of each row's cohort who returned t periods later; empty: no cohort, or no data in that period[/]");
    }

    /// <summary>
    /// A trend: a row per period, oldest first (with the whole and the percent for a ratio), each with a bar of its
    /// value (the count, or the percent of a ratio), then the series as a sparkline with its lowest and highest rows.
    /// </summary>
    private void RenderTrend(TrendTable table)
    {
        double? Value(TrendRow r) => table.IsRatio ? r.Percent : r.Count;
        var rows = table.Rows.Select(r => table.IsRatio
            ? new[] { r.Label, Number(r.Count), r.Whole is { } w ? Number(w) : "", r.Percent is { } p ? ResultRenderer.Percent(p) + " %" : ResultRenderer.Undefined }
            : [r.Label, Number(r.Count)]).ToList();
        var columns = table.IsRatio ? new[] { CohortFormat.Unit(table.Unit), "count", "whole", "percent" } : [CohortFormat.Unit(table.Unit), "count"];
        // The bars fill what the terminal has left beside the numbers (borders and padding: 3 columns a cell).
        var used = columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Length).Max() + 3).Sum() + 4;
        var width = Charts.BarWidth(console.Profile.Width, used);
        var max = table.Rows.Select(Value).Max() ?? 0;
        var grid = Periods(Table([.. columns, ""], [.. rows.Select((r, i) => (string[])[.. r, Charts.Bar(Value(table.Rows[i]), max, width)])]));
        grid.Columns[^1].Alignment = Justify.Left;
        grid.Columns[^1].Width = width;
        grid.Columns[^1].NoWrap = true; // a bar is never wrapped onto a second line
        console.Write(grid);
        var known = table.Rows.Where(r => Value(r) is not null).ToList();
        if (known.Count < 2) return;
        var low = known.MinBy(r => Value(r)!.Value)!;
        var high = known.MaxBy(r => Value(r)!.Value)!;
        string Shown(TrendRow r) => table.IsRatio ? ResultRenderer.Percent(r.Percent!.Value) + " %" : Number(r.Count);
        console.MarkupLine($"{Markup.Escape(Charts.Sparkline([.. table.Rows.Select(Value)]))}  [grey]low {Markup.Escape(Shown(low))} ({Markup.Escape(low.Label)}), high {Markup.Escape(Shown(high))} ({Markup.Escape(high.Label)})[/]");
    }

    /// <summary>
    /// A funnel: a row per period with the users left after each step and the overall conversion, then the steps as
    /// bars (every row's funnel added up) with each step's conversion from the step before and from the first.
    /// </summary>
    private void RenderFunnel(FunnelTable table)
    {
        var rows = table.Rows.Select(r => (string[])[r.Label, .. r.Counts.Select(Number), r.Overall is { } p ? ResultRenderer.Percent(p) + " %" : ResultRenderer.Undefined]).ToList();
        console.Write(Periods(Table([CohortFormat.Unit(table.Unit), .. table.Steps, "conversion"], rows)));
        var totals = table.Totals;
        string Share(long part, long whole) => whole == 0 ? ResultRenderer.Undefined : ResultRenderer.Percent(100.0 * part / whole) + " %";
        var labels = table.Steps.Select(s => s.Length > 30 ? s[..29] + "…" : s).ToList();
        var cells = Enumerable.Range(0, totals.Length).Select(k => (Users: Number(totals[k]),
            Before: k == 0 ? "" : Share(totals[k], totals[k - 1]), First: k <= 1 ? "" : Share(totals[k], totals[0]))).ToList();
        // The bars fill what the terminal has left beside the label and the numbers (borders and padding: 3 columns a cell).
        var used = labels.Max(l => l.Length) + Math.Max("users".Length, cells.Max(c => c.Users.Length)) + "of previous".Length + "of first".Length + 5 * 3 + 2;
        var width = Charts.BarWidth(console.Profile.Width, used);
        var bars = new Table { Border = TableBorder.Simple };
        bars.AddColumn(new TableColumn("step"));
        bars.AddColumn(new TableColumn("") { Width = width, NoWrap = true }); // a bar is never wrapped onto a second line
        bars.AddColumn(new TableColumn("users") { Alignment = Justify.Right });
        bars.AddColumn(new TableColumn("of previous") { Alignment = Justify.Right });
        bars.AddColumn(new TableColumn("of first") { Alignment = Justify.Right });
        var scale = totals[0] == 0 ? totals.Max() : totals[0];
        for (var k = 0; k < totals.Length; k++)
            bars.AddRow(new Text(labels[k]), new Text(Charts.Bar(totals[k], scale, width)), new Text(cells[k].Users), new Text(cells[k].Before), new Text(cells[k].First));
        console.MarkupLine(table.Rows.Length == 1 ? "[grey]the funnel:[/]" : $"[grey]all {table.Rows.Length} rows added up:[/]");
        console.Write(bars);
    }

    private static readonly string[] Shades = ["default", "lightcyan1", "paleturquoise1", "skyblue1", "deepskyblue3", "dodgerblue3"];

    /// <summary>
    /// Ids ten to a row; with an id map (<paramref name="mapped"/>) their external ids, five to a row on the left
    /// (<c>#123</c> for an id that has none), still in order of internal id, which is what <c>after</c> pages by.
    /// </summary>
    private void RenderIds(IdsPage page, IReadOnlyList<MappedId>? mapped)
    {
        var ids = page.Ids;
        if (ids.Count == 0)
        {
            console.MarkupLine("[grey]no ids[/]");
            return;
        }
        var perRow = mapped is null ? 10 : 5;
        IReadOnlyList<string> cells = mapped is null ? [.. ids.Select(id => id.ToString(CultureInfo.InvariantCulture))] : [.. mapped.Select(m => m.Display)];
        var rows = cells.Chunk(perRow).ToList();
        var grid = new Table { Border = TableBorder.Rounded, ShowHeaders = false };
        for (var c = 0; c < Math.Min(perRow, ids.Count); c++) grid.AddColumn(new TableColumn("") { Alignment = mapped is null ? Justify.Right : Justify.Left });
        foreach (var row in rows) grid.AddRow([.. row.Select(v => (IRenderable)new Text(v)), .. Enumerable.Repeat((IRenderable)new Text(""), grid.Columns.Count - row.Length)]);
        console.Write(grid);
        var after = mapped is null ? "" : " (the internal id of the last one shown: ids are in order of internal id)";
        console.MarkupLine(page.Next is { } next
            ? $"[grey]{ids.Count} ids shown, more follow: add limit N, or after {next.After} for the next page{Markup.Escape(after)}[/]"
            : $"[grey]{ids.Count} ids[/]");
    }

    private static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A table whose first column is a period and the others numbers: labels on the left, numbers on the right (a week's label starts with a digit).</summary>
    private static Table Periods(Table table)
    {
        for (var i = 0; i < table.Columns.Count; i++) table.Columns[i].Alignment = i == 0 ? Justify.Left : Justify.Right;
        return table;
    }

    private static Table Table(IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        var table = new Table { Border = TableBorder.Rounded };
        for (var i = 0; i < columns.Count; i++)
        {
            // Numbers line up on the right, names on the left.
            var numeric = rows.All(r => r[i].Length > 0 && (char.IsAsciiDigit(r[i][0]) || r[i] is "true" or "false"));
            table.AddColumn(new TableColumn(Markup.Escape(columns[i])) { Alignment = numeric ? Justify.Right : Justify.Left });
        }
        foreach (var r in rows) table.AddRow(r.Select(v => (IRenderable)new Text(v)).ToArray());
        return table;
    }
}
