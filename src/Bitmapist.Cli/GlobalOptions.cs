using System.CommandLine;
using Bitmapist.Cli.Rendering;
using Bitmapist.Linq.Model;

namespace Bitmapist.Cli;

/// <summary>The parsed global options of one run.</summary>
/// <param name="Redis">StackExchange.Redis configuration string, or null.</param>
/// <param name="Data">Embedded store file, or null.</param>
/// <param name="Prefix">Key prefix.</param>
/// <param name="Now">The pinned "now", or null for the system clock.</param>
/// <param name="Format">Output format.</param>
internal sealed record CliSettings(string? Redis, string? Data, string Prefix, DateTimeOffset? Now, OutputFormat Format)
{
    /// <summary>The clock stores run on: fixed at <see cref="Now"/> when given.</summary>
    public TimeProvider Clock => Now is { } now ? new FixedTimeProvider(now) : TimeProvider.System;
}

/// <summary>
/// The options every command accepts (before or after the command name): where the data is, the key prefix,
/// the pinned "now" and the output format.
/// </summary>
internal sealed class GlobalOptions
{
    public Option<string?> Redis { get; } = new("--redis")
    {
        Description = "Use the Redis server at this StackExchange.Redis connection string (e.g. localhost:6379).",
        HelpName = "connection",
        Recursive = true,
    };

    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Use the embedded store in this file. Without --redis or --data: the built-in sample data, in memory.",
        HelpName = "file",
        Recursive = true,
    };

    public Option<string> Prefix { get; } = new("--prefix")
    {
        Description = "Key prefix of the bitmapist keys.",
        HelpName = "prefix",
        DefaultValueFactory = _ => KeyScheme.BitmapistPrefix,
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
        root.Options.Add(Prefix);
        root.Options.Add(Now);
        root.Options.Add(Format);
        root.Options.Add(Verbose);
    }

    /// <summary>The settings of <paramref name="parse"/>, validated.</summary>
    public CliSettings Read(ParseResult parse)
    {
        var redis = parse.GetValue(Redis);
        var data = parse.GetValue(Data);
        if (redis is not null && data is not null)
            throw new CliException("Give either --redis or --data, not both.");
        if (redis is { Length: 0 }) throw new CliException("--redis needs a connection string, e.g. localhost:6379.");
        if (data is { Length: 0 }) throw new CliException("--data needs a file name.");
        DateTimeOffset? now = parse.GetValue(Now) is { } text
            ? new DateTimeOffset(DateTime.SpecifyKind(Parsing.Instant(text, "--now"), DateTimeKind.Utc))
            : null;
        var format = OutputFormats.Parse(parse.GetValue(Format) ?? "table");
        return new CliSettings(redis, data, parse.GetValue(Prefix) ?? KeyScheme.BitmapistPrefix, now, format);
    }
}
