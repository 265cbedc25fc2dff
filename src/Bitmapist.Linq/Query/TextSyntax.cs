using System.Text.RegularExpressions;

namespace Bitmapist.Linq.Query;

/// <summary>How names and strings are written in the text query language, shared by every printer.</summary>
internal static partial class TextSyntax
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "xor", "not", "users", "all", "during", "count", "ids", "in", "percent", "of",
        "cohort", "then", "by", "rows", "cols", "from", "explain", "events", "let", "limit", "after",
        "counts", "first", "since", "unbounded", "key", "year", "month", "week", "day", "hour", "unique",
    };

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
