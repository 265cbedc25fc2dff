using System.Diagnostics;

namespace Bitmapist.Linq.Reliability.BadInput;

/// <summary>One in-process run of the <c>bitmapist</c> command line (its entry point, <c>Cli.RunAsync</c>), timed.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Err, TimeSpan Elapsed)
{
    public static async Task<CliRun> Of(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var watch = Stopwatch.StartNew();
        // An exception out of RunAsync is what a crash of the process would be: it fails the test.
        var code = await Cli.Cli.RunAsync(args, stdout, stderr);
        return new CliRun(code, stdout.ToString(), stderr.ToString(), watch.Elapsed);
    }

    /// <summary>
    /// What a clean failure or success looks like: a documented exit code, and no .NET internals on stderr.
    /// <paramref name="import"/>: the run is an import, which also exits with <c>Cli.Skipped</c> when it skipped bad lines.
    /// </summary>
    public string? Problem(bool import = false)
    {
        if (ExitCode is not (Cli.Cli.Ok or Cli.Cli.Failed or Cli.Cli.Usage) && !(import && ExitCode == Cli.Cli.Skipped)) return $"exit code {ExitCode}";
        if (Err.Contains("   at ", StringComparison.Ordinal)) return "a stack trace on stderr";
        if (Err.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase)) return "an unhandled exception on stderr";
        if (Err.Contains("Exception:", StringComparison.Ordinal) && !Err.Contains("Internal error", StringComparison.Ordinal)) return "a raw .NET exception on stderr";
        return null;
    }
}
