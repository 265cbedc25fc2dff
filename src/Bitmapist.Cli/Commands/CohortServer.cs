using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Bitmapist.Linq;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>What one served request may use: the table's size, its time, and how many tables run at once.</summary>
/// <param name="MaxCells">The most cells (rows times columns) a served table may have.</param>
/// <param name="Timeout">How long one request may take, waiting for its turn included.</param>
/// <param name="MaxConcurrentTables">How many tables are computed at once; further requests wait their turn.</param>
internal sealed record ServeLimits(int MaxCells, TimeSpan Timeout, int MaxConcurrentTables)
{
    /// <summary>
    /// 10,000 cells (e.g. 100 rows x 100 columns): such a table plans in about half a second and some 40 MB, so a
    /// few at once stay small next to the store, while the largest table the language allows (100,000 cells) takes
    /// seconds and 200 MB (docs/performance.md).
    /// </summary>
    public const int DefaultMaxCells = 10_000;

    /// <summary>30 seconds: longer than any table within the cell cap takes on the sample data, short enough for a browser.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The defaults; tables run at once: one per core, at least two.</summary>
    public static ServeLimits Default { get; } = new(DefaultMaxCells, DefaultTimeout, Math.Max(2, Environment.ProcessorCount));
}

/// <summary>
/// <c>bitmapist cohort ... --serve PORT</c>: the HTML report with its form at <c>http://127.0.0.1:PORT/</c> until
/// Ctrl+C, so the form (pick the sets, the grouping, counts or percent, rows, columns, a start date) works as it
/// does in a bitmapist dashboard. Each GET is read with <see cref="CohortFormReader.FromQueryString"/> (the command's own
/// table fills what the request leaves out), run on the store opened once, and answered with the page; a form that
/// does not make a table gets itself back with the error (400). Only loopback, only reads.
/// Requests are answered concurrently (a quick one never waits behind a large table), at most
/// <see cref="ServeLimits.MaxConcurrentTables"/> tables at a time; each table is capped in cells and in time
/// (<see cref="ServeLimits"/>), and the page says which limit it met.
/// </summary>
internal static class CohortServer
{
    public static async Task<int> RunAsync(BitmapStore store, CohortQuery initial, int port, ServeLimits limits, CliContext context, CancellationToken ct)
    {
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        try
        {
            listener.Start();
        }
        catch (HttpListenerException e)
        {
            context.Error($"cannot serve on 127.0.0.1:{port}: {e.Message}.");
            return Cli.Failed;
        }
        await context.Out.WriteLineAsync($"serving the cohort report at http://127.0.0.1:{port}/ (Ctrl+C to stop)").ConfigureAwait(false);
        await context.Out.FlushAsync(ct).ConfigureAwait(false);
        var server = new Server(store, initial, limits, context);
        var running = new HashSet<Task>();
        using var stop = ct.Register(listener.Stop);
        while (!ct.IsCancellationRequested)
        {
            HttpListenerContext exchange;
            try
            {
                exchange = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                break; // Stop() ends the pending wait
            }
            // Each request on its own task: the loop is back at GetContextAsync at once.
            var answer = Task.Run(() => server.AnswerAsync(exchange, ct), CancellationToken.None);
            lock (running) running.Add(answer);
            _ = answer.ContinueWith(t => { lock (running) running.Remove(t); }, TaskScheduler.Default);
        }
        Task[] left;
        lock (running) left = [.. running];
        await Task.WhenAll(left).ConfigureAwait(false); // each ends promptly: its token is cancelled
        return Cli.Ok;
    }

    private sealed class Server(BitmapStore store, CohortQuery initial, ServeLimits limits, CliContext context)
    {
        private readonly SemaphoreSlim _tables = new(limits.MaxConcurrentTables, limits.MaxConcurrentTables);
        private readonly SemaphoreSlim _log = new(1, 1); // the log is one writer shared by every request

        public async Task AnswerAsync(HttpListenerContext exchange, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            var request = exchange.Request;
            int status;
            string page;
            try
            {
                (status, page) = request switch
                {
                    { HttpMethod: not ("GET" or "HEAD") } => (405, "Only GET: the form submits by GET.\n"),
                    { Url.AbsolutePath: not "/" } => (404, "Not found: the report is at /.\n"),
                    _ => await PageAsync(request.Url!.Query, ct).ConfigureAwait(false),
                };
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                try { exchange.Response.Abort(); } catch (ObjectDisposedException) { } // the server is stopping
                return;
            }
            try
            {
                var response = exchange.Response;
                response.StatusCode = status;
                response.ContentType = page.StartsWith("<!DOCTYPE", StringComparison.Ordinal) ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
                response.Headers["Cache-Control"] = "no-store";
                var bytes = Encoding.UTF8.GetBytes(page);
                response.ContentLength64 = bytes.Length;
                if (request.HttpMethod != "HEAD") await response.OutputStream.WriteAsync(bytes, ct).ConfigureAwait(false);
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                // The client went away, or the listener already answered (411 to a body without a length): one
                // request never stops the server.
                try { exchange.Response.Abort(); } catch (ObjectDisposedException) { }
            }
            await _log.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                await context.Out.WriteLineAsync($"{request.HttpMethod} {request.Url?.PathAndQuery} {status} {watch.Elapsed.TotalMilliseconds:0} ms").ConfigureAwait(false);
                await context.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                _log.Release();
            }
        }

        private async Task<(int Status, string Page)> PageAsync(string queryString, CancellationToken ct)
        {
            // The command's table fills what the request leaves out; a start given as an offset is read at each request.
            var form = CohortFormReader.FromQueryString(queryString, CohortForm.Of(initial, store.Now));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(limits.Timeout);
            var waiting = true;
            try
            {
                var query = form.ToQuery();
                var cells = (long)query.RowCount * (query.Cols + 1);
                if (cells > limits.MaxCells)
                    return (400, Error(form, string.Create(CultureInfo.InvariantCulture,
                        $"This table has {query.RowCount} rows and {query.Cols + 1} columns, {cells} cells; a served table has at most {limits.MaxCells} (the server's --max-cells). Use fewer rows or columns, or a coarser grouping; or restart the server with a larger --max-cells."),
                        "the table is too large"));
                await _tables.WaitAsync(timeout.Token).ConfigureAwait(false);
                waiting = false;
                Task<CohortTable> run;
                try
                {
                    run = store.CohortAsync(query, ct: timeout.Token);
                }
                catch
                {
                    _tables.Release();
                    throw;
                }
                // A Redis reply cannot be cancelled once the batch is sent: the page does not wait for it past the
                // timeout, but the table's slot stays taken until the work has really ended, so abandoned tables
                // never add up beyond the limit.
                _ = run.ContinueWith(t =>
                {
                    _ = t.Exception; // observed: a late failure of an abandoned table is nobody's to report
                    _tables.Release();
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                var table = await run.WaitAsync(timeout.Token).ConfigureAwait(false);
                // A misspelt event reads as empty: say so on the page, as the CLI does on stderr. The table is ready,
                // so a check that runs out of the request's time (its SCAN on a large Redis) or fails only loses its warning.
                IReadOnlyList<EventWarning> warnings = [];
                try
                {
                    warnings = await store.CheckEventsAsync(query, ct: timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is BitmapistStoreException || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                }
                return (200, CohortHtml.Render(table, new CohortHtmlOptions($"Cohort: {query.Text}", IncludeForm: true,
                    Warnings: [.. warnings.Select(w => w.Message)])));
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                var seconds = limits.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
                var where = waiting ? $"waiting for one of the {limits.MaxConcurrentTables} tables computed at once to finish" : "computing the table (a large table, or a store that is slow or not answering)";
                return (504, Error(form, $"The request timed out after {seconds} s (the server's --timeout), {where}, and was stopped. Use fewer rows or columns, or a coarser grouping; check that the store answers; or restart the server with a longer --timeout.",
                    "the request timed out"));
            }
            catch (Exception e) when (e is FormatException or QuerySyntaxException or BitmapistQueryException)
            {
                return (400, Error(form, e.Message, "the form needs a fix"));
            }
            catch (BitmapistStoreException e)
            {
                return (503, Error(form, e.Message, "the store failed"));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever else goes wrong in one table is that request's problem: the server keeps answering.
                return (500, Error(form, $"Internal error ({e.GetType().Name}): {e.Message}", "internal error"));
            }
        }

        private static string Error(CohortForm form, string message, string title) =>
            CohortHtml.RenderError(form, message, new CohortHtmlOptions($"Cohort report: {title}", IncludeForm: true));
    }
}
