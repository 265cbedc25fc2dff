namespace Bitmapist.Cli;

/// <summary>The writers of one run: results go to <see cref="Out"/>, notes and errors to <see cref="Err"/>.</summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Err { get; } = stderr;

    /// <summary>The environment variables and config file the run reads its defaults from (none in process unless given).</summary>
    public Config.CliEnvironment Environment { get; init; } = Config.CliEnvironment.None;

    /// <summary>Writes one line <c>bitmapist: message</c> to stderr (line breaks folded, so an error stays one line).</summary>
    public void Error(string message) => Err.WriteLine("bitmapist: " + OneLine(message));

    /// <summary>Whether <c>--verbose</c> was given: <see cref="Fail"/> then prints an error's causes too.</summary>
    public bool Verbose { get; set; }

    /// <summary>
    /// Reports a failure: <paramref name="message"/> (the one sentence made from <paramref name="e"/>) and, with
    /// <c>--verbose</c>, one line per inner exception: the detail the sentence leaves out, such as the Redis
    /// client's connection diagnostics.
    /// </summary>
    public void Fail(Exception e, string message)
    {
        Error(message);
        if (!Verbose) return;
        for (var cause = e.InnerException; cause is not null; cause = cause.InnerException)
        {
            var text = OneLine(cause.Message);
            if (message.Contains(text, StringComparison.Ordinal)) continue; // already said in the sentence
            Err.WriteLine($"bitmapist:   caused by {cause.GetType().FullName}: {text}");
        }
    }

    /// <summary>Same as <see cref="Error"/>: notes and errors share stderr, never stdout.</summary>
    public void Note(string message) => Error(message);

    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
