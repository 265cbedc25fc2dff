namespace Bitmapist.Linq.Testing;

/// <summary>
/// Random and mutated query texts, shared by the fuzz test (which checks what a parse may throw) and the
/// parse benchmark (which times the same texts), so the two look at the same inputs.
/// </summary>
internal static class QueryFuzz
{
    private static readonly string[] Vocabulary =
    [
        "count", "ids", "in", "percent", "of", "explain", "events", "let", "limit", "after", "all", "during", "users",
        "month", "week", "day", "hour", "year", "unique", "key", "and", "or", "xor", "not", "(", ")", "{", "}", ",", "..",
        ";", "\n", "&", "|", "^", "-", "~", "!", "=", "@p", "active", "'song:played'", "\"q\"", "''", "0", "-1", "+2", "42",
        "2026", "2026-11", "2026-W48", "2026-W60", "2026-11-28", "2026-13-40", "2026-11-28T14", "99999999999", "--", "#",
        "mnth", "x.y", "$", "'unterminated",
    ];

    public static readonly string[] Seeds =
    [
        "count month(active) & week('song:played') - week(active, -1)",
        "ids all day(active, -6..0) limit 10 after 41",
        "42 in active during 2026-01-03..2026-03-05 | {1, 5, 42}",
        "percent month(active) of month(signup, -1); explain count users & ~unique(premium)",
        "let r = month(active) xor key('trackist_a_2026-11')\nr - @p",
    ];

    /// <summary>The <paramref name="count"/> texts of one seeded run: random words and mutated seeds, alternating.</summary>
    public static IEnumerable<string> Texts(int seed, int count)
    {
        var r = new Random(seed);
        for (var i = 0; i < count; i++)
            yield return i % 2 == 0 ? Soup(r) : Mutate(r, Seeds[r.Next(Seeds.Length)]);
    }

    private static string Soup(Random r) =>
        string.Join(r.Next(3) == 0 ? "" : " ", Enumerable.Range(0, r.Next(1, 25)).Select(_ => Vocabulary[r.Next(Vocabulary.Length)]));

    private const string Alphabet = "(){},.;'\"-&|^~!@#0123456789 \nabcW:T";

    private static string Mutate(Random r, string s)
    {
        var chars = s.ToList();
        for (var n = r.Next(1, 4); n > 0 && chars.Count > 0; n--)
        {
            var at = r.Next(chars.Count);
            switch (r.Next(3))
            {
                case 0: chars.RemoveAt(at); break;
                case 1: chars.Insert(at, Alphabet[r.Next(Alphabet.Length)]); break;
                default: chars[at] = Alphabet[r.Next(Alphabet.Length)]; break;
            }
        }
        return new string([.. chars]);
    }

    /// <summary>
    /// Queries that grow with <c>n</c>, one per way a query can grow: nesting, prefix operators, operator chains,
    /// statements, id lists, and a long query with its mistake at the end (the error report looks back over
    /// the tokens). <c>Nested</c> shapes nest n deep, which <c>TextQuery.MaxNesting</c> caps: keep n under 250.
    /// </summary>
    public static readonly (string Name, bool Nested, Func<int, string> Text)[] Shapes =
    [
        ("nested parentheses", true, n => new string('(', n) + "month(active)" + new string(')', n)),
        ("nested operators", true, n => string.Concat(Enumerable.Repeat("(day(a) & ", n)) + "users" + new string(')', n)),
        ("prefix not", true, n => new string('~', n) + "users"),
        ("error deep inside", true, n => new string('(', n) + "month(active) &" + new string(')', n)),
        ("& chain", false, n => string.Join(" & ", Enumerable.Range(0, n).Select(i => $"day(e{i}, -{i % 7})"))),
        ("mixed chain", false, n => string.Join(" ", Enumerable.Range(0, n).Select(i => $"week(e{i}) {"&|^-"[i % 4]}")) + " users"),
        ("statements", false, n => string.Join("\n", Enumerable.Range(0, n).Select(i => $"let s{i} = month(e{i}) | users; count s{i}"))),
        ("id list", false, n => "{" + string.Join(", ", Enumerable.Range(0, n)) + "}"),
        ("error at the end", false, n => "count " + string.Join(" | ", Enumerable.Range(0, n).Select(i => $"day(e{i}, {i})")) + " & month(active"),
    ];
}
