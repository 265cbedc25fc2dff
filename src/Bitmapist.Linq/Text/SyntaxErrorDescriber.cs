using System.Text.RegularExpressions;
using Bitmapist.Grammar;
using Bitmapist.Linq.Query;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Words a syntax error for a person: what the parser expected (in words, not terminal names), what it found,
/// what the scanner could not read (an unclosed quote, a non-ASCII name), and which keyword a misspelt name
/// probably stood for. Every keyword it names or groups comes from <see cref="QueryGrammar.Keywords"/>.
/// </summary>
internal static partial class SyntaxErrorDescriber
{
    private static QueryGrammar Grammar => ParseDriver.Grammar;

    /// <summary>The first error of a tree that has errors, with line, column and caret.</summary>
    public static QuerySyntaxException Describe(string source, ParseTree tree)
    {
        var message = tree.ParserMessages.First(m => m.Level == Irony.ErrorLevel.Error);
        var at = message.Location;
        var found = Found(source, at.Position);
        if (!message.Message.StartsWith("Syntax error", StringComparison.Ordinal) || message.ParserState is null)
            return SourceError.At(source, at, ScannerProblem(source, at.Position, found));
        var previous = tree.Tokens.LastOrDefault(t => t.Location.Position < at.Position && t.Category == TokenCategory.Content);
        // At the end of the query, point just after the last token rather than at a blank line below it.
        if (found == "the end of the query" && previous is not null)
            at = new SourceLocation(previous.Location.Position + previous.Length, previous.Location.Line, previous.Location.Column + previous.Length);
        var expected = Expected(message.ParserState.ExpectedTerminals, previous, tree.Tokens, at.Position);
        return SourceError.At(source, at, $"expected {expected}, found {found}{QuoteHint(expected, found) ?? KeywordHint(tree.Tokens, at.Position, found)}");
    }

    /// <summary>
    /// Where an event name was expected and a keyword of the language stands (<c>describe percent</c>,
    /// <c>month(count)</c>): how to write an event of that name. Null otherwise.
    /// </summary>
    private static string? QuoteHint(string expected, string found)
    {
        if (!expected.Contains("an event name", StringComparison.Ordinal)) return null;
        if (found.Length <= 2 || found[0] != '\'' || QueryGrammar.Find(found[1..^1]) is not { } keyword) return null;
        return $" ('{keyword.Word}' is a word of the language: write an event of that name in quotes, {TextSyntax.Quote(found[1..^1])})";
    }

    /// <summary>What the scanner could not read, in words: an unclosed quote, a name with non-ASCII letters, a stray character.</summary>
    private static string ScannerProblem(string source, int position, string found)
    {
        if (found == "the end of the query") return "unexpected end of the query";
        var ch = position < source.Length ? source[position] : '\0';
        if (ch is '\'' or '"')
            return $"unterminated quoted name: the {ch} that starts here has no closing {ch}";
        if (char.IsLetter(ch))
        {
            var end = position;
            while (end < source.Length && (char.IsLetterOrDigit(source[end]) || source[end] is '_' or ':' or '.' or '-')) end++;
            return $"unexpected {found}: a name without quotes is ASCII letters, digits and _ : . only; quote it: '{Printable.Escape(source[position..end])}'";
        }
        return $"unexpected {found}";
    }

    /// <summary>
    /// Keywords a misspelt name is likely to be: the words inside a statement (a typo there is read as an event
    /// name or a new statement), tried in the table's order.
    /// </summary>
    private static readonly IReadOnlyList<string> HintWords =
        QueryGrammar.Words(k => k.Kind is KeywordKind.Part or KeywordKind.CohortPart or KeywordKind.Modifier);

    /// <summary>
    /// " (did you mean 'limit'?)" when a name before the error is one edit or two away from a word of the grammar:
    /// <c>ids month(active) limt 5</c> reads 'limt' as a new statement, and the error lands further on.
    /// </summary>
    private static string KeywordHint(TokenList tokens, int position, string found)
    {
        // The word the parser stopped at (not in the token list), else the last name read before it.
        var word = found.Length > 2 && found[0] == '\'' && char.IsAsciiLetter(found[1]) ? found[1..^1] : null;
        for (var i = tokens.Count - 1; word is null && i >= 0; i--)
        {
            var t = tokens[i];
            if (t.Location.Position >= position || t.Terminal != Grammar.Name) continue;
            if (i > 0 && tokens[i - 1].Text is "(" or ",") return ""; // an event name in a function call
            word = t.Text;
        }
        if (word is null) return "";
        var lower = word.ToLowerInvariant();
        var best = HintWords.Where(w => w != lower).MinBy(w => Spelling.Distance(lower, w));
        return best is not null && Spelling.Distance(lower, best) <= (best.Length <= 4 ? 1 : 2) ? $" (did you mean '{best}' instead of '{word}'?)" : "";
    }

    private static string Found(string source, int position)
    {
        var i = position;
        while (i < source.Length && char.IsWhiteSpace(source[i])) i++;
        if (i >= source.Length) return "the end of the query";
        // A quoted name or id is shown with its quotes, not as one stray quote.
        if (QuotedText().Match(source, i) is { Success: true } q) return "the quoted " + Printable.Escape(q.Value);
        var m = TokenText().Match(source, i);
        return $"'{Printable.Escape(m.Success && m.Length > 0 ? m.Value : source[i].ToString())}'";
    }

    [GeneratedRegex(@"\G([A-Za-z_][A-Za-z0-9_:.]*|[+-]?[0-9][0-9A-Za-z:-]*|\.\.|.)")]
    private static partial Regex TokenText();

    [GeneratedRegex(@"\G('([^']|'')*'|""([^""]|"""")*"")")]
    private static partial Regex QuotedText();

    /// <summary>What may start a set: its keywords, and the punctuation of a literal set and of grouping.</summary>
    private static readonly HashSet<string> SetStarts = new(
        [
            .. QueryGrammar.Words(k => k.Kind is KeywordKind.PeriodFunction or KeywordKind.Function or KeywordKind.Set or KeywordKind.Modifier),
            .. QueryGrammar.PrefixOperators, "{", "(",
        ],
        StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> Operators = new(QueryGrammar.BinaryOperators, StringComparer.OrdinalIgnoreCase);

    private static readonly HashSet<string> Statements = new(QueryGrammar.StatementKeywords, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How an expected keyword (or symbol) reads in "expected ...", or null when it is said by a phrase for a whole
    /// group: every statement keyword by "a statement", and inside a set's place every word that starts one by
    /// "a set like month(active)". <paramref name="set"/>: a set may come next; <paramref name="units"/>: a period
    /// function may come next (not as the start of a set).
    /// </summary>
    internal static string? Phrase(string keyTerm, bool set, bool units)
    {
        if (set && SetStarts.Contains(keyTerm)) return null;
        if (Statements.Contains(keyTerm)) return null;
        if (units && QueryGrammar.PeriodFunctions.Contains(keyTerm, StringComparer.OrdinalIgnoreCase)) return "a period function (year, month, week, day or hour)";
        if (Operators.Contains(keyTerm)) return "an operator (and, or, xor, -)";
        return $"'{keyTerm}'";
    }

    /// <summary>The expected terminals of the failing state, in words.</summary>
    private static string Expected(TerminalSet terminals, Token? previous, TokenList tokens, int position)
    {
        var words = new List<string>();
        void Add(string w) { if (!words.Contains(w)) words.Add(w); }
        var texts = terminals.OfType<KeyTerm>().Select(k => k.Text).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var set = texts.Contains("(") && texts.Contains("{") && texts.Contains("users");
        var units = !set && texts.Contains("year") && texts.Contains("hour");
        if (texts.Overlaps(Statements)) Add("a statement");
        if (set) Add("a set like month(active)");
        foreach (var t in terminals.OrderBy(t => t is KeyTerm ? 1 : 0))
        {
            if (t is KeyTerm k)
            {
                if (Phrase(k.Text, set, units) is { } phrase) Add(phrase);
            }
            else if (t == Grammar.Name) { if (!set) Add(previous?.Text == "let" ? "a name" : "an event name"); }
            else if (t == Grammar.Quoted)
            {
                if (InLiteral(tokens, position)) Add("an external id like 'alice'");
                else if (!set && !terminals.Contains(Grammar.Name)) Add("a quoted key like 'trackist_active_2026-11'");
            }
            else if (t == Grammar.Parameter) { if (!set) Add("a parameter like @name"); }
            else if (t == Grammar.Number) Add(NumberWords(previous, tokens, position));
            else if (t == Grammar.Eof) Add("the end of the query");
        }
        // A statement may always follow a complete one: say "a statement" only when little else fits.
        if (words.Count > 3 && words.Remove("a statement")) { }
        return words.Count switch
        {
            0 => "something else",
            1 => words[0],
            _ => string.Join(", ", words[..^1]) + " or " + words[^1],
        };
    }

    private static string NumberWords(Token? previous, TokenList tokens, int position)
    {
        switch (previous?.Text.ToLowerInvariant())
        {
            case "limit": return "a number like 10";
            case "after": return "a user id like 42";
            case "during": return "a date like 2026-11-28";
            case "..": return "a date like 2026-11-28 or an offset like 0";
        }
        // Inside { } a number is an id; inside a function's ( ) it is a date or an offset.
        return Innermost(tokens, position) == "(" ? "a date like 2026-11-28 or an offset like -1" : "a user id like 42";
    }

    /// <summary>Whether <paramref name="position"/> is inside a literal set's braces.</summary>
    private static bool InLiteral(TokenList tokens, int position) => Innermost(tokens, position) == "{";

    /// <summary>The innermost bracket open at <paramref name="position"/>, <c>(</c> or <c>{</c>, or null.</summary>
    private static string? Innermost(TokenList tokens, int position)
    {
        var depth = 0;
        foreach (var t in tokens.Where(t => t.Location.Position < position).Reverse())
        {
            if (t.Text is ")" or "}") depth++;
            else if (t.Text is "(" or "{")
            {
                if (depth-- > 0) continue;
                return t.Text;
            }
        }
        return null;
    }
}
