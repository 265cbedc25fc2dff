using Bitmapist.Cli.Rendering;

namespace Bitmapist.Cli;

/// <summary>How results are printed (<c>--format</c>, the value's name in lower case).</summary>
internal enum OutputFormat
{
    /// <summary>For people: values under a header naming them, plain lists, documents as they are (<see cref="TableRenderer"/>).</summary>
    Table,
    /// <summary>One JSON object per statement (<see cref="JsonRenderer"/>).</summary>
    Json,
    /// <summary>RFC 4180 CSV, a header row per statement (<see cref="CsvRenderer"/>).</summary>
    Csv,
}

/// <summary>The formats' names for <c>--format</c> and each one's renderer: a new format is a value above and a case here.</summary>
internal static class OutputFormats
{
    /// <summary>The names <c>--format</c> accepts.</summary>
    public static string[] Names { get; } = [.. Enum.GetNames<OutputFormat>().Select(n => n.ToLowerInvariant())];

    /// <summary>The format named <paramref name="name"/> (one of <see cref="Names"/>).</summary>
    public static OutputFormat Parse(string name) => Enum.Parse<OutputFormat>(name, ignoreCase: true);

    /// <summary>The renderer of <paramref name="format"/>, writing to <paramref name="stdout"/>.</summary>
    public static ResultRenderer Renderer(OutputFormat format, TextWriter stdout) => format switch
    {
        OutputFormat.Json => new JsonRenderer(stdout),
        OutputFormat.Csv => new CsvRenderer(stdout),
        OutputFormat.Table => new TableRenderer(stdout),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "No renderer for this output format: add its case to OutputFormats.Renderer."),
    };
}
