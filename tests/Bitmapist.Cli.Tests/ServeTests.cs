using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bitmapist.Cli.Serve;
using Bitmapist.Linq.Query;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>bitmapist serve</c> over HTTP: the security headers on every answer, escaping of whatever a request carries,
/// each statement's result with a link that reruns it, paging, the limits, and the completions behind the box.
/// </summary>
public sealed partial class ServeTests(SampleFile sample) : IClassFixture<SampleFile>
{
    /// <summary>A running <c>bitmapist serve</c>; disposing it cancels the command and checks it ended cleanly.</summary>
    internal sealed class ServedConsole : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(3));
        private readonly Task<int> _run;
        private readonly StringWriter _out = new(), _err = new();

        public TextWriter Out { get; }
        public TextWriter Err { get; }
        public string Printed { get { lock (Out) return _out.ToString(); } }
        public string Errors { get { lock (Err) return _err.ToString(); } }
        public string Url { get; }

        private ServedConsole(string[] args, int port)
        {
            // The server writes from its own threads: both go through synchronized writers, which lock on themselves.
            Out = TextWriter.Synchronized(_out);
            Err = TextWriter.Synchronized(_err);
            Url = $"http://127.0.0.1:{port}/";
            _run = Cli.RunAsync(["serve", "--port", port.ToString(CultureInfo.InvariantCulture), .. args], Out, Err, _stop.Token);
        }

        public static async Task<ServedConsole> StartAsync(params string[] args)
        {
            var served = new ServedConsole(args, Linq.Testing.FreePort.Next());
            for (var i = 0; i < 600 && !served.Printed.Contains("serving the console", StringComparison.Ordinal); i++)
            {
                if (served._run.IsCompleted) throw new InvalidOperationException($"the server stopped: {served.Errors}");
                await Task.Delay(50);
            }
            if (!served.Printed.Contains("serving the console", StringComparison.Ordinal))
                throw new TimeoutException($"the server did not start in 30 s: {served.Errors}");
            return served;
        }

        /// <summary>The URL that runs <paramref name="query"/>.</summary>
        public string Query(string query) => Url + "?q=" + Uri.EscapeDataString(query);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            (await _run).ShouldBe(0, $"stderr: {Errors}");
            _stop.Dispose();
        }
    }

    private Task<ServedConsole> Start(params string[] args) => ServedConsole.StartAsync([.. args, "--data", sample.Path, "--now", CliHarness.Now]);

    private long Count(string set)
    {
        using var store = CliHarness.OpenStore(sample.Path);
        return store.CountAllAsync([TextQuery(set)]).GetAwaiter().GetResult()[0];
    }

    private bool Contains(string set, long id)
    {
        using var store = CliHarness.OpenStore(sample.Path);
        return store.Set(TextQuery(set)).ContainsAsync(id).GetAwaiter().GetResult();
    }

    private static SetExpr TextQuery(string set) =>
        ((Linq.Text.QueryStatement)Linq.Text.TextQuery.Parse("count " + set).Single()).Query.Set;

    private static void ShouldBeStrict(HttpResponseMessage response)
    {
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldBe(
            "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("Referrer-Policy").Single().ShouldBe("no-referrer");
    }

    /// <summary>A page's markup must not need what the policy forbids: no inline style or script, nothing from elsewhere.</summary>
    private static void ShouldNeedNothingInline(string page)
    {
        page.ShouldNotContain("<style", Case.Insensitive);
        page.ShouldNotContain(" style=", Case.Insensitive);
        Regex.Matches(page, "<script[^>]*>(.*?)</script>", RegexOptions.Singleline).Select(m => m.Value)
            .ShouldAllBe(tag => tag == "<script src=\"/console.js\" defer></script>", "the one script, by URL, nothing inline");
        Regex.Matches(page, "(?:src|href)=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ShouldAllBe(url => url.StartsWith('/'));
        // No event handler attribute (onclick=, onerror=...) in any tag, once the attributes' quoted values are set aside.
        Regex.IsMatch(Regex.Replace(page, "\"[^\"]*\"", "\"\""), "<[^>]*\\son[a-z]+=", RegexOptions.IgnoreCase).ShouldBeFalse();
    }

    [GeneratedRegex("<td[^>]*>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex CellPattern();

    private static List<string> Cells(string html) => [.. CellPattern().Matches(html).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];

    [Fact]
    public async Task Every_answer_carries_a_strict_policy_and_pages_need_nothing_inline()
    {
        await using var served = await Start();
        using var http = new HttpClient();
        foreach (var (url, status) in new[]
        {
            (served.Url, HttpStatusCode.OK),
            (served.Query("count month(active); ids month(active) limit 3; explain count month(active); events"), HttpStatusCode.OK),
            (served.Query("cohort signup then active by week rows 3 cols 2"), HttpStatusCode.OK),
            (served.Query("trend active by day rows 7 of active by month; funnel signup then active by day rows 3"), HttpStatusCode.OK),
            (served.Query("count month("), HttpStatusCode.BadRequest),
            (served.Url + "nothing", HttpStatusCode.NotFound),
        })
        {
            var response = await http.GetAsync(url);
            ShouldBeStrict(response);
            response.StatusCode.ShouldBe(status, url);
            if (status != HttpStatusCode.NotFound) ShouldNeedNothingInline(await response.Content.ReadAsStringAsync());
        }
        var post = await http.PostAsync(served.Url, new StringContent("q=count active"));
        post.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        ShouldBeStrict(post);

        // The assets the policy allows are served by the tool itself.
        var css = await http.GetAsync(served.Url + "console.css");
        css.Content.Headers.ContentType!.MediaType.ShouldBe("text/css");
        (await css.Content.ReadAsStringAsync()).ShouldContain("table.cohort td.heat7 { background: hsla(200, 70%, 40%, 0.7); color: #fff; }");
        var js = await http.GetAsync(served.Url + "console.js");
        js.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
        (await js.Content.ReadAsStringAsync()).ShouldContain("fetch(\"/complete?line=\"");
    }

    [Fact]
    public async Task A_hostile_query_comes_back_as_text_in_the_box_and_the_error()
    {
        await using var served = await Start();
        using var http = new HttpClient();
        const string Hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)>";
        var response = await http.GetAsync(served.Query(Hostile));
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var page = await response.Content.ReadAsStringAsync();
        page.ShouldNotContain("<script>alert");
        page.ShouldNotContain("<img");
        page.ShouldContain("value=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\"");
        page.ShouldContain("<pre class=\"error\" role=\"alert\">Line 1, column 1: unexpected &#39;&lt;&#39;");
        ShouldNeedNothingInline(page);

        // A name that runs: the statement, the link and the warning all show it as text.
        var named = await http.GetStringAsync(served.Query("count month('<b onmouseover=alert(3)>x</b>')"));
        named.ShouldNotContain("<b ");
        named.ShouldContain("<code>count month(&#39;&lt;b onmouseover=alert(3)&gt;x&lt;/b&gt;&#39;)</code>");
        named.ShouldContain("<p class=\"warning\" role=\"status\">Warning: The event &#39;&lt;b onmouseover=alert(3)&gt;x&lt;/b&gt;&#39; has no data");
        ShouldNeedNothingInline(named);
    }

    [Fact]
    public async Task Each_statement_shows_its_result_under_a_link_that_runs_it_again()
    {
        await using var served = await Start();
        using var http = new HttpClient();
        var page = await http.GetStringAsync(served.Query(
            "let a = month(active); count a; percent a of month(signup); 1 in a; explain count a; events song"));
        var active = Count("month(active)");
        var both = Count("month(active) & month(signup)");
        var signup = Count("month(signup)");
        Cells(page).ShouldBe([
            active.ToString("#,0", CultureInfo.InvariantCulture),
            (100.0 * both / signup).ToString("0.##", CultureInfo.InvariantCulture), both.ToString(CultureInfo.InvariantCulture), signup.ToString(CultureInfo.InvariantCulture),
            Contains("month(active)", 1) ? "true" : "false",
        ]);
        page.ShouldContain("<pre class=\"explain\">query:     count month(active)");
        page.ShouldContain("<li><a href=\"/?q=describe%20song%3Aplayed\">song:played</a></li>");
        // Each statement's heading runs it alone, with the let name written out; the whole query has its own link.
        page.ShouldContain("<a href=\"/?q=count%20month%28active%29\" title=\"Run this statement alone\"><code>count month(active)</code></a>");
        page.ShouldContain("<a href=\"/?q=let%20a%20%3D%20month%28active%29%3B%20count%20a%3B");
        var again = await http.GetStringAsync(served.Url + "?q=count%20month%28active%29");
        Cells(again).ShouldBe([active.ToString("#,0", CultureInfo.InvariantCulture)]);
        // The log line follows the answer (it carries the time the whole answer took): wait for it, not for a time.
        for (var i = 0; i < 600 && !served.Printed.Contains("GET /?q=count%20month%28active%29 200", StringComparison.Ordinal); i++) await Task.Delay(50);
        served.Printed.ShouldContain("GET /?q=count%20month%28active%29 200");
    }

    [Fact]
    public async Task A_trend_is_a_line_chart_and_a_funnel_bars_each_over_the_stores_numbers()
    {
        await using var served = await Start();
        using var http = new HttpClient();
        Linq.Trends.TrendTable trend;
        Linq.Trends.FunnelTable funnel;
        using (var store = CliHarness.OpenStore(sample.Path))
        {
            trend = await store.TrendAsync(((Linq.Text.TrendStatement)Linq.Text.TextQuery.Parse("trend active by day rows 10 window 7").Single()).Query);
            funnel = await store.FunnelAsync(((Linq.Text.FunnelStatement)Linq.Text.TextQuery.Parse("funnel signup then active by day rows 4 within 2").Single()).Query);
        }
        var page = await http.GetStringAsync(served.Query("trend active by day rows 10 window 7; funnel signup then active by day rows 4 within 2"));
        page.ShouldContain("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart line\"");
        page.ShouldContain("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bars\"");
        var trendPart = page[page.IndexOf("<table class=\"report trend\">", StringComparison.Ordinal)..page.IndexOf("<section class=\"report funnel\">", StringComparison.Ordinal)];
        Cells(trendPart).ShouldBe([.. trend.Rows.SelectMany(r => new[] { r.Label, r.Count.ToString(CultureInfo.InvariantCulture) })]);
        var funnelPart = page[page.IndexOf("<table class=\"report funnel\">", StringComparison.Ordinal)..];
        Cells(funnelPart).Where((_, i) => i % 4 == 0).ShouldBe([.. funnel.Rows.Select(r => r.Label), "All rows"]);
        Cells(funnelPart)[1].ShouldBe(funnel.Rows[0].Counts[0].ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_long_list_of_ids_is_paged_with_a_link_to_the_next_page()
    {
        await using var served = await Start("--max-ids", "5");
        using var http = new HttpClient();
        List<long> expected;
        using (var store = CliHarness.OpenStore(sample.Path))
            expected = await store.Set(TextQuery("month(active)")).PageIdsAsync(Linq.Paging.First(10)).ToListAsync();

        var first = await http.GetStringAsync(served.Query("ids month(active)"));
        Ids(first).ShouldBe(expected[..5]);
        var next = Regex.Match(first, "<a class=\"next\" href=\"([^\"]+)\">").Groups[1].Value;
        WebUtility.HtmlDecode(next).ShouldBe("/?q=" + Uri.EscapeDataString($"ids month(active) limit 5 after {expected[4]}"));
        var second = await http.GetStringAsync(served.Url.TrimEnd('/') + WebUtility.HtmlDecode(next));
        Ids(second).ShouldBe(expected[5..10]);

        // A limit within the page shows exactly that many, and no next page.
        var three = await http.GetStringAsync(served.Query("ids month(active) limit 3"));
        Ids(three).ShouldBe(expected[..3]);
        three.ShouldNotContain("class=\"next\"");
        // A limit past the page: the next page carries what is left of it.
        var seven = await http.GetStringAsync(served.Query("ids month(active) limit 7"));
        WebUtility.HtmlDecode(Regex.Match(seven, "<a class=\"next\" href=\"([^\"]+)\">").Groups[1].Value)
            .ShouldBe("/?q=" + Uri.EscapeDataString($"ids month(active) limit 2 after {expected[4]}"));
    }

    private static List<long> Ids(string page) =>
        [.. Regex.Matches(page, "<li>(\\d+)</li>").Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [Fact]
    public async Task A_table_over_the_cell_cap_and_an_overlong_query_get_the_limit_they_met()
    {
        await using var served = await Start("--max-cells", "100");
        using var http = new HttpClient();
        (await http.GetAsync(served.Query("cohort signup then active by day rows 20 cols 4"))).StatusCode.ShouldBe(HttpStatusCode.OK, "100 cells is within the cap");
        var over = await http.GetAsync(served.Query("cohort signup then active by day rows 21 cols 4"));
        over.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var page = WebUtility.HtmlDecode(await over.Content.ReadAsStringAsync());
        page.ShouldContain("This table has 21 rows and 5 columns, 105 cells; a served table has at most 100 (the server's --max-cells).");
        page.ShouldNotContain("<table");
        (await http.GetAsync(served.Query("explain cohort signup then active by day rows 21 cols 4"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest,
            "explaining a table plans it whole");
        var funnel = await http.GetAsync(served.Query("funnel signup then active then paid by day rows 34"));
        funnel.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await funnel.Content.ReadAsStringAsync()).ShouldContain("This funnel has 34 rows and 3 sets per row, 102 cells; a served table has at most 100");
        (await http.GetAsync(served.Query("trend active by day rows 100 window 30"))).StatusCode.ShouldBe(HttpStatusCode.OK, "a window of one event is one range");
        var window = await http.GetAsync(served.Query("trend active - signup by day rows 10 window 11"));
        window.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await window.Content.ReadAsStringAsync()).ShouldContain("This trend has 10 rows and 11 sets per row, 110 cells");
        (await http.GetAsync(served.Query("trend active by day rows 100"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.GetAsync(served.Query("trend active by day rows 51 of active by month"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest, "a whole doubles the cells");

        var longQuery = "count " + string.Join(" | ", Enumerable.Repeat("month(active)", 800));
        var tooLong = await http.GetAsync(served.Query(longQuery));
        tooLong.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        WebUtility.HtmlDecode(await tooLong.Content.ReadAsStringAsync())
            .ShouldContain($"The query has {longQuery.Length} characters; the console takes at most {ServeLimits.DefaultMaxQueryLength}");
    }

    [Fact]
    public async Task The_box_suggests_the_repls_completions_of_the_word_being_typed()
    {
        await using var served = await Start();
        using var http = new HttpClient();
        async Task<List<string>> Complete(string line)
        {
            var json = await http.GetStringAsync(served.Url + "complete?line=" + Uri.EscapeDataString(line));
            return [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.GetString()!)];
        }
        (await Complete("co")).ShouldBe(["cohort ", "count "]);
        (await Complete("count month(ac")).ShouldBe(["count month(active"]);
        (await Complete("count so")).ShouldBe(["count song:played"], "the store's event names, as in the REPL");
        (await Complete("cohort signup th")).ShouldContain("cohort signup then ");
        (await Complete("count th")).ShouldNotContain("count then ", "a cohort's words only inside a cohort");
        (await Complete("let regulars = month(active); count reg")).ShouldBe(["let regulars = month(active); count regulars"], "the line's let names, as the REPL's");
        var home = await http.GetStringAsync(served.Url);
        home.ShouldContain("<datalist id=\"suggest\">");
        home.ShouldContain("<option value=\"count \"></option>");
    }

    [Fact]
    public async Task Requests_are_answered_concurrently()
    {
        await using var served = await Start();
        using var http = new HttpClient();
        var queries = new[] { "count month(active)", "count month(signup)", "count month(active) & unique(premium)", "count week(active)" };
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => http.GetStringAsync(served.Query(queries[i % queries.Length]))));
        for (var i = 0; i < answers.Length; i++)
            Cells(answers[i]).ShouldBe([Count(queries[i % queries.Length]["count ".Length..]).ToString("#,0", CultureInfo.InvariantCulture)]);
    }

    [Fact]
    public async Task Only_loopback_unless_told_and_bad_options_are_clear_errors()
    {
        await using (var served = await Start())
        {
            served.Printed.ShouldContain("serving the console at http://127.0.0.1:");
            using var http = new HttpClient();
            // Another name for this address (DNS rebinding) is not answered.
            using var foreign = new HttpRequestMessage(HttpMethod.Get, served.Url);
            foreign.Headers.Host = "attacker.example:" + new Uri(served.Url).Port.ToString(CultureInfo.InvariantCulture);
            (await http.SendAsync(foreign)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
            using var local = new HttpRequestMessage(HttpMethod.Get, served.Url);
            local.Headers.Host = "localhost:" + new Uri(served.Url).Port.ToString(CultureInfo.InvariantCulture);
            (await http.SendAsync(local)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        var help = await CliHarness.Run("serve", "--help");
        help.Out.ShouldContain("--port <port>              The TCP port. [default: 8377]");
        help.Out.ShouldContain("--bind <address>");
        help.Out.Split('\n').ShouldAllBe(line => Regex.Matches(line, @"\[default: ").Count <= 1 && !line.Contains("(default", StringComparison.Ordinal));
        (await CliHarness.Run("serve", "--port", "70000", "--data", sample.Path)).ShouldFailWith(2, "the port is 1 to 65535, not 70000");
        (await CliHarness.Run("serve", "--bind", "example.com", "--data", sample.Path)).ShouldFailWith(2, "--bind takes an IP address");
        (await CliHarness.Run("serve", "--max-ids", "0", "--data", sample.Path)).ShouldFailWith(2, "--max-ids takes 1 to 100000");
        (await CliHarness.Run("serve", "--timeout", "0", "--data", sample.Path)).ShouldFailWith(2, "--timeout takes seconds");

        // Every interface only when asked, with a warning (here on a port in use, so nothing listens).
        using var taken = new TcpListener(IPAddress.Any, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var everywhere = await CliHarness.Run("serve", "--bind", "0.0.0.0", "--port", port, "--data", sample.Path);
        everywhere.ExitCode.ShouldBe(1);
        everywhere.Err.ShouldContain($"warning: serving on 0.0.0.0, not loopback: the console has no login");
        everywhere.Err.ShouldContain($"cannot serve on 0.0.0.0:{port}");
    }
}
