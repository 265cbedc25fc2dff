using System.Globalization;
using System.Text;
using Bitmapist.Linq.Backends;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// The document analysts and developers read when a query surprises them: the statement, the logical plan,
/// the plan over stored keys, each rule that fired, the optimized plan, the program for the profile, and what
/// the back end does to run it (<see cref="IBitmapBackend.Describe"/>: on Redis, the exact commands of its one batch).
/// </summary>
public static class ExplainPrinter
{
    /// <summary>A leased result's name carries a random id; explain prints this in its place.</summary>
    public const string LeasePlaceholder = "<id>";

    /// <summary>Prints <paramref name="plan"/>; <paramref name="describe"/> gives the back end's lines for its program.</summary>
    public static string Print(QueryPlan plan, Func<BatchProgram, IEnumerable<string>> describe)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"query:     {plan.Query}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"now:       {plan.Now:yyyy-MM-dd'T'HH:mm:ss}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"logical:   {plan.Query.Set}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"bound:     {plan.Bound}");
        AppendRewrites(sb, plan);
        sb.AppendLine(CultureInfo.InvariantCulture, $"optimized: {plan.Optimized}");
        var p = plan.Program;
        sb.AppendLine(CultureInfo.InvariantCulture, $"program ({p.Profile.Name}):");
        foreach (var step in p.Steps) sb.AppendLine(StepLine(step));
        var read = p.Reads[0];
        sb.AppendLine(read.Source is { } result ? $"  read {read.Kind.ToString().ToLowerInvariant()} of {result}" : "  result is empty: nothing to run");
        foreach (var line in describe(p)) sb.AppendLine(line);
        return sb.ToString();
    }

    /// <summary>Prints a table's plan (a cohort table, a trend, a funnel): the statement, the rows, the counted sets, the program and its one batch.</summary>
    public static string Print(TablePlan plan, Func<BatchProgram, IEnumerable<string>> describe)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"query:     {plan.Text}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"now:       {plan.Now:yyyy-MM-dd'T'HH:mm:ss}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"rows:      {plan.Rows.Length} ({plan.Rows[0]} .. {plan.Rows[^1]}), {plan.RowLine}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"counts:    {plan.Counted.Length} distinct sets ({plan.CountsLine})");
        for (var i = 0; i < plan.Counted.Length; i++)
            sb.AppendLine(CultureInfo.InvariantCulture, $"  #{i} {plan.Counted[i]}  =>  {plan.Optimized[i]}");
        AppendCounts(sb, plan.Program, describe);
        return sb.ToString();
    }

    /// <summary>Prints counts planned into one batch: each count's plan, then the one program and its one batch.</summary>
    public static string Print(BatchPlan plan, Func<BatchProgram, IEnumerable<string>> describe)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < plan.Queries.Length; i++)
        {
            var q = plan.Queries[i];
            sb.AppendLine(CultureInfo.InvariantCulture, $"#{i} query: {q.Query}");
            if (i == 0) sb.AppendLine(CultureInfo.InvariantCulture, $"now:       {q.Now:yyyy-MM-dd'T'HH:mm:ss}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"bound:     {q.Bound}");
            AppendRewrites(sb, q);
            sb.AppendLine(CultureInfo.InvariantCulture, $"optimized: {q.Optimized}");
        }
        AppendCounts(sb, plan.Program, describe);
        return sb.ToString();
    }

    private static void AppendRewrites(StringBuilder sb, QueryPlan plan)
    {
        if (plan.Rewrites.Count == 0) return;
        sb.AppendLine("rewrites:");
        foreach (var r in plan.Rewrites) sb.AppendLine("  " + r);
    }

    /// <summary>A program of counts (a cohort table's, a batch of counts'), then how the back end runs it.</summary>
    private static void AppendCounts(StringBuilder sb, BatchProgram p, Func<BatchProgram, IEnumerable<string>> describe)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"program ({p.Profile.Name}): {p.Steps.Length} steps, {p.TempCount} temporaries");
        foreach (var item in p.InOrder())
            sb.AppendLine(!item.IsRead ? StepLine(p.Steps[item.Step])
                : p.Reads[item.Read].Source is { } source ? $"  #{item.Read} = count {source}" : $"  #{item.Read} = 0 (empty set)");
        foreach (var line in describe(p)) sb.AppendLine(line);
    }

    private static string StepLine(ProgramStep step) => step switch
    {
        BitOpStep b => $"  tmp{b.Target} = {b.Op.ToString().ToUpperInvariant()} {string.Join(" ", b.Sources)}",
        LiteralStep l => $"  tmp{l.Target} = literal {{{string.Join(", ", l.Ids)}}}",
        _ => "  " + step,
    };
}
