using System.CommandLine;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Commands;

/// <summary>
/// <c>--param name=SET</c> (repeatable): values for the <c>@name</c> parameters of a statement, each a set of the
/// query language, e.g. <c>--param cohort="month(signup, -1)"</c>. The same statement then runs for any cohort
/// without editing its text, as named queries in configuration do.
/// </summary>
internal static class ParameterOptions
{
    public static Option<string[]> Create() => new("--param", "-p")
    {
        Description = "Give the parameter @name a value: --param name=SET (a set of the query language; repeat for several).",
        HelpName = "name=set",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Parses every <c>name=SET</c>; on a bad one, writes why (with a caret for a syntax error) and returns false.</summary>
    public static async Task<(bool Ok, IReadOnlyDictionary<string, SetExpr> Values)> TryParseAsync(string[]? raw, CliContext context)
    {
        var values = new Dictionary<string, SetExpr>(StringComparer.Ordinal);
        foreach (var item in raw ?? [])
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? "" : item[..eq].Trim().TrimStart('@');
            if (eq < 0 || name.Length == 0)
            {
                context.Error($"--param takes name=SET, e.g. --param cohort=\"month(signup, -1)\"; got '{item}'.");
                return (false, values);
            }
            if (values.ContainsKey(name))
            {
                context.Error($"--param {name} is given twice.");
                return (false, values);
            }
            try
            {
                values[name] = TextQuery.ParseSet(item[(eq + 1)..]);
            }
            catch (QuerySyntaxException e)
            {
                await context.Err.WriteLineAsync($"bitmapist: --param {name}: {e.Message}").ConfigureAwait(false);
                return (false, values);
            }
        }
        return (true, values);
    }

    /// <summary>
    /// The first <c>@name</c> a statement uses that has no value, so the CLI can say which option is missing before
    /// it opens a store; null when every parameter is bound.
    /// </summary>
    public static string? FirstUnbound(IEnumerable<TextStatement> statements, IReadOnlyDictionary<string, SetExpr> values) =>
        statements.SelectMany(Sets).SelectMany(s => s.ParameterNames()).FirstOrDefault(name => !values.ContainsKey(name));

    private static IEnumerable<SetExpr> Sets(TextStatement statement) => statement switch
    {
        QueryStatement q => [q.Query.Set],
        PercentStatement p => [p.Part, p.Whole],
        CohortStatement c => [c.Query.Cohort, c.Query.Return],
        TrendStatement t => t.Query.Of is { } of ? [t.Query.Template, of.Template] : [t.Query.Template],
        FunnelStatement f => f.Query.Steps,
        ExplainStatement e => Sets(e.Statement),
        _ => [],
    };
}
