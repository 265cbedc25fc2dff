using System.Text.Json;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// <c>describe EVENT</c> through <c>bitmapist query</c>: the statement added as issue 12's demonstration of a new
/// statement (its grammar rule, its walker branch and its own file), printed by every format with no renderer case.
/// </summary>
public sealed class DescribeStatementTests(SampleFile sample) : IClassFixture<SampleFile>
{
    [Fact]
    public async Task Describe_prints_the_events_periods_and_this_months_count_in_every_format()
    {
        using var store = CliHarness.OpenStore(sample.Path);
        var users = await store.Month("active", 2026, 11).CountAsync();

        var json = await CliHarness.Run(sample.Args("query", "describe active"));
        json.ExitCode.ShouldBe(0, json.Err);
        var d = JsonDocument.Parse(json.Out).RootElement.GetProperty("describe");
        d.GetProperty("event").GetString().ShouldBe("active");
        d.GetProperty("month").GetString().ShouldBe("2026-11");
        d.GetProperty("users_this_month").GetInt64().ShouldBe(users);
        var day = d.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("unit").GetString() == "day");
        (day.GetProperty("keys").GetInt32(), day.GetProperty("first").GetString(), day.GetProperty("last").GetString())
            .ShouldBe((30, "2026-10-30", "2026-11-28"), "the sample file holds 30 days to 2026-11-28");

        var table = await CliHarness.Run([.. sample.Args("query", "describe active")[..^2], "--format", "table"]);
        table.ExitCode.ShouldBe(0, table.Err);
        table.Out.ReplaceLineEndings("\n").ShouldStartWith($"event: active\nmonth: 2026-11\nusers_this_month: {users}\nunit   keys  first       last\nmonth  2     2026-10     2026-11\n");

        var csv = await CliHarness.Run([.. sample.Args("query", "describe active")[..^2], "--format", "csv"]);
        csv.Out.ReplaceLineEndings("\n").ShouldStartWith($"event,month,users_this_month,unit,keys,first,last\nactive,2026-11,{users},month,2,2026-10,2026-11\n");
    }

    [Fact]
    public async Task A_misspelt_event_is_described_as_empty_with_a_warning()
    {
        var result = await CliHarness.Run(sample.Args("query", "describe actve"));
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ShouldContain("\"rows\":[]");
        result.Err.ShouldContain("did you mean 'active'");
    }
}
