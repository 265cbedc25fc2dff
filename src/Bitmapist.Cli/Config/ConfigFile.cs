using System.Text.Json;

namespace Bitmapist.Cli.Config;

/// <summary>One named connection of the config file: where the data is, and the settings that go with it.</summary>
/// <param name="Name">The profile's name (<c>--profile NAME</c>).</param>
/// <param name="Redis">A StackExchange.Redis connection string (it may hold a password: never printed as it is).</param>
/// <param name="Data">An embedded store file (<c>~/</c> is the home directory; a relative path is relative to the config file).</param>
/// <param name="Prefix">The key prefix, or null for the default.</param>
/// <param name="Layout">The key layout (<c>bitmapist</c>, <c>sharded[:K]</c>), or null.</param>
/// <param name="Universe">The universe, a set of the query language, or null.</param>
/// <param name="IdMap">The store's id map (<c>--id-map</c>), or null.</param>
internal sealed record ConnectionProfile(string Name, string? Redis, string? Data, string? Prefix, string? Layout, string? Universe, string? IdMap = null);

/// <summary>
/// The config file (<see cref="CliEnvironment.ConfigPath"/>): named connections and the one used by default.
/// <code>
/// { "default": "prod",
///   "profiles": {
///     "prod":  { "redis": "redis.internal:6379,password=...", "universe": "unique(user)", "idMap": "users" },
///     "local": { "data": "~/analytics.bms", "prefix": "trackist_" } } }
/// </code>
/// Read with <see cref="JsonDocument"/> (no reflection, so the Native AOT build stays free of warnings). Errors name
/// the file, the place and the fix, and never quote a value: a connection string may hold a password.
/// </summary>
internal sealed class ConfigFile
{
    private static readonly string[] Settings = ["redis", "data", "prefix", "layout", "universe", "idMap"];

    private ConfigFile(string path, string? defaultProfile, IReadOnlyDictionary<string, ConnectionProfile> profiles)
    {
        Path = path;
        Default = defaultProfile;
        Profiles = profiles;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The profile used when no store is given, or null.</summary>
    public string? Default { get; }

    /// <summary>The profiles by name.</summary>
    public IReadOnlyDictionary<string, ConnectionProfile> Profiles { get; }

    /// <summary>The profile named <paramref name="name"/>.</summary>
    /// <exception cref="CliException">There is none; the message lists the ones there are.</exception>
    public ConnectionProfile Get(string name) => Profiles.TryGetValue(name, out var profile) ? profile
        : throw new CliException($"There is no profile '{name}' in the config file '{Path}'; " +
            (Profiles.Count == 0 ? "it has none." : $"it has {string.Join(", ", Profiles.Keys.Order(StringComparer.Ordinal))}."));

    /// <summary>The config file of <paramref name="environment"/>, or null when there is none.</summary>
    /// <exception cref="CliException">The file cannot be read or is not a valid config file.</exception>
    public static ConfigFile? Load(CliEnvironment environment)
    {
        if (environment.ConfigPath is not { } path || !File.Exists(path)) return null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read the config file '{path}': {e.Message}", Cli.Failed);
        }
        try
        {
            return Parse(path, text, environment.Home);
        }
        catch (JsonException e)
        {
            // Only the place: the JSON reader's message may quote the text around it, a password perhaps.
            throw new CliException($"The config file '{path}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): fix it or move it away.");
        }
    }

    private static ConfigFile Parse(string path, string text, string? home)
    {
        using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        CliException Bad(string what) => new($"The config file '{path}': {what}. It looks like {{\"default\": \"NAME\", \"profiles\": {{\"NAME\": {{\"redis\": \"host:6379\"}}}}}} (docs/repl.md, \"Connections\").");
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad("the file is not a JSON object");
        string? defaultProfile = null;
        var profiles = new Dictionary<string, ConnectionProfile>(StringComparer.Ordinal);
        foreach (var top in doc.RootElement.EnumerateObject())
        {
            switch (top.Name)
            {
                case "default":
                    defaultProfile = top.Value.ValueKind == JsonValueKind.String ? top.Value.GetString() : throw Bad("\"default\" is not a string (the name of a profile)");
                    break;
                case "profiles":
                    if (top.Value.ValueKind != JsonValueKind.Object) throw Bad("\"profiles\" is not an object of named profiles");
                    foreach (var p in top.Value.EnumerateObject()) profiles[p.Name] = ReadProfile(p, path, home, Bad);
                    break;
                default:
                    throw Bad($"\"{top.Name}\" is not a setting of the file (it has \"default\" and \"profiles\")");
            }
        }
        if (defaultProfile is not null && !profiles.ContainsKey(defaultProfile))
            throw Bad($"\"default\" names the profile '{defaultProfile}', which is not among the profiles");
        return new ConfigFile(path, defaultProfile, profiles);
    }

    private static ConnectionProfile ReadProfile(JsonProperty p, string path, string? home, Func<string, CliException> bad)
    {
        if (p.Value.ValueKind != JsonValueKind.Object) throw bad($"the profile '{p.Name}' is not an object");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var setting in p.Value.EnumerateObject())
        {
            if (!Settings.Contains(setting.Name))
                throw bad($"\"{setting.Name}\" of the profile '{p.Name}' is not a setting (a profile has {string.Join(", ", Settings.Select(s => $"\"{s}\""))})");
            if (setting.Value.ValueKind != JsonValueKind.String || setting.Value.GetString() is not { Length: > 0 } value)
                throw bad($"\"{setting.Name}\" of the profile '{p.Name}' is not a non-empty string");
            values[setting.Name] = value;
        }
        var redis = values.GetValueOrDefault("redis");
        var data = values.GetValueOrDefault("data");
        if ((redis is null) == (data is null))
            throw bad($"the profile '{p.Name}' needs exactly one of \"redis\" (a connection string) and \"data\" (a store file)");
        if (data is not null) data = Resolve(data, path, home);
        return new ConnectionProfile(p.Name, redis, data, values.GetValueOrDefault("prefix"), values.GetValueOrDefault("layout"),
            values.GetValueOrDefault("universe"), values.GetValueOrDefault("idMap"));
    }

    /// <summary>A store file's path: <c>~/</c> is the home directory, a relative path is relative to the config file's folder.</summary>
    private static string Resolve(string data, string configPath, string? home)
    {
        if (home is not null && (data == "~" || data.StartsWith("~/", StringComparison.Ordinal))) return System.IO.Path.Combine(home, data.Length == 1 ? "" : data[2..]);
        return System.IO.Path.GetFullPath(data, System.IO.Path.GetDirectoryName(configPath)!);
    }
}
