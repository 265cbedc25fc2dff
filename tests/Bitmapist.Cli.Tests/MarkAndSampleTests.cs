namespace Bitmapist.Cli.Tests;

/// <summary>mark and sample: what they write, print and refuse.</summary>
public sealed class MarkAndSampleTests : IDisposable
{
    private readonly TempDir _dir = CliHarness.TempDir();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Mark_writes_month_week_and_day_keys_and_saves_the_file()
    {
        var file = _dir.File("marks.bms");
        var json = (await CliHarness.Run("mark", "signup", "1", "2", "3", "--at", "2026-11-28T10:15:00", "--data", file, "--format", "json")).Json();
        json.GetProperty("event").GetString().ShouldBe("signup");
        json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([1, 2, 3]);
        json.GetProperty("at").GetString().ShouldBe("2026-11-28T10:15:00");
        json.GetProperty("unique").GetBoolean().ShouldBeFalse();
        QueryCommandTests.Strings(json.GetProperty("keys"))
            .ShouldBe(["trackist_signup_2026-11", "trackist_signup_W2026-48", "trackist_signup_2026-11-28"]);
        File.Exists(file).ShouldBeTrue();

        using var store = CliHarness.OpenStore(file);
        (await store.Day("signup", 2026, 11, 28).ToListAsync()).ShouldBe([1, 2, 3]);
        (await store.Week("signup", 2026, 48).CountAsync()).ShouldBe(3);
        (await store.Hour("signup", 2026, 11, 28, 10).CountAsync()).ShouldBe(0); // no --hourly
    }

    [Fact]
    public async Task Mark_adds_to_an_existing_file_and_defaults_to_now()
    {
        var file = _dir.File("marks.bms");
        (await CliHarness.Run("mark", "active", "7", "--data", file, "--now", CliHarness.Now)).ExitCode.ShouldBe(0);
        var second = await CliHarness.Run("mark", "active", "8", "9", "--data", file, "--now", CliHarness.Now);
        second.ExitCode.ShouldBe(0);
        second.Out.ShouldContain("marked 'active' at 2026-11-28T12:00:00 for 2 users");
        var ids = (await CliHarness.Run("ids", "active", "--period", "day", "--data", file, "--now", CliHarness.Now, "--format", "json")).Json();
        ids.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ShouldBe([7, 8, 9]);
    }

    [Fact]
    public async Task Mark_hourly_also_writes_the_hour_key()
    {
        var file = _dir.File("hourly.bms");
        var json = (await CliHarness.Run("mark", "play", "42", "--at", "2026-11-28T14:30:00", "--hourly", "--data", file, "--format", "json")).Json();
        QueryCommandTests.Strings(json.GetProperty("keys")).ShouldContain("trackist_play_2026-11-28-14");
        (await CliHarness.Run("count", "play", "--period", "hour", "--at", "2026-11-28T14", "--data", file, "--format", "json"))
            .Json().GetProperty("count").GetInt64().ShouldBe(1);
        (await CliHarness.Run("in", "42", "play", "--period", "hour", "--at", "2026-11-28T15:00", "--data", file, "--format", "json"))
            .Json().GetProperty("contains").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task Mark_unique_writes_the_dated_keys_and_the_flag_as_bitmapists_track_unique_does()
    {
        var file = _dir.File("unique.bms");
        var json = (await CliHarness.Run("mark", "premium", "5", "6", "--unique", "--at", "2026-11-27T09:00:00", "--data", file, "--format", "json")).Json();
        json.GetProperty("at").GetString().ShouldBe("2026-11-27T09:00:00");
        json.GetProperty("unique").GetBoolean().ShouldBeTrue();
        QueryCommandTests.Strings(json.GetProperty("keys"))
            .ShouldBe(["trackist_premium_2026-11", "trackist_premium_W2026-48", "trackist_premium_2026-11-27", "trackist_premium_u"]);
        using var store = CliHarness.OpenStore(file);
        (await store.Day("premium", 2026, 11, 27).ToListAsync()).ShouldBe([5, 6]);
        (await store.Week("premium", 2026, 48).ToListAsync()).ShouldBe([5, 6]);
        (await store.Month("premium", 2026, 11).ToListAsync()).ShouldBe([5, 6]);
        (await store.Unique("premium").ToListAsync()).ShouldBe([5, 6]);
        store.KeyCount.ShouldBe(4);
    }

    [Fact]
    public async Task Mark_unique_with_hourly_and_no_at_marks_now_and_the_flag()
    {
        var file = _dir.File("unique-hourly.bms");
        var result = await CliHarness.Run("mark", "premium", "5", "--unique", "--hourly", "--data", file, "--now", CliHarness.Now);
        result.ExitCode.ShouldBe(0, result.Err);
        result.Out.ShouldContain("marked 'premium' at 2026-11-28T12:00:00 and set its unique flag for user 5");
        using var store = CliHarness.OpenStore(file);
        (await store.Hour("premium", 2026, 11, 28, 12).ToListAsync()).ShouldBe([5]);
        (await store.Unique("premium").ToListAsync()).ShouldBe([5]);
    }

    [Fact]
    public async Task Mark_unique_only_sets_only_the_flag()
    {
        var file = _dir.File("unique-only.bms");
        var result = await CliHarness.Run("mark", "premium", "5", "6", "--unique-only", "--data", file, "--format", "csv");
        result.ExitCode.ShouldBe(0, result.Err);
        QueryCommandTests.Lines(result.Out).ShouldBe(["event,id,key", "premium,5,trackist_premium_u", "premium,6,trackist_premium_u"]);
        (await CliHarness.Run("count", "premium", "--period", "unique", "--data", file, "--format", "json"))
            .Json().GetProperty("count").GetInt64().ShouldBe(2);
        using var store = CliHarness.OpenStore(file);
        store.KeyCount.ShouldBe(1);
    }

    [Theory]
    [InlineData("--unique", "give --unique (dated keys and the unique flag) or --unique-only (the flag alone), not both.")]
    [InlineData("--at=2026-11-28", "--at has no meaning with --unique-only: the unique flag has no date. Use --unique")]
    [InlineData("--hourly", "--hourly has no meaning with --unique-only")]
    public async Task Mark_unique_only_refuses_what_needs_a_date(string option, string error)
    {
        var file = _dir.File("refused.bms");
        (await CliHarness.Run("mark", "premium", "5", "--unique-only", option, "--data", file)).ShouldFailWith(2, error);
        File.Exists(file).ShouldBeFalse();
    }

    [Fact]
    public async Task Mark_with_an_offset_timestamp_uses_its_utc_wall_clock()
    {
        var file = _dir.File("offset.bms");
        var json = (await CliHarness.Run("mark", "e", "1", "--at", "2026-12-01T01:00:00+02:00", "--data", file, "--format", "json")).Json();
        json.GetProperty("at").GetString().ShouldBe("2026-11-30T23:00:00");
        QueryCommandTests.Strings(json.GetProperty("keys")).ShouldContain("trackist_e_2026-11-30");
    }

    [Fact]
    public async Task Prefix_selects_the_key_namespace()
    {
        var file = _dir.File("prefix.bms");
        (await CliHarness.Run("mark", "login", "1", "--prefix", "bitmapist_", "--data", file, "--now", CliHarness.Now)).ExitCode.ShouldBe(0);
        QueryCommandTests.Strings((await CliHarness.Run("events", "--prefix", "bitmapist_", "--data", file, "--format", "json")).Json().GetProperty("events"))
            .ShouldBe(["login"]);
        (await CliHarness.Run("events", "--data", file, "--format", "json")).Json().GetProperty("events").GetArrayLength().ShouldBe(0);
        using var store = CliHarness.OpenStore(file, "bitmapist_");
        (await store.Day("login", 2026, 11, 28).CountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task Mark_rejects_a_bad_id_before_writing_anything()
    {
        var file = _dir.File("bad.bms");
        (await CliHarness.Run("mark", "signup", "1", "4294967296", "--data", file)).ShouldFailWith(2, "4294967296");
        File.Exists(file).ShouldBeFalse();
    }

    [Fact]
    public async Task Mark_says_how_many_ids_it_takes_when_given_more()
    {
        // System.CommandLine takes at most 100,000 values and alone calls the next one an "unrecognized argument".
        var file = _dir.File("many.bms");
        string[] Ids(int n) => [.. Enumerable.Range(0, n).Select(i => (i * 3).ToString(System.Globalization.CultureInfo.InvariantCulture))];
        (await CliHarness.Run(["mark", "many", .. Ids(100_001), "--at", "2026-11-28", "--data", file]))
            .ShouldFailWith(2, "mark takes at most 100,000 ids at a time; mark the rest in another call, or put them in a CSV file for bitmapist import.");
        File.Exists(file).ShouldBeFalse();
        var result = await CliHarness.Run(["mark", "many", .. Ids(100_000), "--at", "2026-11-28", "--data", file]);
        result.ExitCode.ShouldBe(0, result.Err);
        using var store = CliHarness.OpenStore(file);
        (await store.Day("many", 2026, 11, 28).CountAsync()).ShouldBe(100_000);
    }

    [Fact]
    public async Task Mark_needs_a_store_that_keeps_the_marks()
    {
        (await CliHarness.Run("mark", "signup", "1")).ShouldFailWith(2, "--data");
    }

    [Fact]
    public async Task Sample_ends_on_the_pinned_day_and_is_reproducible()
    {
        var a = _dir.File("a.bms");
        var b = _dir.File("b.bms");
        var first = (await CliHarness.Run("sample", "--data", a, "--users", "300", "--days", "10", "--now", "2026-03-05T08:00:00Z", "--format", "json")).Json();
        first.GetProperty("firstDay").GetString().ShouldBe("2026-02-24");
        first.GetProperty("lastDay").GetString().ShouldBe("2026-03-05");
        (await CliHarness.Run("sample", "--data", b, "--users", "300", "--days", "10", "--now", "2026-03-05T08:00:00Z", "--format", "json")).Json();
        File.ReadAllBytes(a).ShouldBe(File.ReadAllBytes(b));
    }

    [Fact]
    public async Task Sample_refuses_a_window_before_year_1_before_replace_deletes_anything()
    {
        // It used to delete the events (--replace), then fail on the date with .NET's "un-representable DateTime".
        var file = _dir.File("kept.bms");
        (await CliHarness.Run("mark", "mine", "1", "--at", "2026-11-28", "--data", file)).ExitCode.ShouldBe(0);
        (await CliHarness.Run("sample", "--data", file, "--users", "10", "--days", "1000000", "--replace", "--now", CliHarness.Now))
            .ShouldFailWith(2, "--days 1000000 reaches before year 1: the window ends on 2026-11-28, so it takes at most 739,948 days.");
        using var store = CliHarness.OpenStore(file);
        (await store.Day("mine", 2026, 11, 28).ToListAsync()).ShouldBe([1]);
    }

    [Fact]
    public async Task Sample_refuses_a_store_that_holds_events_unless_replace()
    {
        var file = _dir.File("taken.bms");
        (await CliHarness.Run("mark", "mine", "1", "--data", file)).ExitCode.ShouldBe(0);
        (await CliHarness.Run("sample", "--data", file, "--users", "100", "--days", "5")).ShouldFailWith(1, "--replace");
        var replaced = await CliHarness.Run("sample", "--data", file, "--users", "100", "--days", "5", "--replace", "--now", CliHarness.Now);
        replaced.ExitCode.ShouldBe(0, replaced.Err);
        replaced.Out.ShouldStartWith("wrote sample data to file");
        QueryCommandTests.Strings((await CliHarness.Run("events", "--data", file, "--format", "json")).Json().GetProperty("events"))
            .ShouldBe(["active", "premium", "signup", "song:played"]);
    }

    [Fact]
    public async Task Sample_needs_a_target_and_positive_sizes()
    {
        (await CliHarness.Run("sample")).ShouldFailWith(2, "--data");
        (await CliHarness.Run("sample", "--data", _dir.File("x.bms"), "--users", "0")).ShouldFailWith(2, "--users");
        (await CliHarness.Run("sample", "--data", _dir.File("x.bms"), "--days", "-3")).ShouldFailWith(2, "--days");
        File.Exists(_dir.File("x.bms")).ShouldBeFalse();
    }
}
