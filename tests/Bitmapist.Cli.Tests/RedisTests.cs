using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// The same commands on a real Redis, when BITMAPIST_REDIS names one (CI sets it); skipped otherwise, unless
/// BITMAPIST_REQUIRE_REDIS=1 makes a missing server a failure. Keys live under a prefix of their own, deleted after.
/// </summary>
public sealed class RedisTests
{
    [SkippableFact]
    public async Task Sample_mark_and_read_on_redis()
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");

        var prefix = $"clitest_{Guid.NewGuid():N}_";
        string[] Args(params string[] args) => [.. args, "--redis", redis!, "--prefix", prefix, "--now", CliHarness.Now, "--format", "json"];
        try
        {
            var sample = (await CliHarness.Run(Args("sample", "--users", "300", "--days", "7"))).Json();
            sample.GetProperty("lastDay").GetString().ShouldBe("2026-11-28");
            QueryCommandTests.Strings((await CliHarness.Run(Args("events"))).Json().GetProperty("events"))
                .ShouldBe(["active", "premium", "signup", "song:played"]);

            (await CliHarness.Run(Args("mark", "bought", "7", "8", "--at", "2026-11-27T09:00:00"))).ExitCode.ShouldBe(0);
            (await CliHarness.Run(Args("count", "bought", "--period", "week"))).Json().GetProperty("count").GetInt64().ShouldBe(2);
            (await CliHarness.Run(Args("ids", "bought", "--period", "day", "--at", "2026-11-27"))).Json()
                .GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([7, 8]);
            (await CliHarness.Run(Args("in", "8", "bought"))).Json().GetProperty("contains").GetBoolean().ShouldBeTrue();

            // --unique is bitmapist's track_unique=True: the dated keys and the flag; --unique-only the flag alone.
            (await CliHarness.Run(Args("mark", "upgraded", "3", "--unique", "--at", "2026-11-26T09:00:00"))).ExitCode.ShouldBe(0);
            (await CliHarness.Run(Args("mark", "upgraded", "4", "--unique-only"))).ExitCode.ShouldBe(0);
            (await CliHarness.Run(Args("ids", "upgraded", "--period", "day", "--at", "2026-11-26"))).Json()
                .GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([3]);
            (await CliHarness.Run(Args("ids", "upgraded", "--period", "month"))).Json()
                .GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([3]);
            (await CliHarness.Run(Args("ids", "upgraded", "--period", "unique"))).Json()
                .GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([3, 4]);
            (await CliHarness.Run(Args("explain", "active", "--period", "year"))).Json().GetProperty("explain").GetString()!.ShouldContain("BITOP OR");

            // The text language on Redis: one JSON object per statement, the same numbers as the commands above.
            var query = await CliHarness.Run(Args("query", "count week(bought); 7 in day(bought, 2026-11-27) - {8}; ids day(bought, 2026-11-27) & {8, 9}"));
            query.ExitCode.ShouldBe(0, query.Err);
            var lines = query.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.ShouldBe(["{\"count\":2}", "{\"contains\":true}", "{\"ids\":[8]}"]);
            (await CliHarness.Run(Args("query", "count month(active) &"))).ShouldFailWith(2, "column");

            // Bulk import on Redis, bad lines skipped.
            var csv = Path.Combine(Path.GetTempPath(), $"{prefix}.csv");
            await File.WriteAllLinesAsync(csv, ["100,imported,2026-11-28T01:00:00", "oops,imported,2026-11-28", "101,imported,2026-11-28T02:00:00"]);
            try
            {
                var run = await CliHarness.Run(Args("import", csv));
                run.ExitCode.ShouldBe(Cli.Skipped, run.Err); // a line was skipped
                using var doc = System.Text.Json.JsonDocument.Parse(run.Out);
                var import = doc.RootElement;
                import.GetProperty("imported").GetInt64().ShouldBe(2);
                import.GetProperty("badLines").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([2]);
                (await CliHarness.Run(Args("ids", "imported", "--period", "day"))).Json()
                    .GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([100, 101]);
            }
            finally
            {
                File.Delete(csv);
            }
        }
        finally
        {
            await using var store = await RedisStore.ConnectAsync(redis!, new StoreOptions().WithPrefix(prefix));
            await store.DeleteEventsAsync();
        }
    }
}
