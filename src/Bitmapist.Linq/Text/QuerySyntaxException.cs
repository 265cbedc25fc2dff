namespace Bitmapist.Linq.Text;

/// <summary>
/// A text query that does not parse: where (1-based <see cref="Line"/> and <see cref="Column"/>), the source line
/// with a caret under the problem, and what was expected in words.
/// </summary>
public sealed class QuerySyntaxException : BitmapistQueryException
{
    internal QuerySyntaxException(string problem, int line, int column, string sourceLine)
        : base(Render(problem, line, column, sourceLine))
    {
        Problem = problem;
        Line = line;
        Column = column;
        SourceLine = sourceLine;
    }

    /// <summary>What is wrong, without the position (<c>expected ')' or ',', found the end of the query</c>).</summary>
    public string Problem { get; }

    /// <summary>The line of the problem, from 1.</summary>
    public int Line { get; }

    /// <summary>The column of the problem, from 1.</summary>
    public int Column { get; }

    /// <summary>The source line that holds the problem.</summary>
    public string SourceLine { get; }

    /// <summary>
    /// The source line and, under it, a caret at <see cref="Column"/> (tabs kept so the caret lines up). A long
    /// line is cut to <see cref="Window"/> characters each side of the caret, marked with "...", and control
    /// characters show as '?', so a huge or binary query gives a short message that cannot drive the terminal.
    /// </summary>
    public string Caret => CaretLines(Column, SourceLine);

    /// <summary>How many characters of the source line the caret display keeps on each side of the column.</summary>
    public const int Window = 60;

    private static string CaretLines(int column, string sourceLine)
    {
        var index = Math.Clamp(column - 1, 0, sourceLine.Length);
        var start = Math.Max(0, index - Window);
        var end = Math.Min(sourceLine.Length, index + Window);
        var before = start > 0 ? "..." : "";
        var shown = Printable.OneForOne(sourceLine[start..end]);
        var pad = new char[before.Length + index - start];
        for (var i = 0; i < pad.Length; i++)
            pad[i] = i >= before.Length && shown[i - before.Length] == '\t' ? '\t' : ' ';
        return before + shown + (end < sourceLine.Length ? "..." : "") + "\n" + new string(pad) + "^";
    }

    private static string Render(string problem, int line, int column, string sourceLine) =>
        $"Line {line}, column {column}: {problem}\n{CaretLines(column, sourceLine)}";
}
