using System.Net;
using ServedConsole = Bitmapist.Cli.Tests.ServeTests.ServedConsole;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>bitmapist serve</c> under load, against a real Redis behind a gate that holds a statement's batch at the store
/// for as long as the test needs: a request is answered while another waits at the store, and one that runs past the
/// timeout is stopped with a page that says so. No assertion depends on how fast anything runs.
/// </summary>
public sealed class ServeLimitsTests
{
    private static string RedisOrSkip()
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");
        return redis!;
    }

    // The client library's own timeouts far beyond the test's, so only the server's --timeout can end a held statement.
    private static string Through(TcpGate gate) => gate.Endpoint + ",asyncTimeout=120000,syncTimeout=120000";

    // A read's commands, not a keep-alive (PING, ECHO).
    private static readonly string[] Reads = ["EVAL", "EVALSHA", "SCRIPT", "MULTI", "BITCOUNT", "BITOP", "GETBIT", "EXISTS", "GET"];

    [SkippableFact]
    public async Task A_request_is_answered_while_another_waits_at_the_store()
    {
        var redis = RedisOrSkip();
        await using var gate = new TcpGate(redis);
        await using var served = await ServedConsole.StartAsync("--redis", Through(gate), "--prefix", $"servetest_{Guid.NewGuid():N}_",
            "--now", CliHarness.Now, "--timeout", "600");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };

        gate.Close();
        var held = gate.Holding(Reads);
        var slow = http.GetAsync(served.Query("count month(active)"));
        if (await Task.WhenAny(held, Task.Delay(TimeSpan.FromMinutes(1))) != held)
            throw new ShouldAssertException($"the count never reached the store; the gate holds: {gate.HeldText}");

        // Explaining plans without reading: it needs no answer from the store, only a turn of its own.
        var quick = await http.GetAsync(served.Query("explain count month(active) & week(active)"));
        quick.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await quick.Content.ReadAsStringAsync()).ShouldContain("<pre class=\"explain\">");
        slow.IsCompleted.ShouldBeFalse("the count cannot finish while its batch is held");

        gate.Open();
        var counted = await slow;
        counted.StatusCode.ShouldBe(HttpStatusCode.OK, await counted.Content.ReadAsStringAsync());
    }

    [SkippableFact]
    public async Task A_statement_that_runs_past_the_timeout_is_stopped_and_the_page_says_so()
    {
        var redis = RedisOrSkip();
        await using var gate = new TcpGate(redis);
        await using var served = await ServedConsole.StartAsync("--redis", Through(gate), "--prefix", $"servetest_{Guid.NewGuid():N}_",
            "--now", CliHarness.Now, "--timeout", "0.5");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };

        gate.Close(); // the count can only end by the server's timeout
        var response = await http.GetAsync(served.Query("count month(active)"));
        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        response.Headers.GetValues("Content-Security-Policy").Single().ShouldStartWith("default-src 'none'");
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        page.ShouldContain("The request timed out after 0.5 s (the server's --timeout), running the query (a large table, or a store that is slow or not answering), and was stopped.");
        page.ShouldContain("value=\"count month(active)\"", customMessage: "the query comes back in the box to be changed");

        gate.Open();
        (await http.GetAsync(served.Query("count month(active)"))).StatusCode.ShouldBe(HttpStatusCode.OK, "the server goes on answering");
    }
}
