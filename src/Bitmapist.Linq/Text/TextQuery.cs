using Bitmapist.Linq.Query;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Parses the text query language (<c>grammar/README.md</c>) into the query model. Thread-safe: the grammar's
/// language data is built once and shared; every parse has its own parser.
/// </summary>
/// <remarks>
/// A facade over the parts that do the work: <see cref="ParseDriver"/> runs the parser and its guards,
/// <see cref="SyntaxErrorDescriber"/> words what the parser could not read, and the walkers
/// (<see cref="StatementWalker"/>, <see cref="SetWalker"/>, <see cref="CohortWalker"/>) turn the tree into the model.
/// </remarks>
public static class TextQuery
{
    /// <summary>The grammar's construction errors (none: a test keeps it so).</summary>
    internal static LanguageData LanguageData => ParseDriver.Language;

    /// <summary>
    /// Parses statements separated by <c>;</c> or new lines. Names bound by <c>let</c> are visible to later
    /// statements; <paramref name="names"/> holds names bound before (a REPL session's).
    /// </summary>
    /// <exception cref="QuerySyntaxException">The text does not parse.</exception>
    public static IReadOnlyList<TextStatement> Parse(string source, IReadOnlyDictionary<string, SetExpr>? names = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new StatementWalker(source, names).Program(ParseDriver.Parse(source));
    }

    /// <summary>
    /// Starts building the parser's tables in the background, so that the first <see cref="Parse"/> finds them ready
    /// rather than building them itself (a few milliseconds as native code, more under the JIT). Call it at start-up
    /// in a process that will parse text soon, before connecting to its store; calling it again does nothing. Parsing
    /// never needs it: without it the first parse builds the tables.
    /// </summary>
    /// <returns>A task that completes when the tables are built.</returns>
    public static Task Prepare() => ParseDriver.Prepare();

    /// <summary>Parses one set expression: <c>ParseSet(expr.Text) == expr</c> for every expression.</summary>
    /// <exception cref="QuerySyntaxException">The text does not parse or is not a single set.</exception>
    public static SetExpr ParseSet(string source, IReadOnlyDictionary<string, SetExpr>? names = null)
    {
        var statements = Parse(source, names);
        if (statements is [QueryStatement { IsBare: true } bare]) return bare.Query.Set;
        var (line, column) = statements.Count == 0 ? (1, 1) : (statements[0].Line, 1);
        throw SourceError.At(source, line, column, statements.Count == 0 ? "expected a set like month(active)" : "expected a single set like month(active), not a statement");
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

    /// <summary>The nearest of <paramref name="candidates"/> to a misspelt word (see <see cref="Spelling.Nearest"/>); the store's event check and the hosting options check use it too.</summary>
    internal static string? Nearest(string word, IEnumerable<string> candidates) => Spelling.Nearest(word, candidates);

    /// <summary>Edits between two words (see <see cref="Spelling.Distance"/>).</summary>
    internal static int Distance(string a, string b) => Spelling.Distance(a, b);
}
