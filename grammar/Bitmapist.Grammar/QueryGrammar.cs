using Irony.Parsing;

namespace Bitmapist.Grammar;

/// <summary>
/// The Irony grammar of the bitmapist text query language. <c>grammar/README.md</c> is its reference;
/// <c>Bitmapist.Linq.Text.TextQuery</c> walks its parse trees into the query model.
/// </summary>
/// <remarks>
/// New lines are white space: a statement ends where the next token cannot continue it, so an expression may
/// span lines and <c>;</c> or a new line separates statements. Numbers, dates and offsets are one terminal
/// (<see cref="Number"/>) so the scanner never has to choose between them; the tree walker classifies them.
/// Build <see cref="LanguageData"/> from an instance once and share it: it is immutable after construction.
/// </remarks>
public sealed class QueryGrammar : Irony.Parsing.Grammar
{
    /// <summary>
    /// Every keyword of the language, the one table the parser, the printer (which quotes event names that are
    /// keywords), the syntax-error describer and the REPL's completer read. The grammar's rules below spell the
    /// same words, and the constructor refuses a grammar whose keywords differ from this table, so a keyword
    /// added to a rule and not here (or here and in no rule) fails every test at once.
    /// </summary>
    /// <remarks>
    /// The order matters in two places: <see cref="FunctionNames"/> lists the functions in this order (an error
    /// names them so), and the syntax-error describer tries the <see cref="KeywordKind.Part"/>,
    /// <see cref="KeywordKind.CohortPart"/> and <see cref="KeywordKind.Modifier"/> words in this order when it
    /// guesses which keyword a misspelt name stood for (the first of two equally near ones wins).
    /// </remarks>
    public static readonly IReadOnlyList<Keyword> Keywords =
    [
        // Statements.
        new("count", KeywordKind.Statement) { Help = new("count SET", "count month(active) & week('song:played')") },
        new("ids", KeywordKind.Statement) { Help = new("ids SET [limit N] [after ID]", "ids week(active) limit 10 after 41") },
        new("cohort", KeywordKind.Statement, Reserved: false) { Help = new("cohort SET then SET by UNIT [...]", "cohort signup then active by week cols 6") },
        new("trend", KeywordKind.Statement, Reserved: false) { Help = new("trend SET by UNIT [rows N] [from X] [window W] [of SET by UNIT [window W]]", "trend active by day rows 14 window 7") },
        new("funnel", KeywordKind.Statement, Reserved: false) { Help = new("funnel SET then SET [then SET ...] by UNIT [rows N] [from X] [within W]", "funnel signup then active by week rows 4 within 2") },
        new("explain", KeywordKind.Statement) { Help = new("explain STATEMENT", "explain count all day(active, -6..0)") },
        new("events", KeywordKind.Statement) { Help = new("events [PREFIX]", "events song") },
        new("let", KeywordKind.Statement) { Help = new("let NAME = SET", "let retained = month(active) & month(active, -1)") },
        new("describe", KeywordKind.Statement, Reserved: false) { Help = new("describe EVENT", "describe active") },
        // Functions: a set of one event; the period functions first (their order is the reference's).
        new("year", KeywordKind.PeriodFunction),
        new("month", KeywordKind.PeriodFunction),
        new("week", KeywordKind.PeriodFunction),
        new("day", KeywordKind.PeriodFunction),
        new("hour", KeywordKind.PeriodFunction),
        new("unique", KeywordKind.Function),
        new("key", KeywordKind.Function),
        // Sets and set operators.
        new("users", KeywordKind.Set),
        new("or", KeywordKind.Operator),
        new("xor", KeywordKind.Operator),
        new("and", KeywordKind.Operator),
        new("not", KeywordKind.Prefix),
        // Words inside a statement, in the order the describer tries them.
        new("limit", KeywordKind.Part),
        new("after", KeywordKind.Part),
        new("in", KeywordKind.Part) { Help = new("ID in SET", "42 in month(active, 2026-11)") }, // or 'alice' in SET, with an id map
        new("of", KeywordKind.Part),
        new("then", KeywordKind.CohortPart),
        new("by", KeywordKind.CohortPart, Reserved: false),
        new("rows", KeywordKind.CohortPart, Reserved: false),
        new("cols", KeywordKind.CohortPart, Reserved: false),
        new("from", KeywordKind.CohortPart, Reserved: false),
        new("since", KeywordKind.CohortPart, Reserved: false),
        new("unbounded", KeywordKind.CohortPart, Reserved: false),
        new("counts", KeywordKind.CohortPart, Reserved: false),
        new("window", KeywordKind.CohortPart, Reserved: false),
        new("within", KeywordKind.CohortPart, Reserved: false),
        // A statement of its own, and a cohort's option ("... by week percent").
        new("percent", KeywordKind.CohortPart, StartsStatement: true) { Help = new("percent SET of SET", "percent month(active) of month(signup, -1)") },
        new("first", KeywordKind.CohortPart, Reserved: false),
        new("during", KeywordKind.Part),
        new("all", KeywordKind.Modifier),
    ];

    /// <summary>The period functions, in the order the language reference lists them.</summary>
    public static readonly IReadOnlyList<string> PeriodFunctions = Words(k => k.Kind == KeywordKind.PeriodFunction);

    /// <summary>Every function name (period functions, <c>unique</c> and <c>key</c>), for suggestions.</summary>
    public static readonly IReadOnlyList<string> FunctionNames = Words(k => k.Kind is KeywordKind.PeriodFunction or KeywordKind.Function);

    /// <summary>Statement keywords, for completion and suggestions.</summary>
    public static readonly IReadOnlyList<string> StatementKeywords = Words(k => k.StartsStatement);

    /// <summary>The binary set operators, lowest precedence first, each word before its symbol.</summary>
    public static readonly IReadOnlyList<string> BinaryOperators = ["or", "|", "xor", "^", "and", "&", "-"];

    /// <summary>The prefix operators (complement).</summary>
    public static readonly IReadOnlyList<string> PrefixOperators = ["not", "!", "~"];

    /// <summary>The keywords that <paramref name="kind"/> selects, in table order.</summary>
    public static IReadOnlyList<string> Words(Func<Keyword, bool> kind) => [.. Keywords.Where(kind).Select(k => k.Word)];

    /// <summary>The keyword <paramref name="word"/> (any case), or null when it is not one.</summary>
    public static Keyword? Find(string word) =>
        Keywords.FirstOrDefault(k => k.Word.Equals(word, StringComparison.OrdinalIgnoreCase));

    /// <summary>A bare name: an event name or a <c>let</c> name.</summary>
    public IdentifierTerminal Name { get; }

    /// <summary>A quoted name: <c>'...'</c> or <c>"..."</c>, the quote doubled inside.</summary>
    public StringLiteral Quoted { get; }

    /// <summary>An integer (optionally signed), or a date: <c>2026</c>, <c>2026-11</c>, <c>2026-W48</c>, <c>2026-11-28</c>, <c>2026-11-28T14</c>.</summary>
    public RegexBasedTerminal Number { get; }

    /// <summary>A parameter, <c>@name</c>.</summary>
    public RegexBasedTerminal Parameter { get; }

#pragma warning disable CS1591 // the non-terminals are named like the language reference's constructs
    public NonTerminal Program { get; } = new("program");
    public NonTerminal Statement { get; } = new("statement");
    public NonTerminal CountStatement { get; } = new("countStatement");
    public NonTerminal IdsStatement { get; } = new("idsStatement");
    public NonTerminal InStatement { get; } = new("inStatement");
    public NonTerminal PercentStatement { get; } = new("percentStatement");
    public NonTerminal ExplainStatement { get; } = new("explainStatement");
    public NonTerminal EventsStatement { get; } = new("eventsStatement");
    public NonTerminal LetStatement { get; } = new("letStatement");
    public NonTerminal DescribeStatement { get; } = new("describeStatement");
    public NonTerminal CohortStatement { get; } = new("cohortStatement");
    public NonTerminal CohortFirst { get; } = new("cohortFirst");
    public NonTerminal CohortOptions { get; } = new("cohortOptions");
    public NonTerminal CohortOption { get; } = new("cohortOption");
    public NonTerminal TrendStatement { get; } = new("trendStatement");
    public NonTerminal TrendOptions { get; } = new("trendOptions");
    public NonTerminal TrendOption { get; } = new("trendOption");
    public NonTerminal TrendWhole { get; } = new("trendWhole");
    public NonTerminal WholeOptions { get; } = new("wholeOptions");
    public NonTerminal FunnelStatement { get; } = new("funnelStatement");
    public NonTerminal FunnelSteps { get; } = new("funnelSteps");
    public NonTerminal FunnelOptions { get; } = new("funnelOptions");
    public NonTerminal FunnelOption { get; } = new("funnelOption");
    public NonTerminal BareStatement { get; } = new("bareStatement");
    public NonTerminal IdsOptions { get; } = new("idsOptions");
    public NonTerminal IdsOption { get; } = new("idsOption");
    public NonTerminal Set { get; } = new("set");
    public NonTerminal Term { get; } = new("term");
    public NonTerminal Binary { get; } = new("binary");
    public NonTerminal BinaryOperator { get; } = new("binaryOperator");
    public NonTerminal Unary { get; } = new("unary");
    public NonTerminal UnaryOperator { get; } = new("unaryOperator");
    public NonTerminal Parenthesized { get; } = new("parenthesized");
    public NonTerminal PeriodCall { get; } = new("periodCall");
    public NonTerminal AllCall { get; } = new("allCall");
    public NonTerminal Unit { get; } = new("unit");
    public NonTerminal PeriodArgument { get; } = new("periodArgument");
    public NonTerminal PeriodRange { get; } = new("periodRange");
    public NonTerminal PeriodValue { get; } = new("periodValue");
    public NonTerminal UniqueCall { get; } = new("uniqueCall");
    public NonTerminal KeyCall { get; } = new("keyCall");
    public NonTerminal During { get; } = new("during");
    public NonTerminal IdSet { get; } = new("idSet");
    public NonTerminal IdList { get; } = new("idList");
    public NonTerminal UserId { get; } = new("userId");
    public NonTerminal Member { get; } = new("member");
    public NonTerminal ExternalId { get; } = new("externalId");
    public NonTerminal Universe { get; } = new("universe");
    public NonTerminal ParameterRef { get; } = new("parameterRef");
    public NonTerminal NameRef { get; } = new("nameRef");
    public NonTerminal EventName { get; } = new("eventName");
#pragma warning restore CS1591

    /// <summary>Builds the grammar (keywords are case-insensitive).</summary>
    public QueryGrammar() : base(caseSensitive: false)
    {
        Name = new IdentifierTerminal("name", "_:.", "_") { ErrorAlias = "a name" };
        Quoted = new StringLiteral("quoted", "'", StringOptions.AllowsDoubledQuote | StringOptions.NoEscapes | StringOptions.AllowsLineBreak) { ErrorAlias = "a quoted name" };
        Quoted.AddStartEnd("\"", StringOptions.AllowsDoubledQuote | StringOptions.NoEscapes | StringOptions.AllowsLineBreak);
        Number = new RegexBasedTerminal("number",
            @"[+-]?[0-9]+(-W[0-9]{1,2}|-[0-9]{1,2}(-[0-9]{1,2}(T[0-9]{1,2})?)?)?",
            "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "-") { ErrorAlias = "a number" };
        Parameter = new RegexBasedTerminal("parameter", "@[A-Za-z_][A-Za-z0-9_:.]*", "@") { ErrorAlias = "a parameter like @name" };
        NonGrammarTerminals.Add(new CommentTerminal("dashComment", "--", "\n", "\r"));
        NonGrammarTerminals.Add(new CommentTerminal("hashComment", "#", "\n", "\r"));

        // Statements: ';' is optional between them (a new line is white space).
        Program.Rule = MakeStarRule(Program, Statement | ";");
        Statement.Rule = CountStatement | IdsStatement | InStatement | PercentStatement | CohortStatement | TrendStatement
            | FunnelStatement | ExplainStatement | EventsStatement | LetStatement | DescribeStatement | BareStatement;
        var explainable = new NonTerminal("explainable")
        {
            Rule = CountStatement | IdsStatement | InStatement | PercentStatement | CohortStatement | TrendStatement | FunnelStatement | BareStatement,
        };
        // cohort [first] SET then SET by UNIT [rows N] [cols N] [from DATE|OFFSET] [since DATE] [unbounded] [counts|percent]
        CohortStatement.Rule = ToTerm("cohort") + CohortFirst + Set + "then" + Set + "by" + Unit + CohortOptions;
        // "percent" after a cohort is its option, not a new percent statement (write ";" to start one).
        CohortFirst.Rule = Empty | "first";
        CohortOptions.Rule = Empty | CohortOptions + CohortOption;
        CohortOption.Rule = ToTerm("rows") + Number | ToTerm("cols") + Number | ToTerm("from") + Number | ToTerm("since") + Number
            | "unbounded" | "counts" | PreferShiftHere() + "percent";
        // trend SET by UNIT [rows N] [from DATE|OFFSET] [window W] [of SET by UNIT [window W]]: the whole comes last,
        // so "window" after it is the whole's.
        TrendStatement.Rule = ToTerm("trend") + Set + "by" + Unit + TrendOptions + TrendWhole;
        TrendOptions.Rule = Empty | TrendOptions + TrendOption;
        TrendOption.Rule = ToTerm("rows") + Number | ToTerm("from") + Number | ToTerm("window") + Number;
        TrendWhole.Rule = Empty | ToTerm("of") + Set + "by" + Unit + WholeOptions;
        WholeOptions.Rule = Empty | ToTerm("window") + Number;
        // funnel SET then SET [then SET ...] by UNIT [rows N] [from DATE|OFFSET] [within W] (two steps at least: the walker says so with a caret).
        FunnelStatement.Rule = ToTerm("funnel") + FunnelSteps + "by" + Unit + FunnelOptions;
        FunnelSteps.Rule = MakePlusRule(FunnelSteps, ToTerm("then"), Set);
        FunnelOptions.Rule = Empty | FunnelOptions + FunnelOption;
        FunnelOption.Rule = ToTerm("rows") + Number | ToTerm("from") + Number | ToTerm("within") + Number;
        CountStatement.Rule = ToTerm("count") + Set;
        // "limit N" and "after ID" in either order, each at most once (checked by the walker, with a caret).
        IdsStatement.Rule = ToTerm("ids") + Set + IdsOptions;
        IdsOptions.Rule = Empty | IdsOptions + IdsOption;
        IdsOption.Rule = ToTerm("limit") + Number | ToTerm("after") + UserId;
        // 42 in SET, or 'alice' in SET: a quoted id before "in" is an external id, elsewhere a quoted name (the
        // parser tells them apart by the "in" after it, so the grammar stays LALR(1) without conflicts).
        InStatement.Rule = Member + "in" + Set;
        PercentStatement.Rule = ToTerm("percent") + Set + "of" + Set;
        ExplainStatement.Rule = ToTerm("explain") + explainable;
        // "events" then a name on the next line: the name is the prefix (write "events;" to end it).
        EventsStatement.Rule = ToTerm("events") + PreferShiftHere() + Name | ToTerm("events") + PreferShiftHere() + Quoted | "events";
        LetStatement.Rule = ToTerm("let") + Name + "=" + Set;
        // describe EVENT: an event's keys and this month's count.
        DescribeStatement.Rule = ToTerm("describe") + EventName;
        BareStatement.Rule = Set;

        // Sets, lowest to highest: or | ; xor ^ ; and & - ; prefix not ! ~.
        Set.Rule = Term | Binary;
        Binary.Rule = Set + BinaryOperator + Set;
        BinaryOperator.Rule = Choice(BinaryOperators);
        Term.Rule = PeriodCall | AllCall | UniqueCall | KeyCall | During | IdSet | Universe | ParameterRef | NameRef
            | Parenthesized | Unary;
        Unary.Rule = UnaryOperator + Term;
        UnaryOperator.Rule = Choice(PrefixOperators);
        Parenthesized.Rule = "(" + Set + ")";
        PeriodCall.Rule = Unit + "(" + EventName + ")" | Unit + "(" + EventName + "," + PeriodArgument + ")";
        AllCall.Rule = ToTerm("all") + Unit + "(" + EventName + "," + PeriodRange + ")";
        Unit.Rule = Choice(PeriodFunctions);
        PeriodArgument.Rule = PeriodValue | PeriodRange;
        PeriodRange.Rule = PeriodValue + ".." + PeriodValue;
        PeriodValue.Rule = Number;
        UniqueCall.Rule = ToTerm("unique") + "(" + EventName + ")";
        KeyCall.Rule = ToTerm("key") + "(" + Quoted + ")";
        During.Rule = EventName + "during" + PeriodRange;
        IdSet.Rule = "{" + IdList + "}";
        IdList.Rule = MakeStarRule(IdList, ToTerm(","), Member);
        // A member of a literal set: an internal id (a number) or an external id (quoted), looked up in the store's id map.
        Member.Rule = UserId | ExternalId;
        UserId.Rule = Number;
        ExternalId.Rule = Quoted;
        Universe.Rule = ToTerm("users");
        ParameterRef.Rule = Parameter;
        NameRef.Rule = Name | Quoted; // a quoted name is a set only as a cohort template ('sign-up')
        EventName.Rule = Name | Quoted;

        RegisterOperators(10, "or", "|");
        RegisterOperators(20, "xor", "^");
        RegisterOperators(30, "and", "&", "-");
        MarkPunctuation("(", ")", ",", "{", "}", ";", "=", "..");
        MarkTransient(Statement, explainable, Set, Term, BinaryOperator, UnaryOperator, PeriodArgument);
        MarkReservedWords([.. Words(k => k.Reserved)]);
        CheckKeywords();

        // What a syntax error says was expected, in words.
        Set.ErrorAlias = "a set like month(active)";
        Term.ErrorAlias = "a set like month(active)";
        EventName.ErrorAlias = "an event name";
        PeriodValue.ErrorAlias = "a date like 2026-11-28 or an offset like -1";
        PeriodRange.ErrorAlias = "a range like -6..0";
        UserId.ErrorAlias = "a user id like 42";
        Member.ErrorAlias = "a user id like 42 or an external id like 'alice'";
        ExternalId.ErrorAlias = "an external id like 'alice'";
        Unit.ErrorAlias = "a period function (year, month, week, day, hour)";
        BinaryOperator.ErrorAlias = "an operator (or, xor, and, -)";
        Statement.ErrorAlias = "a statement";

        Root = Program;
        LanguageFlags = LanguageFlags.Default;
    }

    /// <summary>One rule alternative per word.</summary>
    private BnfExpression Choice(IReadOnlyList<string> words)
    {
        BnfExpression rule = ToTerm(words[0]);
        foreach (var w in words.Skip(1)) rule |= ToTerm(w);
        return rule;
    }

    /// <summary>Refuses a grammar whose rules spell a keyword the table does not hold, or the other way round.</summary>
    private void CheckKeywords()
    {
        var inRules = KeyTerms.Keys.Where(k => k.Length > 0 && char.IsAsciiLetter(k[0])).Select(k => k.ToLowerInvariant()).ToHashSet();
        var inTable = Keywords.Select(k => k.Word).ToHashSet();
        if (inRules.SetEquals(inTable) && inTable.Count == Keywords.Count) return;
        throw new InvalidOperationException(
            $"QueryGrammar.Keywords and the grammar's rules disagree: in the rules only [{string.Join(", ", inRules.Except(inTable))}], " +
            $"in the table only [{string.Join(", ", inTable.Except(inRules))}] (or a word is listed twice); add each keyword to both.");
    }
}

/// <summary>What a keyword does, which decides how the tools that read <see cref="QueryGrammar.Keywords"/> treat it.</summary>
public enum KeywordKind
{
    /// <summary>Starts a statement: <c>count</c>, <c>ids</c>, <c>cohort</c>...</summary>
    Statement,

    /// <summary>A period function, the set of one event in periods of its unit: <c>year</c> ... <c>hour</c> (also a cohort's <c>by</c> unit).</summary>
    PeriodFunction,

    /// <summary>Another function that makes a set: <c>unique(...)</c>, <c>key(...)</c>.</summary>
    Function,

    /// <summary>A set by itself: <c>users</c>.</summary>
    Set,

    /// <summary>A binary set operator written as a word: <c>or</c>, <c>xor</c>, <c>and</c>.</summary>
    Operator,

    /// <summary>The prefix complement written as a word: <c>not</c>.</summary>
    Prefix,

    /// <summary>A word before a period function that changes it: <c>all</c>.</summary>
    Modifier,

    /// <summary>A word inside a statement: <c>in</c>, <c>of</c>, <c>limit</c>, <c>after</c>, <c>during</c>.</summary>
    Part,

    /// <summary>A word that only a cohort, trend or funnel statement uses: <c>then</c>, <c>by</c>, their options.</summary>
    CohortPart,
}

/// <summary>One keyword of the language.</summary>
/// <param name="Word">The keyword, lower case (keywords are case-insensitive).</param>
/// <param name="Kind">What it does.</param>
/// <param name="Reserved">True when it can never be a bare event name (write it quoted); the cohort's words
/// other than <c>then</c> are not reserved, so events named <c>rows</c> or <c>from</c> need no quotes.</param>
/// <param name="StartsStatement">True when it starts a statement (every <see cref="KeywordKind.Statement"/>,
/// and <c>percent</c>, which is also a cohort's option).</param>
public sealed record Keyword(string Word, KeywordKind Kind, bool Reserved = true, bool StartsStatement = false)
{
    /// <summary>For a word that makes a statement: its syntax and an example, as the REPL's help lists them.</summary>
    public StatementHelp? Help { get; init; }

    /// <summary>True when it starts a statement.</summary>
    public bool StartsStatement { get; init; } = StartsStatement || Kind == KeywordKind.Statement;
}

/// <summary>How the REPL's help shows a statement.</summary>
/// <param name="Syntax">The statement's form, e.g. <c>count SET</c>.</param>
/// <param name="Example">A statement that runs on the sample data.</param>
public sealed record StatementHelp(string Syntax, string Example);
