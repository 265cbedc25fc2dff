using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Tests;

/// <summary><c>bitmapist cohort ... --serve PORT</c>: the report and its form over HTTP, answered from the store, until cancelled.</summary>
public sealed partial class CohortServeTests(SampleFile sample) : IClassFixture<SampleFile>
{
    /// <summary>A running <c>--serve</c>; disposing it cancels the command and checks it ended cleanly.</summary>
    internal sealed class Served : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(3));
        private readonly Task<int> _run;

        private readonly StringWriter _out = new(), _err = new();

        // The server writes from its own thread: both go through synchronized writers, which lock on themselves.
        public TextWriter Out { get; }
        public TextWriter Err { get; }

        public string Printed { get { lock (Out) return _out.ToString(); } }
        public string Errors { get { lock (Err) return _err.ToString(); } }
        public string Url { get; }

        private Served(string[] args, int port)
        {
            Out = TextWriter.Synchronized(_out);
            Err = TextWriter.Synchronized(_err);
            Url = $"http://127.0.0.1:{port}/";
            _run = Cli.RunAsync([.. args, "--serve", port.ToString(System.Globalization.CultureInfo.InvariantCulture)], Out, Err, _stop.Token);
        }

        public static async Task<Served> StartAsync(params string[] args)
        {
            var served = new Served(args, FreePort());
            for (var i = 0; i < 600 && !served.Printed.Contains("serving the cohort report", StringComparison.Ordinal); i++)
            {
                if (served._run.IsCompleted) throw new InvalidOperationException($"the server stopped: {served.Errors}");
                await Task.Delay(50);
            }
            if (!served.Printed.Contains("serving the cohort report", StringComparison.Ordinal))
                throw new TimeoutException($"the server did not start in 30 s: {served.Errors}");
            return served;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            (await _run).ShouldBe(0, $"stderr: {Errors}");
            _stop.Dispose();
        }

        private static int FreePort() => Linq.Testing.FreePort.Next();
    }

    private CohortTable Expected(string text)
    {
        using var store = CliHarness.OpenStore(sample.Path);
        return store.CohortAsync(((CohortStatement)TextQuery.Parse(text).Single()).Query).GetAwaiter().GetResult();
    }

    /// <summary>The texts of the report table's body cells, row by row.</summary>
    private static List<List<string>> Cells(string html) =>
        [.. RowPattern().Matches(html[html.IndexOf("<tbody>", StringComparison.Ordinal)..]).Select(row =>
            CellPattern().Matches(row.Value).Select(c => WebUtility.HtmlDecode(c.Groups[1].Value)).ToList())];

    [GeneratedRegex("<tr[^>]*>.*?</tr>", RegexOptions.Singleline)]
    private static partial Regex RowPattern();

    [GeneratedRegex("<td[^>]*>(.*?)</td>", RegexOptions.Singleline)]
    private static partial Regex CellPattern();

    [Fact]
    public async Task Each_submission_is_a_new_table_and_a_bad_one_gets_its_form_back()
    {
        await using var served = await Served.StartAsync("cohort", "signup", "then", "active", "--by", "week", "--rows", "4", "--cols", "3",
            "--data", sample.Path, "--now", CliHarness.Now);
        using var http = new HttpClient();

        // No query string: the command's own table, with its settings in the form.
        var first = await http.GetStringAsync(served.Url);
        var expected = Expected("cohort signup then active by week rows 4 cols 3");
        Cells(first).Count.ShouldBe(5, "4 rows and the average");
        Cells(first)[0].ShouldBe([expected.Rows[0].Label, expected.Rows[0].Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. expected.Rows[0].Values.Select(v => CohortFormat.Cell(v, expected.Values))]);
        first.ShouldContain("<option value=\"week\" selected>week</option>");
        first.ShouldNotContain("class=\"warning\"", customMessage: "every event of the command's table exists");

        // A misspelt event reads as empty: the page says so, as the CLI does on stderr.
        var typo = await http.GetStringAsync(served.Url + "?then=actve");
        typo.ShouldContain("<p class=\"warning\" role=\"status\">Warning: The event &#39;actve&#39; has no data in any period of this store");
        typo.ShouldContain("did you mean &#39;active&#39;");

        // A submission: what it gives replaces the command's settings, the rest stays.
        var submitted = await http.GetStringAsync(served.Url + "?cohort=signup+%26+unique%28premium%29&by=day&values=counts&rows=3&from=2026-11-20");
        var daily = Expected("cohort signup & unique(premium) then active by day rows 3 cols 3 from 2026-11-20 counts");
        var cells = Cells(submitted);
        cells.Count.ShouldBe(4);
        for (var i = 0; i < 3; i++)
            cells[i].ShouldBe([daily.Rows[i].Label, daily.Rows[i].Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
                .. daily.Rows[i].Values.Select(v => CohortFormat.Cell(v, daily.Values))]);

        // A set field cannot smuggle options in; the page keeps what was typed and shows the caret.
        var bad = await http.GetAsync(served.Url + "?cohort=" + Uri.EscapeDataString("signup then active by day rows 999 --"));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var body = await bad.Content.ReadAsStringAsync();
        body.ShouldContain("value=\"signup then active by day rows 999 --\"");
        body.ShouldContain("found &#39;then&#39;");
        body.ShouldNotContain("<table");

        // A start whose table would leave the calendar is a clear error, not a crash.
        var late = await http.GetAsync(served.Url + "?by=month&from=9999-12-01");
        late.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await late.Content.ReadAsStringAsync()).ShouldContain("reaches dates outside years 1 to 9999");

        (await http.GetAsync(served.Url + "favicon.ico")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await http.PostAsync(served.Url, new StringContent("cohort=x"))).StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        (await http.GetAsync(served.Url)).StatusCode.ShouldBe(HttpStatusCode.OK, "a bad request never stops the server");

        served.Printed.ShouldContain("GET /?cohort=signup+%26+unique%28premium%29&by=day&values=counts&rows=3&from=2026-11-20 200");
    }

    [Fact]
    public async Task A_port_in_use_and_a_bad_port_are_clear_errors()
    {
        var badPort = await CliHarness.Run("cohort", "signup", "then", "active", "--data", sample.Path, "--serve", "70000");
        badPort.ShouldFailWith(2, "--serve takes a port from 1 to 65535, not 70000");
        var withParameters = await CliHarness.Run("cohort", "signup & @segment", "then", "active", "--data", sample.Path, "--serve", "8080",
            "--param", "segment=unique(premium)");
        withParameters.ShouldFailWith(2, "--serve cannot take parameters");
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var inUse = await CliHarness.Run("cohort", "signup", "then", "active", "--data", sample.Path, "--serve", port);
        inUse.ExitCode.ShouldBe(1);
        inUse.Err.ShouldContain($"cannot serve on 127.0.0.1:{port}");
    }
}
