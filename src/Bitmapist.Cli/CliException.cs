namespace Bitmapist.Cli;

/// <summary>A command that cannot run as given; its message is the one sentence the user sees.</summary>
internal sealed class CliException(string message, int exitCode = Cli.Usage) : Exception(message)
{
    /// <summary><see cref="Cli.Usage"/> for a bad command line, <see cref="Cli.Failed"/> for a valid one that failed.</summary>
    public int ExitCode { get; } = exitCode;
}
