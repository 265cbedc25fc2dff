using System.Text;

namespace Bitmapist.Linq.Reliability.BadInput;

/// <summary>Query strings for the served cohort form: its fields with good, bad and hostile values, unknown fields, broken escapes.</summary>
internal static class FormFuzz
{
    private static readonly string[] Fields = ["cohort", "then", "by", "values", "rows", "cols", "from", "retention", "membership"];

    private static readonly string[] Values =
    [
        "signup", "active", "song:played", "month(active)", "active & signup", "{1,2,3}", "users", "@p", "(((", "active;count active",
        "day", "week", "month", "year", "hour", "percent", "counts", "0", "1", "5", "1000", "1001", "-1", "99999999999", "2026-11-01",
        "-3", "9999-12-31", "0001-01-01", "n-day", "unbounded", "first", "any", "<script>alert(1)</script>", "%", "%zz", "%C3%28",
        "' or 1=1", new string('(', 300), new string('a', 3000), "\u0000", "+", "=",
    ];

    public static string QueryString(Random r)
    {
        var parts = new List<string>();
        for (var i = r.Next(0, 10); i > 0; i--)
        {
            var name = r.Next(8) == 0 ? "x" + r.Next(10) : Fields[r.Next(Fields.Length)];
            var value = Values[r.Next(Values.Length)];
            // Mostly escaped as a browser does; sometimes raw, with whatever breaks in it.
            var shown = r.Next(4) == 0 ? value : Uri.EscapeDataString(value);
            parts.Add(r.Next(10) == 0 ? name : $"{name}={shown}");
        }
        var s = string.Join(r.Next(10) == 0 ? "&&" : "&", parts);
        if (r.Next(8) == 0 && s.Length > 0) s = s.Insert(r.Next(s.Length), "%");
        return Escape(s);
    }

    // Only what would make an invalid URL for HttpClient is escaped; '%' and the rest reach the server as they are.
    private static string Escape(string s)
    {
        var b = new StringBuilder();
        foreach (var c in s) b.Append(c is ' ' or '#' or '\0' or '<' or '>' or '"' or '\'' || c > 126 || c < 32 ? Uri.EscapeDataString(c.ToString()) : c.ToString());
        return b.ToString();
    }
}
