namespace Bitmapist.Cli.Repl;

/// <summary>
/// <c>STATEMENT &gt; FILE</c> in the REPL: the statement's whole result goes to a file instead of the screen (all the
/// ids of <c>ids SET &gt; out.txt</c>, one a line). The language has no <c>&gt;</c>, so the last one outside quotes and
/// comments ends the statement; the file name may be quoted (<c>&gt; 'my ids.txt'</c>).
/// </summary>
/// <param name="Statement">The text before <c>&gt;</c>.</param>
/// <param name="Path">The file, as written (unquoted).</param>
internal sealed record Redirect(string Statement, string Path)
{
    /// <summary>
    /// Splits <paramref name="source"/> at its redirect; null when it has none. An empty file name is kept as empty, for
    /// the caller to refuse with a message.
    /// </summary>
    public static Redirect? Split(string source)
    {
        var at = -1;
        var comment = -1; // the first comment after the '>', which the file name ends at
        var quote = '\0';
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (quote != '\0')
            {
                if (c == quote) quote = '\0'; // a doubled quote closes and reopens: the same in the end
                continue;
            }
            if (c is '\'' or '"') quote = c;
            else if (c == '#' || (c == '-' && i + 1 < source.Length && source[i + 1] == '-'))
            {
                // A comment runs to the end of its line.
                if (at >= 0 && comment < at) comment = i;
                var end = source.IndexOf('\n', i);
                if (end < 0) break;
                i = end;
            }
            else if (c == '>')
            {
                at = i;
                comment = -1;
            }
        }
        if (at < 0) return null;
        var path = source[(at + 1)..(comment > at ? comment : source.Length)].Trim().TrimEnd(';').Trim();
        if (path.Length >= 2 && path[0] is '\'' or '"' && path[^1] == path[0])
            path = path[1..^1].Replace(new string(path[0], 2), path[0].ToString(), StringComparison.Ordinal);
        return new Redirect(source[..at], path);
    }

    /// <summary>The output format a file's name asks for: <c>.json</c> and <c>.csv</c> by their extension, else the table format (ids one a line).</summary>
    public OutputFormat Format => System.IO.Path.GetExtension(Path).ToLowerInvariant() switch
    {
        ".json" => OutputFormat.Json,
        ".csv" => OutputFormat.Csv,
        _ => OutputFormat.Table,
    };
}
