using System.Text.Json;
using Bitmapist.Linq.Model;

namespace Bitmapist.Cli.Tests;

/// <summary>events, count, ids, in and explain against a sample file, checked against the library's own answers.</summary>
public sealed class QueryCommandTests(SampleFile sample) : IClassFixture<SampleFile>
{
    [Fact]
    public void Sample_reports_what_it_wrote()
    {
        var s = sample.Summary;
        s.GetProperty("users").GetInt32().ShouldBe(2000);
        s.GetProperty("days").GetInt32().ShouldBe(30);
        s.GetProperty("firstDay").GetString().ShouldBe("2026-10-30");
        s.GetProperty("lastDay").GetString().ShouldBe("2026-11-28");
        s.GetProperty("records").GetInt64().ShouldBeGreaterThan(2000);
        s.GetProperty("events").EnumerateArray().Select(e => e.GetString()).ShouldBe(["signup", "active", "song:played"]);
        s.GetProperty("uniqueFlags").EnumerateArray().Select(e => e.GetString()).ShouldBe(["premium"]);
    }

    [Fact]
    public async Task Events_lists_every_event_sorted()
    {
        var json = (await CliHarness.Run(sample.Args("events"))).Json();
        Strings(json.GetProperty("events")).ShouldBe(["active", "premium", "signup", "song:played"]);
    }

    [Fact]
    public async Task Events_filters_by_prefix()
    {
        var json = (await CliHarness.Run(sample.Args("events", "s"))).Json();
        Strings(json.GetProperty("events")).ShouldBe(["signup", "song:played"]);
    }

    [Fact]
    public async Task Events_table_is_one_name_per_line_and_csv_has_a_header()
    {
        var table = await CliHarness.Run("events", "--data", sample.Path);
        table.ExitCode.ShouldBe(0);
        Lines(table.Out).ShouldBe(["active", "premium", "signup", "song:played"]);
        var csv = await CliHarness.Run("events", "song", "--data", sample.Path, "--format", "csv");
        Lines(csv.Out).ShouldBe(["event", "song:played"]);
    }

    [Theory]
    [InlineData("active", "month", "2026-11-15", PeriodUnit.Month)]
    [InlineData("active", "week", "2026-W47", PeriodUnit.Week)]
    [InlineData("active", "day", "2026-11-20", PeriodUnit.Day)]
    [InlineData("signup", "year", "2026", PeriodUnit.Year)]
    [InlineData("song:played", "month", "2026-10", PeriodUnit.Month)]
    public async Task Count_matches_the_library(string eventName, string period, string at, PeriodUnit unit)
    {
        var json = (await CliHarness.Run(sample.Args("count", eventName, "--period", period, "--at", at))).Json();
        using var store = CliHarness.OpenStore(sample.Path);
        var atInstant = Parsing.Instant(at, "--at");
        var expected = await store.At(eventName, Period.Of(unit, atInstant)).CountAsync();
        expected.ShouldBeGreaterThan(0);
        json.GetProperty("count").GetInt64().ShouldBe(expected);
    }

    [Fact]
    public async Task Count_defaults_to_the_month_containing_now()
    {
        var implicitMonth = (await CliHarness.Run(sample.Args("count", "active"))).Json().GetProperty("count").GetInt64();
        var explicitMonth = (await CliHarness.Run(sample.Args("count", "active", "--period", "month", "--at", "2026-11-28"))).Json().GetProperty("count").GetInt64();
        implicitMonth.ShouldBe(explicitMonth);
        // Another "now" means another month.
        var october = (await CliHarness.Run("count", "active", "--data", sample.Path, "--now", "2026-10-31T23:00:00Z", "--format", "json")).Json();
        using var store = CliHarness.OpenStore(sample.Path);
        october.GetProperty("count").GetInt64().ShouldBe(await store.Month("active", 2026, 10).CountAsync());
    }

    [Fact]
    public async Task Count_of_a_unique_flag()
    {
        var json = (await CliHarness.Run(sample.Args("count", "premium", "--period", "unique"))).Json();
        using var store = CliHarness.OpenStore(sample.Path);
        var expected = await store.Unique("premium").CountAsync();
        expected.ShouldBeGreaterThan(0);
        json.GetProperty("count").GetInt64().ShouldBe(expected);
    }

    [Fact]
    public async Task Count_of_an_unknown_event_is_zero()
    {
        (await CliHarness.Run(sample.Args("count", "nope"))).Json().GetProperty("count").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task Count_in_table_and_csv()
    {
        var expected = (await CliHarness.Run(sample.Args("count", "active"))).Json().GetProperty("count").GetInt64();
        var table = await CliHarness.Run("count", "active", "--data", sample.Path, "--now", CliHarness.Now);
        table.ExitCode.ShouldBe(0);
        var lines = Lines(table.Out);
        lines.ShouldBe(["count", expected.ToString()]); // as query "count month(active)" prints it
        var csv = await CliHarness.Run("count", "active", "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv");
        Lines(csv.Out).ShouldBe(["count", expected.ToString()]);
    }

    [Fact]
    public async Task Ids_lists_every_member_ascending()
    {
        var json = (await CliHarness.Run(sample.Args("ids", "signup", "--period", "day", "--at", "2026-11-27"))).Json();
        var ids = json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToList();
        using var store = CliHarness.OpenStore(sample.Path);
        var expected = await store.Day("signup", 2026, 11, 27).ToListAsync();
        expected.ShouldNotBeEmpty();
        ids.ShouldBe(expected);
    }

    [Fact]
    public async Task Ids_limit_keeps_the_smallest()
    {
        var json = (await CliHarness.Run(sample.Args("ids", "active", "--limit", "5"))).Json();
        using var store = CliHarness.OpenStore(sample.Path);
        var all = await store.Month("active", 2026, 11).ToListAsync();
        json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe(all.Take(5));
        (await CliHarness.Run(sample.Args("ids", "active", "--limit", "0"))).Json().GetProperty("ids").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task Ids_streams_a_long_list_in_every_format()
    {
        using var store = CliHarness.OpenStore(sample.Path);
        var all = await store.Month("active", 2026, 11).ToListAsync();
        all.Count.ShouldBeGreaterThan(1000); // longer than one JSON flush
        var json = (await CliHarness.Run(sample.Args("ids", "active"))).Json();
        json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe(all);
        var table = await CliHarness.Run("ids", "active", "--data", sample.Path, "--now", CliHarness.Now);
        Lines(table.Out).Select(long.Parse).ShouldBe(all);
        var csv = await CliHarness.Run("ids", "active", "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv", "--limit", "3");
        Lines(csv.Out).ShouldBe(["id", .. all.Take(3).Select(i => i.ToString())]);
    }

    [Fact]
    public async Task In_tells_membership()
    {
        using var store = CliHarness.OpenStore(sample.Path);
        var member = (await store.Day("active", 2026, 11, 28).MinAsync())!.Value;
        (await CliHarness.Run(sample.Args("in", member.ToString(), "active", "--period", "day", "--at", "2026-11-28")))
            .Json().GetProperty("contains").GetBoolean().ShouldBeTrue();
        (await CliHarness.Run(sample.Args("in", "4000000000", "active", "--period", "day", "--at", "2026-11-28")))
            .Json().GetProperty("contains").GetBoolean().ShouldBeFalse();
        var table = await CliHarness.Run("in", member.ToString(), "active", "-p", "day", "--at", "2026-11-28", "--data", sample.Path);
        Lines(table.Out).ShouldBe(["contains", "true"]); // as query "ID in day(active, 2026-11-28)" prints it
    }

    [Fact]
    public async Task Explain_prints_the_plan()
    {
        var json = (await CliHarness.Run(sample.Args("explain", "active", "--period", "week", "--at", "2026-11-28"))).Json();
        var doc = json.GetProperty("explain").GetString()!;
        doc.ShouldContain("query:     count week(active, 2026-W48)");
        doc.ShouldContain("trackist_active_W2026-48");
        var table = await CliHarness.Run("explain", "active", "--period", "year", "--data", sample.Path, "--now", CliHarness.Now);
        table.ExitCode.ShouldBe(0);
        table.Out.ShouldStartWith("query:     count year(active, 2026)");
        table.Out.ShouldContain("trackist_active_2026-12");
    }

    [Fact]
    public async Task Global_options_may_come_before_the_command()
    {
        var before = await CliHarness.Run("--data", sample.Path, "--now", CliHarness.Now, "--format", "json", "count", "active");
        var after = await CliHarness.Run(sample.Args("count", "active"));
        before.Json().GetProperty("count").GetInt64().ShouldBe(after.Json().GetProperty("count").GetInt64());
    }

    internal static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    internal static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}
