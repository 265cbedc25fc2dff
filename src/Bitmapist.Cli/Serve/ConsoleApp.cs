using System.Globalization;
using Bitmapist.Cli.Commands;
using Bitmapist.Cli.Repl;
using Bitmapist.Linq;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Statements;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Serve;

/// <summary>
/// What the console answers, request by request (the HTTP side is <see cref="ConsoleServer"/>'s):
/// <list type="bullet">
/// <item><c>GET /?q=STATEMENTS</c>: runs the statements (any of the text language; <c>let</c> names hold for the
/// statements after them) and shows each result (<see cref="ConsolePage"/>); the URL reproduces the result.</item>
/// <item><c>GET /?cohort=...&amp;then=...</c> (the cohort form's fields), or <c>GET /</c> when opened on a cohort
/// (<c>cohort --serve</c>): the cohort report with its form.</item>
/// <item><c>GET /</c>: the query box and examples. <c>GET /complete?line=...</c>: the REPL's completions
/// (<see cref="Completer"/>) of the line's last word, as whole lines in JSON, for the box's suggestions.</item>
/// <item><c>/console.css</c>, <c>/console.js</c>: the assets (<see cref="ConsoleAssets"/>).</item>
/// </list>
/// Every request is limited (<see cref="ServeLimits"/>): the query's length, a table's cells (cohort, funnel, trend), ids per page,
/// its time (waiting for its turn included) and how many run at once; the page says which limit it met.
/// </summary>
internal sealed partial class ConsoleApp(BitmapStore store, ConsoleOptions options, ServeLimits limits)
{
    private static readonly string[] CohortFields = ["cohort", "then", "by", "values", "rows", "cols", "from", "retention", "membership"];

    private readonly SemaphoreSlim _slots = new(limits.MaxConcurrentTables, limits.MaxConcurrentTables);
    private readonly StatementExecutor _executor = new(store);

    public async Task<Answer> AnswerAsync(string method, Uri url, CancellationToken ct)
    {
        if (method is not ("GET" or "HEAD")) return Answer.Text(405, "Only GET: the console's forms submit by GET.\n");
        var fields = Fields(url.Query);
        switch (url.AbsolutePath)
        {
            case "/console.css":
                return new Answer(200, "text/css; charset=utf-8", ConsoleAssets.Stylesheet);
            case "/console.js":
                return new Answer(200, "text/javascript; charset=utf-8", ConsoleAssets.Script);
            case "/complete":
                return await CompleteAsync(fields.GetValueOrDefault("line", ""), ct).ConfigureAwait(false);
            case "/":
                break;
            default:
                return Answer.Text(404, "Not found: the console is at /.\n");
        }
        if (fields.TryGetValue("q", out var q)) return await QueryAsync(q, ct).ConfigureAwait(false);
        if (options.Cohort is not null || CohortFields.Any(fields.ContainsKey)) return await CohortFormAsync(url.Query, ct).ConfigureAwait(false);
        return Answer.Html(200, ConsolePage.Home());
    }

    /// <summary>The fields of a query string, decoded (a repeated field: the last wins).</summary>
    public static Dictionary<string, string> Fields(string queryString)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in queryString.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            fields[Decode(eq < 0 ? pair : pair[..eq])] = eq < 0 ? "" : Decode(pair[(eq + 1)..]);
        }
        return fields;

        static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));
    }

    /// <summary>The statements' results, or the page saying why there are none.</summary>
    private async Task<Answer> QueryAsync(string text, CancellationToken ct)
    {
        if (text.Length > limits.MaxQueryLength)
            return Answer.Html(400, ConsolePage.Error(text[..200] + "...", "the query is too long", string.Create(CultureInfo.InvariantCulture,
                $"The query has {text.Length} characters; the console takes at most {limits.MaxQueryLength} (the server's limit). Shorten it, or run it with bitmapist query -f FILE.")));
        if (string.IsNullOrWhiteSpace(text)) return Answer.Html(200, ConsolePage.Home());
        IReadOnlyList<TextStatement> statements;
        try
        {
            statements = TextQuery.Parse(text);
        }
        catch (QuerySyntaxException e)
        {
            return Answer.Html(400, ConsolePage.Error(text, "the query needs a fix", e.Message));
        }
        if (ParameterOptions.FirstUnbound(statements, new Dictionary<string, Linq.Query.SetExpr>()) is { } missing)
            return Answer.Html(400, ConsolePage.Error(text, "the query needs a fix",
                $"The query uses @{missing}, and the console has no parameters: write the set itself, or name it first with let {missing} = SET; then use {missing}."));
        foreach (var statement in statements)
        {
            if (Cells(statement is ExplainStatement e ? e.Statement : statement) is { } size && TooLarge(size) is { } why)
                return Answer.Html(400, ConsolePage.Error(text, "the table is too large", why));
        }
        var (shown, problem) = await RunLimitedAsync(ct => RunAsync(statements, ct), "running the query", ct).ConfigureAwait(false);
        return problem is { } p
            ? Answer.Html(p.Status, ConsolePage.Error(text, p.Title, p.Message))
            : Answer.Html(200, ConsolePage.Results(text, shown!, limits.MaxIds));
    }

    /// <summary>Runs the statements in order, reading at most one page of ids each (a long list is paged, never held).</summary>
    private async Task<IReadOnlyList<Shown>> RunAsync(IReadOnlyList<TextStatement> statements, CancellationToken ct)
    {
        var shown = new List<Shown>();
        var i = 0;
        await foreach (var result in _executor.ExecuteAllAsync(statements, null, ct).ConfigureAwait(false))
        {
            var statement = statements[i++];
            if (result is IdsResult ids)
            {
                var page = new List<long>();
                await foreach (var id in ids.Ids.WithCancellation(ct).ConfigureAwait(false))
                {
                    if (page.Count == limits.MaxIds + 1) break; // one more than shown: is there a next page?
                    page.Add(id);
                }
                IReadOnlyList<MappedId>? mapped = null;
                if (ids.IdMap is { } map)
                {
                    // One lookup for the page, never one per id.
                    var external = page.Count == 0 ? [] : await map.FindExternalAsync([.. page.Select(id => (uint)id)], ct).ConfigureAwait(false);
                    mapped = [.. page.Select((id, k) => new MappedId(id, external[k]))];
                }
                shown.Add(new Shown(statement, result, page, mapped));
            }
            else
            {
                shown.Add(new Shown(statement, result, null));
            }
        }
        return shown;
    }

    /// <summary>The cohort report and its form (<c>cohort --serve</c>), for a submission or the table the console opened on.</summary>
    private async Task<Answer> CohortFormAsync(string queryString, CancellationToken ct)
    {
        // The opening table fills what the request leaves out; a start given as an offset is read at each request.
        var defaults = options.Cohort is { } initial ? CohortForm.Of(initial, store.Now) : new CohortForm("", "");
        var form = CohortFormReader.FromQueryString(queryString, defaults);
        CohortQuery query;
        try
        {
            query = form.ToQuery();
        }
        catch (Exception e) when (e is FormatException or QuerySyntaxException or BitmapistQueryException)
        {
            return Answer.Html(400, CohortFormPage.Error(form, e.Message, "the form needs a fix"));
        }
        if (Cells(new CohortStatement(query)) is { } size && TooLarge(size) is { } why) return Answer.Html(400, CohortFormPage.Error(form, why, "the table is too large"));
        var (outcome, problem) = await RunLimitedAsync<(CohortTable? Table, IReadOnlyList<EventWarning>? Warnings)>(async ct =>
        {
            var table = await store.CohortAsync(query, ct: ct).ConfigureAwait(false);
            // A misspelt event reads as empty: say so on the page, as the CLI does on stderr. The table is ready,
            // so a check that fails only loses its warning.
            IReadOnlyList<EventWarning> warnings = [];
            try
            {
                warnings = await store.CheckEventsAsync(query, ct: ct).ConfigureAwait(false);
            }
            catch (BitmapistStoreException)
            {
            }
            return (table, warnings);
        }, "computing the table", ct).ConfigureAwait(false);
        return problem is { } p
            ? Answer.Html(p.Status, CohortFormPage.Error(form, p.Message, p.Title))
            : Answer.Html(200, CohortFormPage.Render(outcome.Table!, outcome.Warnings!));
    }

    /// <summary>
    /// The size of a table statement, the unit of the cell cap: a cohort's rows times its columns (its size column
    /// included); a trend's or funnel's rows times the sets each row counts. A window (a funnel's <c>within</c>) over one
    /// event is one range, one set; over a template of several events it is one set per period (grammar/README.md,
    /// "Limits"), so it counts its width. Null for other statements.
    /// </summary>
    private static (string What, int Rows, long PerRow, string Unit)? Cells(TextStatement statement) => statement switch
    {
        CohortStatement c => ("table", c.Query.RowCount, c.Query.Cols + 1, "columns"),
        FunnelStatement f => ("funnel", f.Query.RowCount, f.Query.Steps.Select((step, k) => k == 0 ? 1 : Sets(step, f.Query.Within)).Sum(), "sets per row"),
        TrendStatement t => ("trend", t.Query.RowCount, Sets(t.Query.Template, t.Query.Window) + (t.Query.Of is { } of ? Sets(of.Template, of.Window) : 0), "sets per row"),
        _ => null,
    };

    private static long Sets(Linq.Query.SetExpr template, int window) => template is Linq.Query.TemplateNode ? 1 : window;

    private string? TooLarge((string What, int Rows, long PerRow, string Unit) size)
    {
        var cells = size.Rows * size.PerRow;
        return cells <= limits.MaxCells ? null : string.Create(CultureInfo.InvariantCulture,
            $"This {size.What} has {size.Rows} rows and {size.PerRow} {size.Unit}, {cells} cells; a served table has at most {limits.MaxCells} (the server's --max-cells). Use fewer rows or columns, or a coarser grouping; or restart the server with a larger --max-cells.");
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one of the slots, within the request's time. Returns its value, or how to
    /// answer instead: the problem's status, title and message.
    /// </summary>
    /// <param name="work">The work, given the request's token.</param>
    /// <param name="doing">What the work is doing, for the timeout's message: <c>computing the table</c>.</param>
    /// <param name="ct">The server's token.</param>
    private async Task<(T? Value, Problem? Problem)> RunLimitedAsync<T>(Func<CancellationToken, Task<T>> work, string doing, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limits.Timeout);
        var waiting = true;
        try
        {
            await _slots.WaitAsync(timeout.Token).ConfigureAwait(false);
            waiting = false;
            Task<T> run;
            try
            {
                run = work(timeout.Token);
            }
            catch
            {
                _slots.Release();
                throw;
            }
            // A Redis reply cannot be cancelled once the batch is sent: the page does not wait for it past the
            // timeout, but the slot stays taken until the work has really ended, so abandoned work never adds up
            // beyond the limit.
            _ = run.ContinueWith(t =>
            {
                _ = t.Exception; // observed: a late failure of abandoned work is nobody's to report
                _slots.Release();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return (await run.WaitAsync(timeout.Token).ConfigureAwait(false), null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            var seconds = limits.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            var where = waiting
                ? $"waiting for one of the {limits.MaxConcurrentTables} requests run at once to finish"
                : $"{doing} (a large table, or a store that is slow or not answering)";
            return (default, new Problem(504, "the request timed out",
                $"The request timed out after {seconds} s (the server's --timeout), {where}, and was stopped. Use fewer rows or columns, or a coarser grouping; check that the store answers; or restart the server with a longer --timeout."));
        }
        catch (Exception e) when (e is FormatException or QuerySyntaxException or BitmapistQueryException)
        {
            return (default, new Problem(400, "the query needs a fix", e.Message));
        }
        catch (BitmapistStoreException e)
        {
            return (default, new Problem(503, "the store failed", e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else goes wrong in one request is that request's problem: the server keeps answering.
            return (default, new Problem(500, "internal error", $"Internal error ({e.GetType().Name}): {e.Message}"));
        }
    }

    /// <summary>The names that <c>let NAME =</c> statements in <paramref name="before"/> define.</summary>
    private static IEnumerable<string> LetNames(string before) =>
        LetStatement().Matches(before).Select(m => m.Groups[1].Value);

    [System.Text.RegularExpressions.GeneratedRegex(@"(?:^|;|\n)\s*let\s+([A-Za-z_][A-Za-z0-9_]*)\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex LetStatement();

    /// <summary>The completions of the line's last word, each the whole line completed, as a JSON array of strings.</summary>
    private async Task<Answer> CompleteAsync(string line, CancellationToken ct)
    {
        if (line.Length > limits.MaxQueryLength) return new Answer(200, "application/json; charset=utf-8", "[]");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limits.Timeout);
        IReadOnlyList<Completion> found;
        var start = Completer.WordStart(line, line.Length);
        try
        {
            // The names the line's own let statements define complete too, as the REPL's session's do.
            var completer = new Completer((prefix, ct) => store.ListEventsAsync(prefix, ct), () => LetNames(line[..start]));
            found = await completer.CompleteAsync(line[..start], line[start..], timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            found = [];
        }
        using var buffer = new MemoryStream();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var c in found.Take(50)) json.WriteStringValue(line[..start] + c.Insert);
            json.WriteEndArray();
        }
        return new Answer(200, "application/json; charset=utf-8", System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}

/// <summary>Why a request has no result: the HTTP status, the page's title and the message (what, why, how to fix).</summary>
internal sealed record Problem(int Status, string Title, string Message);

/// <summary>One statement and its result; for ids, the page read (one more id than shown when there is a next page).</summary>
/// <param name="Mapped">With an id map: <paramref name="Ids"/> with their external ids (one lookup for the page); null without.</param>
internal sealed record Shown(TextStatement Statement, StatementResult Result, IReadOnlyList<long>? Ids, IReadOnlyList<MappedId>? Mapped = null);
