namespace Bitmapist.Cli.Config;

/// <summary>
/// The environment a run takes its defaults from: environment variables and, through <c>HOME</c> and
/// <c>XDG_CONFIG_HOME</c>, the config file. The tool passes the process's (<see cref="FromProcess"/>); an in-process
/// run (<see cref="Cli.RunAsync(string[], TextWriter, TextWriter, CancellationToken)"/>, the tests) reads none unless
/// given one, so the machine it runs on (a CI job's <c>BITMAPIST_REDIS</c>, someone's config file) cannot change its answers.
/// </summary>
internal sealed class CliEnvironment(Func<string, string?> variable)
{
    /// <summary>The variable naming the Redis to use when no store is given on the command line.</summary>
    public const string RedisVariable = "BITMAPIST_REDIS";

    /// <summary>No variables and no config file.</summary>
    public static CliEnvironment None { get; } = new(_ => null);

    /// <summary>The process's environment variables.</summary>
    public static CliEnvironment FromProcess() => new(Environment.GetEnvironmentVariable);

    /// <summary>Exactly <paramref name="variables"/> (tests: a temporary HOME or XDG_CONFIG_HOME).</summary>
    public static CliEnvironment Of(IReadOnlyDictionary<string, string> variables) => new(name => variables.GetValueOrDefault(name));

    /// <summary>A variable's value; null when it is unset or empty (an empty value is how a shell unsets one for a command).</summary>
    public string? Variable(string name) => variable(name) is { Length: > 0 } value ? value : null;

    /// <summary>The user's home directory (<c>HOME</c>, on Windows <c>USERPROFILE</c>), or null.</summary>
    public string? Home => Variable("HOME") ?? Variable("USERPROFILE");

    /// <summary>
    /// Where the config file is: <c>$XDG_CONFIG_HOME/bitmapist/config.json</c>, else
    /// <c>~/.config/bitmapist/config.json</c> (the XDG base directory rule: a relative XDG_CONFIG_HOME is ignored);
    /// null without a home.
    /// </summary>
    public string? ConfigPath =>
        Variable("XDG_CONFIG_HOME") is { } xdg && Path.IsPathRooted(xdg) ? Path.Combine(xdg, "bitmapist", "config.json")
        : Home is { } home ? Path.Combine(home, ".config", "bitmapist", "config.json")
        : null;
}
