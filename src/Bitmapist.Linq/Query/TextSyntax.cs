using System.Text.RegularExpressions;
using Bitmapist.Grammar;

namespace Bitmapist.Linq.Query;

/// <summary>How names and strings are written in the text query language, shared by every printer.</summary>
internal static partial class TextSyntax
{
    /// <summary>The language's keywords (<see cref="QueryGrammar.Keywords"/>): an event of that name is printed quoted.</summary>
    private static readonly HashSet<string> Keywords = new(QueryGrammar.Words(_ => true), StringComparer.OrdinalIgnoreCase);

    /// <summary>An event name, bare when it is a plain word, else single-quoted.</summary>
    public static string Name(string name) =>
        BareName().IsMatch(name) && !Keywords.Contains(name) ? name : Quote(name);

    /// <summary>A single-quoted string; a quote inside is doubled.</summary>
    public static string Quote(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string ParameterName(string name) =>
        BareName().IsMatch(name) ? name : throw new ArgumentException($"'{name}' is not a valid parameter name: use letters, digits and _.", nameof(name));

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_:.]*$")]
    private static partial Regex BareName();
}
