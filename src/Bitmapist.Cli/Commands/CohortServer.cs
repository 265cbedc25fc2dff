using System.Diagnostics;
using System.Net;
using System.Text;
using Bitmapist.Linq;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>bitmapist cohort ... --serve PORT</c>: the HTML report with its form at <c>http://127.0.0.1:PORT/</c> until
/// Ctrl+C, so the form (pick the sets, the grouping, counts or percent, rows, columns, a start date) works as it
/// does in a bitmapist dashboard. Each GET is read with <see cref="CohortForm.FromQueryString"/> (the command's own
/// table fills what the request leaves out), run on the store opened once, and answered with the page; a form that
/// does not make a table gets itself back with the error (400). Only loopback, only reads.
/// </summary>
internal static class CohortServer
{
    public static async Task<int> RunAsync(BitmapStore store, CohortQuery initial, int port, CliContext context, CancellationToken ct)
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
            await AnswerAsync(exchange, store, initial, context, ct).ConfigureAwait(false);
        }
        return Cli.Ok;
    }

    private static async Task AnswerAsync(HttpListenerContext exchange, BitmapStore store, CohortQuery initial, CliContext context, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var request = exchange.Request;
        var (status, page) = request switch
        {
            { HttpMethod: not ("GET" or "HEAD") } => (405, "Only GET: the form submits by GET.\n"),
            { Url.AbsolutePath: not "/" } => (404, "Not found: the report is at /.\n"),
            _ => await PageAsync(request.Url!.Query, store, initial, ct).ConfigureAwait(false),
        };
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
        await context.Out.WriteLineAsync($"{request.HttpMethod} {request.Url?.PathAndQuery} {status} {watch.Elapsed.TotalMilliseconds:0} ms").ConfigureAwait(false);
        await context.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task<(int Status, string Page)> PageAsync(string queryString, BitmapStore store, CohortQuery initial, CancellationToken ct)
    {
        // The command's table fills what the request leaves out; a start given as an offset is read at each request.
        var form = CohortForm.FromQueryString(queryString, CohortForm.Of(initial, store.Now));
        try
        {
            var query = form.ToQuery();
            var table = await store.CohortAsync(query, ct: ct).ConfigureAwait(false);
            return (200, CohortHtml.Render(table, new CohortHtmlOptions($"Cohort: {query.Text}", IncludeForm: true)));
        }
        catch (Exception e) when (e is FormatException or QuerySyntaxException or BitmapistQueryException)
        {
            return (400, CohortHtml.RenderError(form, e.Message, new CohortHtmlOptions("Cohort report: the form needs a fix", IncludeForm: true)));
        }
        catch (BitmapistStoreException e)
        {
            return (503, CohortHtml.RenderError(form, e.Message, new CohortHtmlOptions("Cohort report: the store failed", IncludeForm: true)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else goes wrong in one table is that request's problem: the server keeps answering.
            return (500, CohortHtml.RenderError(form, $"Internal error ({e.GetType().Name}): {e.Message}", new CohortHtmlOptions("Cohort report: internal error", IncludeForm: true)));
        }
    }
}
