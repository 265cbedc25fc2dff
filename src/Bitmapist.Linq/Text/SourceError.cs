using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>A <see cref="QuerySyntaxException"/> at a place in the source: the line, the column and the line's text for the caret.</summary>
internal static class SourceError
{
    /// <summary>An error at a parser location.</summary>
    public static QuerySyntaxException At(string source, SourceLocation at, string problem)
    {
        // Columns count characters (Irony's count a tab as several columns).
        var position = Math.Min(at.Position, source.Length);
        var lineStart = position == 0 ? 0 : source.LastIndexOf('\n', position - 1) + 1;
        return At(source, at.Line + 1, position - lineStart + 1, problem);
    }

    /// <summary>An error at a 1-based line and column.</summary>
    public static QuerySyntaxException At(string source, int line, int column, string problem)
    {
        var lines = source.Split('\n');
        var text = line - 1 < lines.Length ? lines[line - 1].TrimEnd('\r') : "";
        return new QuerySyntaxException(problem, line, column, text);
    }
}
