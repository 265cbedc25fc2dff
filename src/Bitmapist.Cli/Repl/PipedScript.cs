using System.Text;
using Bitmapist.Cli.Commands;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Repl;

/// <summary>
/// Statements piped to the REPL, with the REPL's own commands as in the interactive REPL: a line that is only
/// <c>help</c> (or <c>?</c>), perhaps with a comment, prints the help where it stands, a line that is only <c>exit</c> or <c>quit</c> ends the
/// script there (what follows is neither parsed nor run). A command word is one only where a statement may start:
/// inside an unfinished statement it is part of that statement. Everything up to the end (or <c>exit</c>) is parsed
/// before anything runs, so a syntax error runs nothing.
/// </summary>
internal static class PipedScript
{
    /// <summary>The steps of <paramref name="source"/>.</summary>
    /// <exception cref="QuerySyntaxException">A statement does not parse; its line and column are those of the whole input.</exception>
    public static IReadOnlyList<ScriptStep> Parse(string source)
    {
        var steps = new List<ScriptStep>();
        var names = new Dictionary<string, SetExpr>(StringComparer.Ordinal);
        var lines = source.Split('\n');
        var start = 0; // the first line of the statements not parsed yet
        for (var i = 0; i < lines.Length; i++)
        {
            var word = WithoutComment(lines[i]).Trim().TrimEnd(';').Trim().ToLowerInvariant();
            if (word is not ("help" or "?" or "exit" or "quit")) continue;
            if (!TryAdd(lines, start, i, names, steps)) continue; // inside an unfinished statement: not a command
            start = i + 1;
            if (word is "exit" or "quit") return steps;
            steps.Add(new ScriptStep(null, new HelpResult(Help())));
        }
        TryAdd(lines, start, lines.Length, names, steps, last: true);
        return steps;
    }

    /// <summary>The line up to a comment (<c>--</c> or <c>#</c>, as in the language), so <c>exit # done</c> is a command.</summary>
    private static string WithoutComment(string line)
    {
        var end = line.Length;
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        var dashes = line.IndexOf("--", StringComparison.Ordinal);
        if (hash >= 0) end = hash;
        if (dashes >= 0 && dashes < end) end = dashes;
        return line[..end];
    }

    /// <summary>
    /// Parses lines [<paramref name="from"/>, <paramref name="to"/>) and adds their statements; false (nothing added)
    /// when they end inside an unfinished statement and more lines may complete it.
    /// </summary>
    private static bool TryAdd(string[] lines, int from, int to, Dictionary<string, SetExpr> names, List<ScriptStep> steps, bool last = false)
    {
        // Blank lines in front keep the line numbers of syntax errors those of the whole input.
        var text = new StringBuilder().Append('\n', from).AppendJoin('\n', lines[from..to]).ToString();
        IReadOnlyList<TextStatement> statements;
        try
        {
            statements = TextQuery.Parse(text, names);
        }
        catch (QuerySyntaxException e) when (!last && ReplSession.IsIncomplete(e))
        {
            return false;
        }
        foreach (var statement in statements)
        {
            if (statement is LetStatement let) names[let.Name] = let.Set;
            steps.Add(new ScriptStep(statement, null));
        }
        return true;
    }

    /// <summary>The REPL's help as plain text: statements with examples, then sets and operators.</summary>
    internal static string Help()
    {
        var width = ReplSession.HelpRows.Max(r => r.Statement.Length) + 2;
        var help = new StringBuilder("statements (grammar/README.md has them all):\n");
        foreach (var (statement, example) in ReplSession.HelpRows)
            help.Append("  ").Append(statement.PadRight(width)).Append(example).Append('\n');
        return help.Append(ReplSession.SetsHelp).Append('\n').ToString();
    }
}
