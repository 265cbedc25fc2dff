using System.Net;
using Served = Bitmapist.Cli.Tests.CohortServeTests.Served;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>cohort --serve</c> under load: requests are answered concurrently, a table is capped in cells and in time, and
/// the page says which limit it met. Ordering is shown with a gate in front of a real Redis that holds a table's batch
/// at the store for as long as the test needs: no assertion depends on how fast anything runs.
/// </summary>
public sealed class CohortServeLimitsTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private static string RedisOrSkip()
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");
        return redis!;
    }

    // The client library's own timeouts far beyond the test's, so only the server's --timeout can end a held table.
    private static string Through(TcpGate gate) => gate.Endpoint + ",asyncTimeout=120000,syncTimeout=120000";

    [SkippableFact]
    public async Task A_quick_request_is_answered_while_a_table_waits_at_the_store()
    {
        var redis = RedisOrSkip();
        await using var gate = new TcpGate(redis);
        await using var served = await Served.StartAsync("cohort", "signup", "then", "active", "--rows", "5", "--cols", "2",
            "--redis", Through(gate), "--prefix", $"servetest_{Guid.NewGuid():N}_", "--now", CliHarness.Now, "--timeout", "600");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };

        gate.Close();
        var held = gate.Holding("EVAL", "SCRIPT", "MULTI", "BITCOUNT", "BITOP"); // a table's batch, not a keep-alive (PING, ECHO)
        var slow = http.GetAsync(served.Url);
        if (await Task.WhenAny(held, Task.Delay(TimeSpan.FromMinutes(1))) != held)
            throw new ShouldAssertException($"the table's batch never reached the store; the gate holds: {gate.HeldText}");

        // One request at a time made this wait behind the held table (for ever, here).
        var quick = await http.GetAsync(served.Url + "?cohort=" + Uri.EscapeDataString("signup then"));
        quick.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        slow.IsCompleted.ShouldBeFalse("the table cannot finish while its batch is held");

        gate.Open();
        var table = await slow;
        table.StatusCode.ShouldBe(HttpStatusCode.OK, await table.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task A_table_that_runs_past_the_timeout_is_stopped_and_the_page_says_so()
    {
        var redis = RedisOrSkip();
        await using var gate = new TcpGate(redis);
        await using var served = await Served.StartAsync("cohort", "signup", "then", "active", "--rows", "5", "--cols", "2",
            "--redis", Through(gate), "--prefix", $"servetest_{Guid.NewGuid():N}_", "--now", CliHarness.Now, "--timeout", "0.5");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };

        gate.Close(); // the table can only end by the server's timeout
        var response = await http.GetAsync(served.Url);
        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        page.ShouldContain("The request timed out after 0.5 s (the server's --timeout), computing the table (a large table, or a store that is slow or not answering), and was stopped.");
        page.ShouldContain("value=\"signup\"", customMessage: "the form comes back to be changed");

        gate.Open();
        // The client reconnects through the reopened gate; under CI load that can take longer than the 0.5 s timeout
        // itself, so a request may time out again meanwhile (seen once in CI). The server must answer a table again soon.
        var status = HttpStatusCode.GatewayTimeout;
        for (var attempt = 0; attempt < 40 && status == HttpStatusCode.GatewayTimeout; attempt++)
        {
            if (attempt > 0) await Task.Delay(250);
            status = (await http.GetAsync(served.Url)).StatusCode;
        }
        status.ShouldBe(HttpStatusCode.OK, "the server goes on answering");
    }

    [Fact]
    public async Task A_table_over_the_cell_cap_gets_its_form_back_with_the_limit()
    {
        await using var served = await Served.StartAsync("cohort", "signup", "then", "active", "--data", sample.Path, "--now", CliHarness.Now,
            "--max-cells", "100");
        using var http = new HttpClient();
        (await http.GetAsync(served.Url + "?rows=20&cols=4")).StatusCode.ShouldBe(HttpStatusCode.OK, "100 cells is within the cap");
        var response = await http.GetAsync(served.Url + "?rows=21&cols=4");
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var over = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        over.ShouldContain("This table has 21 rows and 5 columns, 105 cells; a served table has at most 100 (the server's --max-cells).");
        over.ShouldContain("value=\"21\"", customMessage: "the form keeps what was asked");
        over.ShouldNotContain("<table");
    }

    [Fact]
    public async Task The_limits_take_sensible_values_only()
    {
        (await CliHarness.Run("cohort", "signup", "then", "active", "--data", sample.Path, "--serve", "8080", "--max-cells", "0"))
            .ShouldFailWith(2, "--max-cells takes 1 to 100000");
        (await CliHarness.Run("cohort", "signup", "then", "active", "--data", sample.Path, "--serve", "8080", "--timeout", "0"))
            .ShouldFailWith(2, "--timeout takes seconds, more than 0");
    }
}
