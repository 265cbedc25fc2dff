namespace Bitmapist.Cli;

/// <summary>The writers of one run: results go to <see cref="Out"/>, notes and errors to <see cref="Err"/>.</summary>
internal sealed class CliContext(TextWriter stdout, TextWriter stderr)
{
    public TextWriter Out { get; } = stdout;

    public TextWriter Err { get; } = stderr;

    /// <summary>Writes one line <c>bitmapist: message</c> to stderr (line breaks folded, so an error stays one line).</summary>
    public void Error(string message) => Err.WriteLine("bitmapist: " + OneLine(message));

    /// <summary>Same as <see cref="Error"/>: notes and errors share stderr, never stdout.</summary>
    public void Note(string message) => Error(message);

    internal static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
