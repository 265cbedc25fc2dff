using System.CommandLine;
using Bitmapist.Cli.Config;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli;

/// <summary>The parsed global options of one run.</summary>
/// <param name="Redis">StackExchange.Redis configuration string, or null.</param>
/// <param name="Data">Embedded store file, or null.</param>
/// <param name="Prefix">Key prefix.</param>
/// <param name="Now">The pinned "now", or null for the system clock.</param>
/// <param name="Format">Output format.</param>
/// <param name="Layout">The key layout given with --layout, or null (bitmapist's, except where a command says otherwise).</param>
/// <param name="Universe">The set of every user (--universe), or null: queries with <c>users</c>, <c>~x</c> or <c>not x</c> then fail.</param>
/// <param name="IdMap">The store's id map (--id-map): ids on the command line, in imports and in literal sets are then external ids; null for none.</param>
/// <param name="Source">Where <see cref="Redis"/> or <see cref="Data"/> came from when not the command line (<c>profile 'prod'</c>,
/// <c>BITMAPIST_REDIS</c>), for messages; null when given as an option.</param>
internal sealed record CliSettings(string? Redis, string? Data, string Prefix, DateTimeOffset? Now, OutputFormat Format, KeyLayout? Layout = null,
    SetExpr? Universe = null, string? Source = null, string? IdMap = null)
{
    /// <summary>The clock stores run on: fixed at <see cref="Now"/> when given.</summary>
    public TimeProvider Clock => Now is { } now ? new FixedTimeProvider(now) : TimeProvider.System;
}

/// <summary>
/// The options every command accepts (before or after the command name): where the data is, the key prefix,
/// the pinned "now" and the output format. Without <c>--redis</c> or <c>--data</c> the store comes from, in this order,
/// <c>--profile NAME</c>, the <c>BITMAPIST_REDIS</c> variable, the config file's default profile, else the built-in sample.
/// </summary>
/// <param name="environment">The variables and config file of the run (<see cref="CliEnvironment.None"/> in process).</param>
internal sealed class GlobalOptions(CliEnvironment? environment = null)
{
    private readonly CliEnvironment _environment = environment ?? CliEnvironment.None;

    public Option<string?> Redis { get; } = new("--redis")
    {
        Description = "Use the Redis server at this StackExchange.Redis connection string (e.g. localhost:6379); " +
            "for a Redis Cluster, some of its nodes comma-separated (h1:6379,h2:6379), with --layout sharded.",
        HelpName = "connection",
        Recursive = true,
    };

    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Use the embedded store in this file. Without --redis or --data: --profile, else $" + CliEnvironment.RedisVariable +
            ", else the config file's default profile, else the built-in sample data, in memory.",
        HelpName = "file",
        Recursive = true,
    };

    public Option<string?> Profile { get; } = new("--profile")
    {
        Description = "Use this named connection of the config file ($XDG_CONFIG_HOME/bitmapist/config.json, else ~/.config/bitmapist/config.json): " +
            "its redis or data, and its prefix, layout, universe and id map unless given as options.",
        HelpName = "name",
        Recursive = true,
    };

    public Option<string> Prefix { get; } = new("--prefix")
    {
        Description = "Key prefix of the bitmapist keys.",
        HelpName = "prefix",
        DefaultValueFactory = _ => KeyScheme.BitmapistPrefix,
        Recursive = true,
    };

    public Option<string?> Layout { get; } = new("--layout")
    {
        Description = "Key layout of the store: bitmapist (bitmapist's own keys, which the Python library reads; the default) or " +
            $"sharded[:K] (keys split into shards of 2^K ids, K {KeyLayout.MinShardBits} to {KeyLayout.MaxShardBits}, default {KeyLayout.DefaultShardBits}: " +
            "needed on a Redis Cluster; on one Redis a huge id then costs a small key). A store keeps the layout it was first written with. " +
            "The built-in sample takes it too, to show what a sharded store runs (explain); an embedded file (--data) keeps bitmapist's " +
            "layout: it stores large ids compactly already, so shards would only add work.",
        HelpName = "layout",
        Recursive = true,
    };

    public Option<string?> Universe { get; } = new("--universe")
    {
        Description = "The set of every user, a set of the query language, e.g. unique(user) (a unique flag the application marks for every user) " +
            "or year(active, -2..0): what 'users', '~x' and 'not x' mean. Without it those fail; 'a - b' needs none.",
        HelpName = "set",
        Recursive = true,
    };

    public Option<string?> IdMap { get; } = new("--id-map")
    {
        Description = "The store's id map, e.g. users: user ids in mark, import, in, literal sets ({'alice', 'bob'}) and ids output are then " +
            "external ids (any text: names, e-mails, UUIDs, 64-bit numbers as their decimal text), mapped to the dense ids bitmaps need. " +
            "Needs Redis or the embedded store (bitmapist-server holds only bitmaps).",
        HelpName = "name",
        Recursive = true,
    };

    public Option<string?> Now { get; } = new("--now")
    {
        Description = "Pin \"now\" to this ISO timestamp (e.g. 2026-11-28T12:00:00Z) for reproducible output; the sample data ends on that day.",
        HelpName = "timestamp",
        Recursive = true,
    };

    /// <summary>The name of <see cref="Verbose"/>, read before any command runs (errors of every command use it).</summary>
    public const string VerboseName = "--verbose";

    public Option<bool> Verbose { get; } = new(VerboseName)
    {
        Description = "On an error, also print what caused it (the Redis client's own message, the inner exceptions), one line each.",
        Recursive = true,
    };

    public Option<string> Format { get; } = new Option<string>("--format")
    {
        Description = "Output format: table (for people; each value under a header naming it), json (one object per statement, one per line) " +
            "or csv (each statement's result is its own CSV table, header row first, written one after another).",
        DefaultValueFactory = _ => "table",
        Recursive = true,
    }.AcceptOnlyFromAmong(OutputFormats.Names);

    public void AddTo(Command root)
    {
        root.Options.Add(Redis);
        root.Options.Add(Data);
        root.Options.Add(Profile);
        root.Options.Add(Prefix);
        root.Options.Add(Layout);
        root.Options.Add(Universe);
        root.Options.Add(IdMap);
        root.Options.Add(Now);
        root.Options.Add(Format);
        root.Options.Add(Verbose);
    }

    /// <summary>The settings of <paramref name="parse"/>, validated, with the store from the environment when the options name none.</summary>
    public CliSettings Read(ParseResult parse)
    {
        var redis = parse.GetValue(Redis);
        var data = parse.GetValue(Data);
        var profileName = parse.GetValue(Profile);
        if (redis is not null && data is not null)
            throw new CliException("Give either --redis or --data, not both.");
        if (redis is { Length: 0 }) throw new CliException("--redis needs a connection string, e.g. localhost:6379.");
        if (data is { Length: 0 }) throw new CliException("--data needs a file name.");
        if (profileName is not null && (redis ?? data) is not null)
            throw new CliException($"Give either --profile or {(redis is not null ? "--redis" : "--data")}, not both: a profile names its own store.");
        if (profileName is { Length: 0 }) throw new CliException("--profile needs the name of a profile of the config file.");
        string? source = null;
        ConnectionProfile? profile = null;
        if (redis is null && data is null)
            (redis, data, source, profile) = DefaultStore(profileName);
        DateTimeOffset? now = parse.GetValue(Now) is { } text
            ? new DateTimeOffset(DateTime.SpecifyKind(Parsing.Instant(text, "--now"), DateTimeKind.Utc))
            : null;
        var format = OutputFormats.Parse(parse.GetValue(Format) ?? "table");
        // An option given on the command line wins over the profile's setting.
        var layout = ReadLayout(parse.GetValue(Layout), "--layout") ?? ReadLayout(profile?.Layout, $"The layout of the profile '{profile?.Name}'");
        if (data is not null && layout is { IsSharded: true })
            throw new CliException(
                $"--layout {layout} with --data: an embedded store file keeps bitmapist's layout (it stores large ids compactly already, so " +
                "shards would only add work). Leave --layout out for --data; the sharded layout is for Redis (--redis), where a cluster needs it.");
        var prefix = parse.GetResult(Prefix) is { Implicit: false } || profile?.Prefix is null ? parse.GetValue(Prefix) ?? KeyScheme.BitmapistPrefix : profile.Prefix;
        var universe = ReadUniverse(parse.GetValue(Universe), "--universe")
            ?? (profile?.Universe is { } u ? ParseUniverse(u, $"The universe of the profile '{profile.Name}'") : null);
        var idMap = ReadIdMap(parse.GetValue(IdMap), "--id-map") ?? ReadIdMap(profile?.IdMap, $"The id map of the profile '{profile?.Name}'");
        return new CliSettings(redis, data, prefix, now, format, layout, universe, source, idMap);
    }

    /// <summary>
    /// The store when no option names one: the profile <paramref name="profileName"/>, else <c>BITMAPIST_REDIS</c>, else
    /// the config file's default profile; none of them: the built-in sample (both null). The config file is read only
    /// when needed, so a broken one does not stop a command that names its store.
    /// </summary>
    private (string? Redis, string? Data, string? Source, ConnectionProfile? Profile) DefaultStore(string? profileName)
    {
        if (profileName is not null)
        {
            var config = ConfigFile.Load(_environment) ?? throw new CliException(
                $"--profile {profileName}: there is no config file ({_environment.ConfigPath ?? "no home directory to look in"}). " +
                "Create it with the profile (docs/repl.md, \"Connections\"), or give --redis or --data.");
            var named = config.Get(profileName);
            return (named.Redis, named.Data, $"profile '{named.Name}'", named);
        }
        if (_environment.Variable(CliEnvironment.RedisVariable) is { } redis) return (redis, null, "$" + CliEnvironment.RedisVariable, null);
        if (ConfigFile.Load(_environment) is { Default: { } name } file)
        {
            var chosen = file.Get(name);
            return (chosen.Redis, chosen.Data, $"default profile '{chosen.Name}'", chosen);
        }
        return (null, null, null, null);
    }

    /// <summary>A universe option's set, or null when not given.</summary>
    public static SetExpr? ReadUniverse(string? text, string option) => text is null ? null : ParseUniverse(text, option);

    /// <summary>
    /// The universe <paramref name="text"/> names (with <paramref name="names"/>, a REPL session's let names). It must be
    /// a positive set: <c>users</c> or a complement in it would mean the universe itself, which has no definition.
    /// </summary>
    /// <param name="what">How the user gave it, for the message: <c>--universe</c> or <c>set universe</c>.</param>
    /// <exception cref="CliException">Not a set, or not a positive one; the message says how to give one.</exception>
    public static SetExpr ParseUniverse(string text, string what, IReadOnlyDictionary<string, SetExpr>? names = null)
    {
        var example = $"e.g. {what} 'unique(user)'";
        if (text.Trim().Length == 0) throw new CliException($"{what} needs a set, {example}.");
        SetExpr set;
        try
        {
            set = TextQuery.ParseSet(text, names);
        }
        catch (QuerySyntaxException e)
        {
            throw new CliException($"{what} '{text}' is not a set: {e.Problem}. Give a set of the query language, {example}.");
        }
        if (Descendants(set).FirstOrDefault(n => n.Kind is SetKind.Universe or SetKind.Not or SetKind.Parameter) is { } bad)
            throw new CliException($"{what} '{text}' uses {(bad.Kind == SetKind.Parameter ? "a parameter" : bad.Kind == SetKind.Universe ? "users" : "a complement")}: " +
                $"the universe is the set 'users' and '~x' stand for, so it must be made of events, flags and ids, {example} or year(active, -2..0).");
        return set;
    }

    private static IEnumerable<SetExpr> Descendants(SetExpr set) => set.Children.SelectMany(Descendants).Prepend(set);

    /// <summary>An id map name, or null when not given; the library's own message (<see cref="Linq.IdMapping.IdMap.ValidateName"/>) when it cannot name one.</summary>
    public static string? ReadIdMap(string? name, string option)
    {
        if (name is null) return null;
        try
        {
            Linq.IdMapping.IdMap.ValidateName(name);
            return name;
        }
        catch (ArgumentException e)
        {
            throw new CliException($"{option}: {Commands.CommandRunner.Describe(e, default).Message}");
        }
    }

    /// <summary>A layout option's value, or null when not given; the library's own message when it names no layout.</summary>
    public static KeyLayout? ReadLayout(string? text, string option)
    {
        if (text is null) return null;
        return KeyLayout.TryParse(text, out var layout, out var error) ? layout : throw new CliException($"{option}: {error}");
    }
}
