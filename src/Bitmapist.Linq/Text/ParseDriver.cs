using Bitmapist.Grammar;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Runs the parser over a query and applies the guards around it: the length limit before parsing, a misspelt
/// function name, the syntax error (worded by <see cref="SyntaxErrorDescriber"/>) and the nesting limit after.
/// The language data is built once, on first use or ahead of it by <see cref="Prepare"/>, and shared (it is
/// immutable); every parse has its own parser.
/// </summary>
internal static class ParseDriver
{
    /// <summary>The grammar, whose terminals and non-terminals the walkers compare tree nodes with.</summary>
    public static QueryGrammar Grammar => Built.Grammar;

    /// <summary>The grammar's parser tables.</summary>
    public static LanguageData Language => Built.Language;

    private static Task? _preparing;

    /// <summary>
    /// Starts building the parser tables on the thread pool, once; a parse that comes before they are done waits for
    /// them (the runtime's type-initialization lock), one that comes after finds them ready.
    /// </summary>
    /// <remarks>
    /// Irony builds its LALR tables at run time: about 8 ms of one core even as native code (docs/performance.md,
    /// "Issue 14: first query and cold start"), the largest part of a first text query. A host that calls this at
    /// start-up does that work while it connects to its store or parses its command line.
    /// </remarks>
    public static Task Prepare()
    {
        if (Volatile.Read(ref _preparing) is { } started) return started;
        var task = new Task(static () => _ = Built.Language);
        if (Interlocked.CompareExchange(ref _preparing, task, null) is { } other) return other;
        task.Start(TaskScheduler.Default);
        return task;
    }

    /// <summary>
    /// The grammar and its tables, in a class of their own so that they are built when first read (not when
    /// <see cref="ParseDriver"/> is first touched) and by one thread only, whichever comes first.
    /// </summary>
    private static class Built
    {
        public static readonly QueryGrammar Grammar = new();
        public static readonly LanguageData Language = new(Grammar);
    }

    /// <summary>The parse tree of <paramref name="source"/>, which has no errors and nests at most <see cref="TextQuery.MaxNesting"/> deep.</summary>
    /// <exception cref="QuerySyntaxException">The text is too long, names an unknown function, does not parse or nests too deep.</exception>
    public static ParseTree Parse(string source)
    {
        if (source.Length > TextQuery.MaxQueryLength)
        {
            var line = 1 + source.AsSpan(0, TextQuery.MaxQueryLength).Count('\n');
            var column = TextQuery.MaxQueryLength - (source.LastIndexOf('\n', TextQuery.MaxQueryLength - 1) + 1) + 1;
            throw SourceError.At(source, line, column,
                $"the query is {source.Length} characters long, and at most {TextQuery.MaxQueryLength} are read (it is cut off here); split it into several queries, or keep large id sets in the store (mark or import them as an event)");
        }
        var tree = new Parser(Language).Parse(source);
        CheckUnknownFunctions(source, tree);
        if (tree.HasErrors()) throw SyntaxErrorDescriber.Describe(source, tree);
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
            else if (QueryGrammar.PrefixOperators.Contains(t, StringComparer.OrdinalIgnoreCase)) prefix++;
            else if (token.Terminal is not KeyTerm) prefix = 0;
            if (parentheses + prefix > TextQuery.MaxNesting)
                throw SourceError.At(source, token.Location, $"the expression nests more than {TextQuery.MaxNesting} levels deep");
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
            var best = Spelling.Nearest(name, QueryGrammar.FunctionNames);
            var hint = best is null
                ? $"functions are {string.Join(", ", QueryGrammar.FunctionNames)}"
                : $"did you mean {best}?";
            throw SourceError.At(source, tokens[i].Location, $"unknown function '{name}': {hint}");
        }
    }
}
