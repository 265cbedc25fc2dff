using System.Text.RegularExpressions;
using Bitmapist.Grammar;

namespace Bitmapist.Cli.Repl;

/// <summary>One way to finish the word at the cursor: the text that replaces the word.</summary>
internal sealed record Completion(string Display, string Insert);

/// <summary>Completes the word before the cursor with keywords, function names, <c>let</c> names and event names.</summary>
internal sealed partial class Completer(Func<string, CancellationToken, Task<IReadOnlyList<string>>> events, Func<IEnumerable<string>> names)
{
    /// <summary>The language's keywords that may come anywhere (not the functions, nor a cohort's words), and the REPL's own commands.</summary>
    public static readonly IReadOnlyList<string> Keywords =
    [
        .. QueryGrammar.Words(k => k.StartsStatement || k.Kind is not (KeywordKind.PeriodFunction or KeywordKind.Function or KeywordKind.CohortPart)),
        .. Repl.ReplSession.Commands,
    ];

    /// <summary>
    /// The words only the table statements have (<c>then</c>, <c>by</c>, <c>rows</c>, <c>from</c>, a trend's <c>window</c>, a
    /// funnel's <c>within</c>...): offered only inside a cohort, trend or funnel.
    /// </summary>
    public static readonly IReadOnlyList<string> CohortWords =
        QueryGrammar.Words(k => k.Kind == KeywordKind.CohortPart && !k.StartsStatement);

    /// <summary>
    /// The start of the word that ends at <paramref name="cursor"/>: an open quote's position when the cursor is inside
    /// a quoted name, else where the bare name before the cursor starts.
    /// </summary>
    public static int WordStart(string line, int cursor)
    {
        int? open = null;
        var quote = '\0';
        for (var j = 0; j < cursor; j++)
        {
            var c = line[j];
            if (open is null)
            {
                if (c is '\'' or '"') (open, quote) = (j, c);
                else if (c == '#' || (c == '-' && j + 1 < cursor && line[j + 1] == '-')) return cursor; // a comment
            }
            else if (c == quote) open = null; // a doubled quote closes and reopens: the same in the end
        }
        if (open is { } start) return start;
        var i = cursor;
        while (i > 0 && IsWordChar(line[i - 1])) i--;
        return i;
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or ':' or '.';

    /// <summary>The candidates for the word <paramref name="word"/>, sorted, as at the start of a statement.</summary>
    public Task<IReadOnlyList<Completion>> CompleteAsync(string word, CancellationToken ct) => CompleteAsync("", word, ct);

    /// <summary>
    /// The candidates for the word <paramref name="word"/>, sorted; <paramref name="before"/> is the line before it,
    /// which decides whether a table statement's words fit (only after <c>cohort</c>, <c>trend</c> or <c>funnel</c> in the same statement).
    /// </summary>
    public async Task<IReadOnlyList<Completion>> CompleteAsync(string before, string word, CancellationToken ct)
    {
        var quote = word.Length > 0 && word[0] is '\'' or '"' ? word[0] : (char?)null;
        var stem = quote is null ? word : word[1..];
        var result = new List<Completion>();
        if (quote is null && stem.Length > 0 && (char.IsAsciiLetter(stem[0]) || stem[0] == '_'))
        {
            var keywords = InCohort(before) ? Keywords.Concat(CohortWords) : Keywords;
            foreach (var k in keywords.Concat(QueryGrammar.FunctionNames).Concat(names()))
                if (k.StartsWith(stem, StringComparison.OrdinalIgnoreCase) && result.All(r => r.Display != k))
                    result.Add(new Completion(k, QueryGrammar.FunctionNames.Contains(k) ? k + "(" : keywords.Contains(k) ? k + " " : k));
        }
        if (quote is not null || stem.Length == 0 || char.IsAsciiLetter(stem[0]) || stem[0] == '_')
        {
            IReadOnlyList<string> found;
            try
            {
                found = await events(stem, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                found = []; // a store that cannot list events completes nothing
            }
            foreach (var e in found)
            {
                if (result.Any(r => r.Display == e)) continue;
                var insert = quote is { } q ? q + e.Replace(q.ToString(), new string(q, 2), StringComparison.Ordinal) + q : Quote(e);
                result.Add(new Completion(e, insert));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Display, b.Display));
        return result;
    }

    /// <summary>True when the statement the cursor is in (after the last <c>;</c>) is a cohort, a trend or a funnel.</summary>
    private static bool InCohort(string before) => CohortStatement().IsMatch(before[(before.LastIndexOf(';') + 1)..]);

    /// <summary>An event name as it is written: bare when it can be (not a keyword of the language or a REPL command), else quoted.</summary>
    public static string Quote(string name) =>
        BareName().IsMatch(name) && QueryGrammar.Find(name) is null && !Repl.ReplSession.Commands.Contains(name, StringComparer.OrdinalIgnoreCase)
            ? name
            : "'" + name.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The longest text every candidate starts with (case-insensitively for keywords).</summary>
    public static string CommonPrefix(IReadOnlyList<string> items)
    {
        if (items.Count == 0) return "";
        var prefix = items[0];
        foreach (var s in items.Skip(1))
        {
            var n = 0;
            while (n < prefix.Length && n < s.Length && prefix[n] == s[n]) n++;
            prefix = prefix[..n];
        }
        return prefix;
    }

    [GeneratedRegex(@"(^|[^A-Za-z0-9_:.'""])(cohort|trend|funnel)($|[^A-Za-z0-9_:.'""])", RegexOptions.IgnoreCase)]
    private static partial Regex CohortStatement();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_:.]*$")]
    private static partial Regex BareName();
}
