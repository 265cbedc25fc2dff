using System.Globalization;
using Bitmapist.Linq.Statements;

namespace Bitmapist.Cli.Rendering;

/// <summary>
/// Prints statement results (<see cref="StatementExecutor"/>) on stdout in one output format: one subclass per
/// format, each rendering every result type, so the commands, <c>query</c> and piped scripts print alike. A new
/// format is a subclass and its <see cref="OutputFormat"/> value with its case in <see cref="OutputFormats.Renderer"/>; a new statement
/// whose result is a <see cref="TableResult"/> needs no case at all (others need one in each subclass). One renderer prints one run's results, in order.
/// </summary>
internal abstract class ResultRenderer(TextWriter stdout)
{
    /// <summary>Where results go.</summary>
    protected Output Output { get; } = new(stdout);

    /// <summary>The renderer of <paramref name="format"/>, writing to <paramref name="stdout"/>.</summary>
    public static ResultRenderer For(OutputFormat format, TextWriter stdout) => OutputFormats.Renderer(format, stdout);

    /// <summary>Prints one result (the ids of an <see cref="IdsResult"/> as they stream in).</summary>
    public abstract Task RenderAsync(StatementResult result, CancellationToken ct);

    /// <summary>How a percentage prints in tables and CSV: at most two decimals.</summary>
    public static string Percent(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>How tables print a percentage of an empty whole (the mark of an empty cohort cell).</summary>
    public const string Undefined = ".";

    /// <summary>The error for a result this format has no case for: a new statement missed its rendering.</summary>
    protected static InvalidOperationException Unrendered(StatementResult result) =>
        new($"The {result.GetType().Name} of this statement has no rendering in this output format: add its case to the format's renderer (docs/EXTENDING.md).");
}
