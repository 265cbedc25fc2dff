using System.Diagnostics;
using System.Net;
using System.Text;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Serve;

/// <summary>Where the console listens and what it opens on.</summary>
/// <param name="Port">The TCP port.</param>
internal sealed record ConsoleOptions(int Port)
{
    /// <summary>The address to listen on: loopback unless the user gave another with <c>--bind</c>.</summary>
    public IPAddress Bind { get; init; } = IPAddress.Loopback;

    /// <summary>With <c>cohort --serve</c>: the table the console opens on (its report and form at <c>/</c>); else null.</summary>
    public CohortQuery? Cohort { get; init; }

    /// <summary>The URL the console answers at.</summary>
    public string Url => $"http://{Host}:{Port}/";

    private string Host => Bind.Equals(IPAddress.Any) ? "0.0.0.0"
        : Bind.Equals(IPAddress.IPv6Any) ? "[::]"
        : Bind.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Bind}]" : Bind.ToString();

    /// <summary>
    /// The listener's prefixes: a wildcard address listens on every interface; 127.0.0.1 also answers to the name
    /// localhost. The listener answers 404 to any other Host, so a page of another site cannot reach a console on
    /// loopback through a name that resolves there (DNS rebinding).
    /// </summary>
    public IReadOnlyList<string> Prefixes =>
        Bind.Equals(IPAddress.Any) || Bind.Equals(IPAddress.IPv6Any) ? [$"http://*:{Port}/"]
        : Bind.Equals(IPAddress.Loopback) ? [Url, $"http://localhost:{Port}/"]
        : [Url];
}

/// <summary>
/// The web console's HTTP server (<c>bitmapist serve</c>, <c>bitmapist cohort --serve</c>): answers each request on
/// its own task until the token is cancelled, with the security headers on every answer (<see cref="Headers"/>), and
/// logs one line per request (<c>GET /?q=... 200 12 ms</c>). The pages are <see cref="ConsoleApp"/>'s.
/// </summary>
internal static class ConsoleServer
{
    /// <summary>
    /// Everything the pages need comes from this server: styles and the one script by URL (no inline style or script,
    /// so markup that escaped escaping could still run nothing), no frames, forms only to the console itself, and the
    /// suggestions' fetch only to it.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static async Task<int> RunAsync(BitmapStore store, ConsoleOptions options, ServeLimits limits, CliContext context, CancellationToken ct)
    {
        using var listener = new HttpListener();
        foreach (var prefix in options.Prefixes) listener.Prefixes.Add(prefix);
        try
        {
            listener.Start();
        }
        catch (Exception e) when (e is HttpListenerException or System.Net.Sockets.SocketException)
        {
            context.Error($"cannot serve on {options.Url[7..^1]}: {e.Message}.");
            return Cli.Failed;
        }
        var what = options.Cohort is null ? "the console" : "the cohort report";
        await context.Out.WriteLineAsync($"serving {what} at {options.Url} (Ctrl+C to stop)").ConfigureAwait(false);
        await context.Out.FlushAsync(ct).ConfigureAwait(false);
        var app = new ConsoleApp(store, options, limits);
        var log = new SemaphoreSlim(1, 1); // the log is one writer shared by every request
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
            var answer = Task.Run(() => AnswerAsync(app, exchange, context, log, ct), CancellationToken.None);
            lock (running) running.Add(answer);
            _ = answer.ContinueWith(t => { lock (running) running.Remove(t); }, TaskScheduler.Default);
        }
        Task[] left;
        lock (running) left = [.. running];
        await Task.WhenAll(left).ConfigureAwait(false); // each ends promptly: its token is cancelled
        return Cli.Ok;
    }

    /// <summary>The headers of every answer, whatever its status.</summary>
    public static void Headers(HttpListenerResponse response)
    {
        response.Headers["Content-Security-Policy"] = ContentSecurityPolicy;
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["Cross-Origin-Resource-Policy"] = "same-origin";
        response.Headers["Cache-Control"] = "no-store";
    }

    private static async Task AnswerAsync(ConsoleApp app, HttpListenerContext exchange, CliContext context, SemaphoreSlim log, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var request = exchange.Request;
        Answer answer;
        try
        {
            answer = await app.AnswerAsync(request.HttpMethod, request.Url!, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            try { exchange.Response.Abort(); } catch (ObjectDisposedException) { } // the server is stopping
            return;
        }
        try
        {
            var response = exchange.Response;
            response.StatusCode = answer.Status;
            response.ContentType = answer.ContentType;
            Headers(response);
            var bytes = Encoding.UTF8.GetBytes(answer.Body);
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
        await log.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await context.Out.WriteLineAsync($"{request.HttpMethod} {request.Url?.PathAndQuery} {answer.Status} {watch.Elapsed.TotalMilliseconds:0} ms").ConfigureAwait(false);
            await context.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            log.Release();
        }
    }
}

/// <summary>One answer: its status, content type and body.</summary>
internal sealed record Answer(int Status, string ContentType, string Body)
{
    public static Answer Html(int status, string page) => new(status, "text/html; charset=utf-8", page);

    public static Answer Text(int status, string text) => new(status, "text/plain; charset=utf-8", text);
}
