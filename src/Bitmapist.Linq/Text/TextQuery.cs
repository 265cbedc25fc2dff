using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Bitmapist.Grammar;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Parses the text query language (<c>grammar/README.md</c>) into the query model. Thread-safe: the grammar's
/// language data is built once and shared; every parse has its own parser.
/// </summary>
public static partial class TextQuery
{
    private static readonly QueryGrammar Grammar = new();
    private static readonly LanguageData Language = new(Grammar);

    /// <summary>The grammar's construction errors (none: a test keeps it so).</summary>
    internal static LanguageData LanguageData => Language;

    /// <summary>
    /// Parses statements separated by <c>;</c> or new lines. Names bound by <c>let</c> are visible to later
    /// statements; <paramref name="names"/> holds names bound before (a REPL session's).
    /// </summary>
    /// <exception cref="QuerySyntaxException">The text does not parse.</exception>
    public static IReadOnlyList<TextStatement> Parse(string source, IReadOnlyDictionary<string, SetExpr>? names = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var walker = new Walker(source, ParseTree(source), names);
        return walker.Program();
    }

    /// <summary>Parses one set expression: <c>ParseSet(expr.Text) == expr</c> for every expression.</summary>
    /// <exception cref="QuerySyntaxException">The text does not parse or is not a single set.</exception>
    public static SetExpr ParseSet(string source, IReadOnlyDictionary<string, SetExpr>? names = null)
    {
        var statements = Parse(source, names);
        if (statements is [QueryStatement { IsBare: true } bare]) return bare.Query.Set;
        var (line, column) = statements.Count == 0 ? (1, 1) : (statements[0].Line, 1);
        throw Error(source, line, column, statements.Count == 0 ? "expected a set like month(active)" : "expected a single set like month(active), not a statement");
    }

    /// <summary>Deeper nesting than this (parentheses and prefix operators) is refused, so the tree walk never overflows the stack.</summary>
    public const int MaxNesting = 256;

    /// <summary>
    /// The longest text parsed, in characters. Parsing costs about 175 bytes a character (tokens and the parse
    /// tree): 1,000,000 characters parse in about a second and 175 MB, more than any hand-written or generated
    /// query needs; longer text is refused before the parser sees it (grammar/README.md, "Limits").
    /// </summary>
    public const int MaxQueryLength = 1_000_000;

    /// <summary>
    /// The most ids one literal set may list. 100,000 ids are about 700 KB of text; a 1,000,000-id literal took
    /// 1.2 GB to parse. A larger set belongs in the store: mark or import the ids as an event and use that.
    /// </summary>
    public const int MaxLiteralIds = 100_000;

    /// <summary>
    /// The most <c>let</c> statements one text may hold. Each step of a chain nests the next set one level deeper
    /// and the optimizer's work grows with the square of the depth: 1,000 steps plan in well under a second.
    /// </summary>
    public const int MaxLets = 1_000;

    /// <summary>
    /// The most nodes one set may have once every <c>let</c> name in it is replaced by its set. Names are shared
    /// while parsing, but planning walks the set as a tree, so a short chain that uses each name twice
    /// (<c>let x1 = x0 | x0; let x2 = x1 | x1; ...</c>) doubles at each step: 16 steps took 1.4 s and 97 MB,
    /// 24 more than 20 s, 60 the host's memory. 100,000 nodes is far beyond any hand-written query.
    /// </summary>
    public const int MaxExpandedNodes = 100_000;

    private static ParseTree ParseTree(string source)
    {
        if (source.Length > MaxQueryLength)
        {
            var line = 1 + source.AsSpan(0, MaxQueryLength).Count('\n');
            var column = MaxQueryLength - (source.LastIndexOf('\n', MaxQueryLength - 1) + 1) + 1;
            throw Error(source, line, column,
                $"the query is {source.Length} characters long, and at most {MaxQueryLength} are read (it is cut off here); split it into several queries, or keep large id sets in the store (mark or import them as an event)");
        }
        var tree = new Parser(Language).Parse(source);
        CheckUnknownFunctions(source, tree);
        if (tree.HasErrors()) throw SyntaxError(source, tree);
        CheckNesting(source, tree);
        return tree;
    }

    private static void CheckNesting(string source, ParseTree tree)
    {
        // A function's own parentheses (month(...)) are not a level of nesting: only grouping ones count.
        int parentheses = 0, prefix = 0;
        var grouping = new Stack<bool>();
        var tokens = tree.Tokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var t = token.Text;
            if (t == "(")
            {
                var call = i > 0 && QueryGrammar.FunctionNames.Contains(tokens[i - 1].Text.ToLowerInvariant());
                grouping.Push(!call);
                if (!call) parentheses++;
            }
            else if (t == ")")
            {
                if (grouping.TryPop(out var wasGrouping) && wasGrouping) parentheses--;
                prefix = 0;
            }
            else if (t is "!" or "~" || t.Equals("not", StringComparison.OrdinalIgnoreCase)) prefix++;
            else if (token.Terminal is not KeyTerm) prefix = 0;
            if (parentheses + prefix > MaxNesting)
                throw Error(source, token.Location, $"the expression nests more than {MaxNesting} levels deep");
        }
    }

    /// <summary>A name followed by '(' is a misspelt function: say which one was meant.</summary>
    private static void CheckUnknownFunctions(string source, ParseTree tree)
    {
        var tokens = tree.Tokens;
        for (var i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].Terminal != Grammar.Name || tokens[i + 1].Text != "(") continue;
            var name = tokens[i].Text;
            var best = Nearest(name, QueryGrammar.FunctionNames);
            var hint = best is null
                ? $"functions are {string.Join(", ", QueryGrammar.FunctionNames)}"
                : $"did you mean {best}?";
            throw Error(source, tokens[i].Location, $"unknown function '{name}': {hint}");
        }
    }

    internal static string? Nearest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(word.ToLowerInvariant(), c);
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        return bestDistance <= Math.Max(2, word.Length / 2) ? best : null;
    }

    /// <summary>Edits between two words: insertions, deletions, substitutions and swaps of neighbours ("fo" is one from "of").</summary>
    internal static int Distance(string a, string b)
    {
        var before = new int[b.Length + 1];
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = Math.Min(cur[j], before[j - 2] + 1);
            }
            (before, prev, cur) = (prev, cur, before);
        }
        return prev[b.Length];
    }

    private static QuerySyntaxException SyntaxError(string source, ParseTree tree)
    {
        var message = tree.ParserMessages.First(m => m.Level == Irony.ErrorLevel.Error);
        var at = message.Location;
        var found = Found(source, at.Position);
        if (!message.Message.StartsWith("Syntax error", StringComparison.Ordinal) || message.ParserState is null)
            return Error(source, at, ScannerProblem(source, at.Position, found));
        var previous = tree.Tokens.LastOrDefault(t => t.Location.Position < at.Position && t.Category == TokenCategory.Content);
        // At the end of the query, point just after the last token rather than at a blank line below it.
        if (found == "the end of the query" && previous is not null)
            at = new SourceLocation(previous.Location.Position + previous.Length, previous.Location.Line, previous.Location.Column + previous.Length);
        var expected = Expected(message.ParserState.ExpectedTerminals, previous, tree.Tokens, at.Position);
        return Error(source, at, $"expected {expected}, found {found}{KeywordHint(tree.Tokens, at.Position, found)}");
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

    /// <summary>Words of the grammar a misspelt option is likely to be (a name where one of them was meant).</summary>
    private static readonly string[] OptionWords =
        ["limit", "after", "in", "of", "then", "by", "rows", "cols", "from", "since", "unbounded", "counts", "percent", "first", "during", "all"];

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
        var best = OptionWords.Where(w => w != lower).MinBy(w => Distance(lower, w));
        return best is not null && Distance(lower, best) <= (best.Length <= 4 ? 1 : 2) ? $" (did you mean '{best}' instead of '{word}'?)" : "";
    }

    private static string Found(string source, int position)
    {
        var i = position;
        while (i < source.Length && char.IsWhiteSpace(source[i])) i++;
        if (i >= source.Length) return "the end of the query";
        var m = TokenText().Match(source, i);
        return $"'{Printable.Escape(m.Success && m.Length > 0 ? m.Value : source[i].ToString())}'";
    }

    [GeneratedRegex(@"\G([A-Za-z_][A-Za-z0-9_:.]*|[+-]?[0-9][0-9A-Za-z:-]*|\.\.|.)")]
    private static partial Regex TokenText();

    private static readonly HashSet<string> SetStarts = new(StringComparer.OrdinalIgnoreCase)
    {
        "year", "month", "week", "day", "hour", "all", "unique", "key", "{", "users", "(", "not", "!", "~",
    };

    private static readonly HashSet<string> Operators = new(StringComparer.OrdinalIgnoreCase) { "or", "|", "xor", "^", "and", "&", "-" };

    private static readonly HashSet<string> Statements = new(StringComparer.OrdinalIgnoreCase) { "count", "ids", "percent", "cohort", "explain", "events", "let" };

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
                if (set && SetStarts.Contains(k.Text)) continue;
                if (Statements.Contains(k.Text)) continue;
                if (units && k.Text is "year" or "month" or "week" or "day" or "hour") { Add("a period function (year, month, week, day or hour)"); continue; }
                if (Operators.Contains(k.Text)) { Add("an operator (and, or, xor, -)"); continue; }
                if (k.Text == "in") { Add("'in'"); continue; }
                Add($"'{k.Text}'");
            }
            else if (t == Grammar.Name) { if (!set) Add(previous?.Text == "let" ? "a name" : "an event name"); }
            else if (t == Grammar.Quoted)
            {
                if (!set && !terminals.Contains(Grammar.Name)) Add("a quoted key like 'trackist_active_2026-11'");
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
        var depth = 0;
        foreach (var t in tokens.Where(t => t.Location.Position < position).Reverse())
        {
            if (t.Text is ")" or "}") depth++;
            else if (t.Text is "(" or "{")
            {
                if (depth-- > 0) continue;
                return t.Text == "{" ? "a user id like 42" : "a date like 2026-11-28 or an offset like -1";
            }
        }
        return "a user id like 42";
    }

    private static QuerySyntaxException Error(string source, SourceLocation at, string problem)
    {
        // Columns count characters (Irony's count a tab as several columns).
        var position = Math.Min(at.Position, source.Length);
        var lineStart = position == 0 ? 0 : source.LastIndexOf('\n', position - 1) + 1;
        return Error(source, at.Line + 1, position - lineStart + 1, problem);
    }

    private static QuerySyntaxException Error(string source, int line, int column, string problem)
    {
        var lines = source.Split('\n');
        var text = line - 1 < lines.Length ? lines[line - 1].TrimEnd('\r') : "";
        return new QuerySyntaxException(problem, line, column, text);
    }

    /// <summary>Walks a parse tree into statements.</summary>
    private sealed class Walker(string source, ParseTree tree, IReadOnlyDictionary<string, SetExpr>? outer)
    {
        private readonly Dictionary<string, SetExpr> _names = new(outer ?? new Dictionary<string, SetExpr>(), StringComparer.Ordinal);
        private int _lets;

        public IReadOnlyList<TextStatement> Program()
        {
            var result = new List<TextStatement>();
            foreach (var item in tree.Root.ChildNodes)
            {
                // ';' is punctuation and leaves an empty node.
                if (item.ChildNodes.Count == 0 && item.Term != Grammar.EventsStatement) continue;
                var node = item.Term.Name.StartsWith("Unnamed", StringComparison.Ordinal) ? item.ChildNodes[0] : item;
                result.Add(Statement(node) with { Line = node.Span.Location.Line + 1 });
            }
            return result;
        }

        private TextStatement Statement(ParseTreeNode node)
        {
            var c = node.ChildNodes;
            if (node.Term == Grammar.CountStatement) return new QueryStatement(new SetQuery(Set(c[1]), ReadKind.Count));
            if (node.Term == Grammar.BareStatement) return new QueryStatement(new SetQuery(Set(c[0]), ReadKind.Count), IsBare: true);
            if (node.Term == Grammar.InStatement) return new QueryStatement(new SetQuery(Set(c[2]), ReadKind.Contains, Id(c[0])));
            if (node.Term == Grammar.PercentStatement) return new PercentStatement(Set(c[1]), Set(c[3]));
            if (node.Term == Grammar.ExplainStatement) return new ExplainStatement(Statement(c[1]) with { Line = c[1].Span.Location.Line + 1 });
            if (node.Term == Grammar.CohortStatement) return new CohortStatement(Cohort(c));
            if (node.Term == Grammar.EventsStatement) return new EventsStatement(c.Count > 1 ? NameOf(c[1]) : "");
            if (node.Term == Grammar.LetStatement)
            {
                if (++_lets > MaxLets)
                    throw Error(source, node.Span.Location, $"more than {MaxLets} let statements in one query; split the script, or combine steps into one set");
                var name = c[1].Token.Text;
                var set = Set(c[2]);
                _names[name] = set;
                return new LetStatement(name, set);
            }
            if (node.Term == Grammar.IdsStatement)
            {
                int? limit = null;
                uint first = 0;
                var set = Set(c[1]);
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var option in Options(c[2]))
                {
                    var keyword = option.ChildNodes[0].Token;
                    if (!seen.Add(keyword.Text)) throw Error(source, keyword.Location, $"'{keyword.Text.ToLowerInvariant()}' is given twice");
                    if (keyword.Text.Equals("limit", StringComparison.OrdinalIgnoreCase))
                    {
                        var n = option.ChildNodes[1].Token;
                        limit = int.TryParse(n.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0
                            ? l : throw Error(source, n.Location, $"expected a positive number like 10 after limit, found '{n.Text}'");
                        continue;
                    }
                    var after = Id(option.ChildNodes[1]);
                    // No id comes after the largest one: the next page is empty, as a page past the last member is.
                    if (after == uint.MaxValue) set = SetExpr.Empty;
                    else first = after + 1;
                }
                return new QueryStatement(new SetQuery(set, ReadKind.Ids, first), limit);
            }
            throw new InvalidOperationException($"Unexpected statement node {node.Term.Name}.");
        }

        /// <summary>In a cohort's sets, a bare name not bound by let is a template: the event in the row's (or cell's) period.</summary>
        private bool _templates;

        private Cohorts.CohortQuery Cohort(ParseTreeNodeList c)
        {
            _templates = true;
            SetExpr cohort, then;
            try
            {
                (cohort, then) = (Set(c[2]), Set(c[4]));
            }
            finally
            {
                _templates = false;
            }
            var unit = Unit(c[6]);
            if (unit == PeriodUnit.Hour)
                throw Error(source, c[6].Span.Location, "expected day, week, month or year after 'by', found 'hour'");
            var query = new Cohorts.CohortQuery(cohort, then, unit)
            {
                Membership = c[1].ChildNodes.Count > 0 ? Cohorts.CohortMembership.FirstTime : Cohorts.CohortMembership.AnyTime,
            };
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var option in Options(c[7]))
            {
                var keyword = option.ChildNodes[0].Token;
                var word = keyword.Text.ToLowerInvariant() is "percent" ? "counts" : keyword.Text.ToLowerInvariant();
                if (!seen.Add(word)) throw Error(source, keyword.Location, $"'{keyword.Text}' is given twice");
                var arg = option.ChildNodes.Count > 1 ? option.ChildNodes[1] : null;
                int Count(int min)
                {
                    var t = Token(arg!);
                    return int.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= Cohorts.CohortQuery.MaxRowsOrColumns
                        ? n : throw Error(source, t.Location, $"expected a number from {min} to {Cohorts.CohortQuery.MaxRowsOrColumns} after {keyword.Text}, found '{t.Text}'");
                }
                query = word switch
                {
                    "rows" => query with { Rows = Count(1) },
                    "cols" => query with { Cols = Count(0) },
                    "from" => query with { From = Start(arg!, unit) },
                    "since" => query with { Since = Date(arg!).Start },
                    "unbounded" => query with { Retention = Cohorts.RetentionMode.Unbounded },
                    _ => query with { Values = keyword.Text.Equals("counts", StringComparison.OrdinalIgnoreCase) ? Cohorts.CohortValues.Counts : Cohorts.CohortValues.Percent },
                };
            }
            try
            {
                query.Validate(); // the same rules the planner applies, reported with a caret here
            }
            catch (BitmapistQueryException e)
            {
                throw Error(source, c[0].Span.Location, e.Message.TrimEnd('.'));
            }
            return query;
        }

        private static IEnumerable<ParseTreeNode> Options(ParseTreeNode options)
        {
            // Left-recursive list (a cohort's or ids' options): options = options option | empty.
            var stack = new Stack<ParseTreeNode>();
            while (options.ChildNodes.Count == 2)
            {
                stack.Push(options.ChildNodes[1]);
                options = options.ChildNodes[0];
            }
            return stack;
        }

        /// <summary>A cohort's first row: an offset in the grouping's unit, or any date (the period of the unit containing its start).</summary>
        private PeriodRef Start(ParseTreeNode value, PeriodUnit unit) =>
            RelativeOffset(value, unit) ?? PeriodRef.Of(Period.Of(unit, Date(value).Start));

        private uint Id(ParseTreeNode userId)
        {
            var token = userId.ChildNodes.Count > 0 ? userId.ChildNodes[0].Token : userId.Token;
            return uint.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? id
                : throw Error(source, token.Location, $"expected a user id like 42 (0 to {uint.MaxValue}), found '{token.Text}'");
        }

        private static string NameOf(ParseTreeNode node)
        {
            if (node.Term == Grammar.EventName) node = node.ChildNodes[0];
            return node.Term == Grammar.Quoted ? (string)node.Token.Value : node.Token.Text;
        }

        private SetExpr Set(ParseTreeNode node)
        {
            SetExpr set;
            try
            {
                set = Build(node);
            }
            catch (ArgumentException e) when (e is not ArgumentNullException)
            {
                // The model refuses what the grammar allows (an empty event name, an id out of range...).
                var message = e.ParamName is { } p ? e.Message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal) : e.Message;
                throw Error(source, node.Span.Location, message.TrimEnd('.'));
            }
            // Checked at every node, inner first, so the caret is at the first set over and nothing larger is built.
            if (set.ExpandedSize > MaxExpandedNodes)
                throw Error(source, node.Span.Location,
                    $"this set has more than {MaxExpandedNodes} nodes once each let name in it is replaced by its set ({(set.ExpandedSize >= long.MaxValue / 2 ? "far more" : set.ExpandedSize)}), and larger ones are refused because planning walks every copy; a name used twice in each step of a let chain doubles the size at each step: use each name once, or store the intermediate set as an event");
            return set;
        }

        private SetExpr Build(ParseTreeNode node)
        {
            var c = node.ChildNodes;
            if (node.Term == Grammar.Binary)
            {
                var kind = OperatorKind(c[1]);
                var operands = new List<SetExpr>();
                Chain(c[0], kind, operands);
                operands.Add(Set(c[2]));
                return kind == SetKind.Diff
                    ? new DiffNode(operands[0], [.. operands.Skip(1)])
                    : new NaryNode(kind, [.. operands]);
            }
            if (node.Term == Grammar.Unary) return SetExpr.Not(Set(c[1]));
            if (node.Term == Grammar.Parenthesized) return Set(c[0]);
            if (node.Term == Grammar.PeriodCall)
            {
                var unit = Unit(c[0]);
                var name = NameOf(c[1]);
                if (c.Count == 2) return SetExpr.Event(name, PeriodRef.Relative(unit));
                var arg = c[2];
                if (arg.Term == Grammar.PeriodRange)
                    return SetExpr.Range(name, Value(arg.ChildNodes[0], unit), Value(arg.ChildNodes[1], unit));
                return SetExpr.Event(name, Value(arg, unit));
            }
            if (node.Term == Grammar.AllCall)
            {
                var unit = Unit(c[1]);
                var range = c[3];
                return SetExpr.Range(NameOf(c[2]), Value(range.ChildNodes[0], unit), Value(range.ChildNodes[1], unit), RangeMode.All);
            }
            if (node.Term == Grammar.UniqueCall) return SetExpr.Unique(NameOf(c[1]));
            if (node.Term == Grammar.KeyCall) return SetExpr.Key((string)c[1].Token.Value);
            if (node.Term == Grammar.During)
            {
                var range = c[2];
                var from = Date(range.ChildNodes[0]);
                var to = Date(range.ChildNodes[1]);
                if (from.Unit != to.Unit)
                    throw Error(source, range.ChildNodes[1].Span.Location, $"expected a {Describe(from.Unit)} like {Example(from.Unit)} to end the range, found '{Token(range.ChildNodes[1]).Text}'");
                return SetExpr.Range(NameOf(c[0]), PeriodRef.Of(from), PeriodRef.Of(to));
            }
            if (node.Term == Grammar.IdSet)
            {
                if (c[0].ChildNodes.Count > MaxLiteralIds)
                    throw Error(source, c[0].ChildNodes[MaxLiteralIds].Span.Location,
                        $"the set lists {c[0].ChildNodes.Count} ids, and a literal set holds at most {MaxLiteralIds} (the first one over is here); keep large id sets in the store: mark or import them as an event and use its name");
                return SetExpr.Ids(c[0].ChildNodes.Select(n => (long)Id(n)));
            }
            if (node.Term == Grammar.Universe) return SetExpr.Universe;
            if (node.Term == Grammar.ParameterRef) return SetExpr.Parameter(c[0].Token.Text[1..]);
            if (node.Term == Grammar.NameRef)
            {
                var token = c[0].Token;
                if (token.Terminal == Grammar.Quoted)
                    return _templates ? new TemplateNode((string)token.Value)
                        : throw Error(source, token.Location, $"{token.Text} is not a set: write a period function like month({token.Text})");
                return _names.TryGetValue(token.Text, out var bound)
                    ? bound
                    : _templates ? new TemplateNode(token.Text)
                    : throw Error(source, token.Location,
                        $"'{token.Text}' is not a set: write a period function like month({token.Text}), or define it first with let {token.Text} = ...");
            }
            throw new InvalidOperationException($"Unexpected set node {node.Term.Name}.");
        }

        /// <summary>Operands of a chain of one operator written without parentheses (left-associative).</summary>
        private void Chain(ParseTreeNode node, SetKind kind, List<SetExpr> operands)
        {
            // Iterative down the left spine: a long chain never deepens the stack.
            var rights = new Stack<ParseTreeNode>();
            while (node.Term == Grammar.Binary && OperatorKind(node.ChildNodes[1]) == kind)
            {
                rights.Push(node.ChildNodes[2]);
                node = node.ChildNodes[0];
            }
            operands.Add(Set(node));
            while (rights.Count > 0) operands.Add(Set(rights.Pop()));
        }

        private static SetKind OperatorKind(ParseTreeNode op) => op.Token.Text.ToLowerInvariant() switch
        {
            "or" or "|" => SetKind.Or,
            "xor" or "^" => SetKind.Xor,
            "and" or "&" => SetKind.And,
            _ => SetKind.Diff,
        };

        private static PeriodUnit Unit(ParseTreeNode unit) => unit.ChildNodes[0].Token.Text.ToLowerInvariant() switch
        {
            "year" => PeriodUnit.Year,
            "month" => PeriodUnit.Month,
            "week" => PeriodUnit.Week,
            "day" => PeriodUnit.Day,
            _ => PeriodUnit.Hour,
        };

        private static Token Token(ParseTreeNode value) => value.ChildNodes.Count > 0 ? value.ChildNodes[0].Token : value.Token;

        /// <summary>A period argument of a <paramref name="unit"/> function: a date of that unit or an offset.</summary>
        private PeriodRef Value(ParseTreeNode value, PeriodUnit unit)
        {
            if (RelativeOffset(value, unit) is { } relative) return relative;
            var token = Token(value);
            var period = Date(value);
            return period.Unit == unit
                ? PeriodRef.Of(period)
                : throw Error(source, token.Location,
                    $"expected a {Describe(unit)} like {Example(unit)} or an offset like -1, found the {Describe(period.Unit)} {token.Text}");
        }

        /// <summary>The value as an offset from the current period (any integer but a four-digit year), or null for a date.</summary>
        private PeriodRef? RelativeOffset(ParseTreeNode value, PeriodUnit unit)
        {
            var token = Token(value);
            if (!Offset().IsMatch(token.Text) || (token.Text.Length == 4 && char.IsAsciiDigit(token.Text[0]))) return null;
            // An offset wider than the calendar can never resolve, whatever "now" is: say so here, with a caret.
            return int.TryParse(token.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var offset)
                   && Math.Abs((long)offset) <= Period.MaxOffset(unit)
                ? PeriodRef.Relative(unit, offset)
                : throw Error(source, token.Location,
                    $"the offset {token.Text} is too large: {Describe(unit)} offsets run from -{Period.MaxOffset(unit)} to +{Period.MaxOffset(unit)} (the calendar's years 1 to 9999)");
        }

        /// <summary>A date: <c>2026</c>, <c>2026-11</c>, <c>2026-W48</c>, <c>2026-11-28</c>, <c>2026-11-28T14</c>.</summary>
        private Period Date(ParseTreeNode value)
        {
            var token = Token(value);
            var m = DateText().Match(token.Text);
            try
            {
                if (m.Success)
                {
                    int G(string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
                    var year = G("y");
                    if (m.Groups["w"].Success) return Period.Week(year, G("w"));
                    if (!m.Groups["m"].Success) return Period.Year(year);
                    if (!m.Groups["d"].Success) return Period.Month(year, G("m"));
                    if (!m.Groups["h"].Success) return Period.Day(year, G("m"), G("d"));
                    return Period.Hour(year, G("m"), G("d"), G("h"));
                }
            }
            catch (ArgumentOutOfRangeException)
            {
                throw Error(source, token.Location, $"{token.Text} is not a valid date");
            }
            throw Error(source, token.Location, $"expected a date like 2026-11-28, found '{token.Text}'");
        }

        private static string Describe(PeriodUnit unit) => unit.ToString().ToLowerInvariant();

        private static string Example(PeriodUnit unit) => unit switch
        {
            PeriodUnit.Year => "2026",
            PeriodUnit.Month => "2026-11",
            PeriodUnit.Week => "2026-W48",
            PeriodUnit.Day => "2026-11-28",
            _ => "2026-11-28T14",
        };
    }

    [GeneratedRegex(@"^[+-]?[0-9]+$")]
    private static partial Regex Offset();

    [GeneratedRegex(@"^(?<y>[0-9]{4})(-W(?<w>[0-9]{1,2})|-(?<m>[0-9]{1,2})(-(?<d>[0-9]{1,2})(T(?<h>[0-9]{1,2}))?)?)?$")]
    private static partial Regex DateText();
}
