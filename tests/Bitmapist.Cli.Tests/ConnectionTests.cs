using System.Text.Json;
using Bitmapist.Cli.Config;

namespace Bitmapist.Cli.Tests;

/// <summary>
/// The default connection: <c>--profile NAME</c>, <c>BITMAPIST_REDIS</c> and the config file's default profile, in a
/// temporary HOME / XDG_CONFIG_HOME (the run's environment is passed in, never the test process's); and secrets:
/// a password in a connection string never shows in messages, errors or help.
/// </summary>
public sealed class ConnectionTests(SampleFile sample) : IClassFixture<SampleFile>, IDisposable
{
    private const string Secret = "hunter2-s3cret";

    /// <summary>A Redis nobody listens on (the discard port), with a password that must never be printed.</summary>
    private const string Unreachable = "127.0.0.1:9,password=" + Secret + ",connectTimeout=300,abortConnect=true";

    private readonly TempDir _home = CliHarness.TempDir();

    public void Dispose() => _home.Dispose();

    private string ConfigFile(string under)
    {
        var dir = Path.Combine(under, "bitmapist");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, "config.json");
    }

    /// <summary>Writes the config file where HOME finds it (~/.config/bitmapist/config.json).</summary>
    private string WriteConfig(string json)
    {
        var path = ConfigFile(Path.Combine(_home.Path, ".config"));
        File.WriteAllText(path, json);
        return path;
    }

    private string Profiles(string defaultProfile = "local") => $$"""
        { "default": "{{defaultProfile}}",
          // comments and trailing commas are allowed
          "profiles": {
            "local": { "data": {{JsonSerializer.Serialize(sample.Path)}}, "universe": "unique(premium)", },
            "down": { "redis": "{{Unreachable}}" },
          } }
        """;

    private async Task<CliResult> Run(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] format = args.Contains("--format") ? [] : ["--format", "json"];
        var code = await Cli.RunAsync([.. args, "--now", CliHarness.Now, .. format], stdout, stderr, null, CancellationToken.None, CliEnvironment.Of(environment));
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private Dictionary<string, string> Home(params (string Name, string Value)[] more)
    {
        var variables = new Dictionary<string, string> { ["HOME"] = _home.Path };
        foreach (var (name, value) in more) variables[name] = value;
        return variables;
    }

    private async Task<string> Expected(string query) => (await CliHarness.Run(sample.Args("query", query))).Out;

    [Fact]
    public async Task The_default_profile_of_the_config_file_names_the_store_and_its_universe()
    {
        WriteConfig(Profiles());
        var run = await Run(Home(), "query", "count month(active); count users");
        run.ExitCode.ShouldBe(0, run.Err);
        run.Out.ShouldBe(await Expected("count month(active); count unique(premium)"));
        run.Err.ShouldBeEmpty(); // not the sample data's note
    }

    [Fact]
    public async Task XDG_CONFIG_HOME_is_where_the_file_is_when_set_and_absolute()
    {
        var xdg = Path.Combine(_home.Path, "xdg");
        File.WriteAllText(ConfigFile(xdg), Profiles());
        var run = await Run(Home(("XDG_CONFIG_HOME", xdg)), "query", "count month(active)");
        run.Out.ShouldBe(await Expected("count month(active)"));
        // A relative XDG_CONFIG_HOME is ignored (the XDG rule): back to ~/.config, which has no file here: the sample data.
        var relative = await Run(Home(("XDG_CONFIG_HOME", "xdg")), "query", "count month(active)");
        relative.ExitCode.ShouldBe(0, relative.Err);
        relative.Err.ShouldContain("built-in sample data");
    }

    [Fact]
    public async Task Profile_picks_a_named_connection_and_says_which_exist()
    {
        WriteConfig(Profiles(defaultProfile: "down"));
        (await Run(Home(), "query", "count month(active)", "--profile", "local")).Out.ShouldBe(await Expected("count month(active)"));
        (await Run(Home(), "count", "active", "--profile", "prod")).ShouldFailWith(Cli.Usage, "There is no profile 'prod' in the config file").Err.ShouldContain("it has down, local");
        (await Run(Home(), "count", "active", "--profile", "local", "--data", sample.Path)).ShouldFailWith(Cli.Usage, "Give either --profile or --data");
        (await Run(new Dictionary<string, string> { ["HOME"] = Path.Combine(_home.Path, "nobody") }, "count", "active", "--profile", "local"))
            .ShouldFailWith(Cli.Usage, "there is no config file");
    }

    [Fact]
    public async Task Options_on_the_command_line_win_over_the_environment_and_the_profile()
    {
        WriteConfig(Profiles(defaultProfile: "down"));
        var env = Home((CliEnvironment.RedisVariable, Unreachable));
        (await Run(env, "query", "count month(active)", "--data", sample.Path)).Out.ShouldBe(await Expected("count month(active)"));
        // --universe beats the profile's; --prefix too (nothing under it: 0).
        (await Run(env, "query", "count users", "--profile", "local", "--universe", "unique(nobody)")).Out.ShouldBe("{\"count\":0}\n");
        (await Run(env, "query", "count month(active)", "--profile", "local", "--prefix", "other_")).Out.ShouldBe("{\"count\":0}\n");
    }

    [Fact]
    public async Task BITMAPIST_REDIS_comes_before_the_default_profile_and_its_password_is_never_printed()
    {
        WriteConfig(Profiles());
        foreach (var verbose in new[] { false, true })
        {
            string[] args = verbose ? ["count", "active", "--verbose"] : ["count", "active"];
            var run = await Run(Home((CliEnvironment.RedisVariable, Unreachable)), args);
            run.ExitCode.ShouldBe(Cli.Failed, run.Err);
            run.Err.ShouldStartWith("bitmapist: Cannot connect to Redis at '127.0.0.1:9,password=***,");
            if (verbose) run.Err.ShouldContain("caused by"); // the client's own diagnostics, redacted too
            run.Err.ShouldNotContain(Secret);
        }
    }

    [Fact]
    public async Task A_profiles_password_is_never_printed_in_errors_or_help()
    {
        var path = WriteConfig(Profiles(defaultProfile: "down"));
        foreach (var args in new[] { new[] { "count", "active" }, ["events", "--verbose"], ["query", "count ~month(active)", "--profile", "down"] })
        {
            var run = await Run(Home(), args);
            run.ExitCode.ShouldNotBe(0);
            (run.Out + run.Err).ShouldNotContain(Secret);
        }
        foreach (var args in new[] { new[] { "--help" }, ["count", "--help"], ["repl", "--help"] })
        {
            var help = await Run(Home((CliEnvironment.RedisVariable, Unreachable)), args);
            help.Out.ShouldContain("--profile");
            (help.Out + help.Err).ShouldNotContain(Secret);
        }
        // A broken file: the place, not the text around it (which could be a password).
        File.WriteAllText(path, "{ \"profiles\": { \"down\": { \"redis\": \"h:1,password=" + Secret + "\" ");
        var broken = await Run(Home(), "count", "active");
        broken.ShouldFailWith(Cli.Usage, "is not valid JSON (line 1");
        broken.Err.ShouldNotContain(Secret);
        // ...and it does not matter to a command that names its store.
        (await Run(Home(), "query", "count month(active)", "--data", sample.Path)).ExitCode.ShouldBe(0);
    }

    [Theory]
    [InlineData("""{ "profiles": { "a": { "redis": "h:1", "data": "f" } } }""", "needs exactly one of \"redis\"")]
    [InlineData("""{ "profiles": { "a": { "data": "f", "prefx": "x_" } } }""", "\"prefx\" of the profile 'a' is not a setting")]
    [InlineData("""{ "default": "b", "profiles": { "a": { "data": "f" } } }""", "names the profile 'b', which is not among the profiles")]
    [InlineData("""{ "profile": {} }""", "\"profile\" is not a setting of the file")]
    [InlineData("""{ "profiles": { "a": { "redis": 6379 } } }""", "\"redis\" of the profile 'a' is not a non-empty string")]
    [InlineData("""{ "default": "a", "profiles": { "a": { "data": "f", "universe": "~x" } } }""", "The universe of the profile 'a' '~x' is not a set")]
    [InlineData("""{ "profiles": { "a": { "data": "f", "idMap": "my users" } } }""", "The id map of the profile 'a': 'my users' cannot name an id map: use 1 to 64 letters")]
    public async Task A_config_file_that_says_something_else_is_refused_with_the_fix(string json, string message)
    {
        WriteConfig(json);
        (await Run(Home(), "count", "active", "--profile", "a")).ShouldFailWith(Cli.Usage, message);
    }

    [Fact]
    public async Task A_relative_data_path_is_relative_to_the_config_file_and_tilde_to_home()
    {
        var copy = Path.Combine(_home.Path, "store.bms");
        File.Copy(sample.Path, copy);
        WriteConfig("""{ "profiles": { "rel": { "data": "../../store.bms" }, "tilde": { "data": "~/store.bms" } } }""");
        var expected = await Expected("count month(active)");
        (await Run(Home(), "query", "count month(active)", "--profile", "rel")).Out.ShouldBe(expected);
        (await Run(Home(), "query", "count month(active)", "--profile", "tilde")).Out.ShouldBe(expected);
        var mark = await Run(Home(), "mark", "bought", "1", "--profile", "tilde", "--format", "table");
        mark.ExitCode.ShouldBe(0, mark.Err);
        mark.Out.ShouldContain($"file '{copy}' (profile 'tilde')");
    }

    [Fact]
    public async Task A_profiles_id_map_is_the_stores_unless_the_option_names_another()
    {
        var data = Path.Combine(_home.Path, "mapped.bms");
        WriteConfig($$"""{ "profiles": { "m": { "data": {{JsonSerializer.Serialize(data)}}, "idMap": "users" } } }""");
        var mark = (await Run(Home(), "mark", "seen", "alice", "--profile", "m")).Json();
        mark.GetProperty("idMap").GetString().ShouldBe("users");
        mark.GetProperty("internalIds")[0].GetInt64().ShouldBe(0);
        var other = (await Run(Home(), "mark", "seen", "bob", "--profile", "m", "--id-map", "staff")).Json();
        other.GetProperty("idMap").GetString().ShouldBe("staff");
        other.GetProperty("internalIds")[0].GetInt64().ShouldBe(0); // a map of its own, from 0
    }

    [Fact]
    public async Task An_in_process_run_reads_no_environment_by_default()
    {
        // The public entry point: the machine's BITMAPIST_REDIS or config file must not change what a test or host computes.
        var run = await CliHarness.Run("query", "count month(active)", "--now", CliHarness.Now);
        run.ExitCode.ShouldBe(0, run.Err);
        run.Err.ShouldContain("built-in sample data");
    }

    [SkippableFact]
    public async Task BITMAPIST_REDIS_names_the_store_on_a_real_Redis()
    {
        var redis = Environment.GetEnvironmentVariable("BITMAPIST_REDIS");
        if (string.IsNullOrEmpty(redis) && Environment.GetEnvironmentVariable("BITMAPIST_REQUIRE_REDIS") == "1")
            throw new InvalidOperationException("BITMAPIST_REQUIRE_REDIS=1 but BITMAPIST_REDIS is not set.");
        Skip.If(string.IsNullOrEmpty(redis), "BITMAPIST_REDIS is not set");
        var prefix = $"clienv_{Guid.NewGuid():N}_";
        var env = Home((CliEnvironment.RedisVariable, redis!));
        try
        {
            (await Run(env, "mark", "seen", "5", "6", "--prefix", prefix)).ExitCode.ShouldBe(0);
            (await Run(env, "query", "count month(seen)", "--prefix", prefix)).Out.ShouldBe("{\"count\":2}\n");
        }
        finally
        {
            await using var store = await Linq.Stores.RedisStore.ConnectAsync(redis!, new Linq.Stores.StoreOptions { Keys = new Linq.Model.KeyScheme(prefix) });
            await store.DeleteEventsAsync();
        }
    }
}
