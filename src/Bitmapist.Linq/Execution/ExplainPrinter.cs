using System.Globalization;
using System.Text;
using Bitmapist.Linq.Planning;

namespace Bitmapist.Linq.Execution;

/// <summary>
/// The document analysts and developers read when a query surprises them: the statement, the logical plan,
/// the plan over stored keys, each rule that fired, the optimized plan, the program for the profile and the
/// exact Redis commands of its one batch.
/// </summary>
public static class ExplainPrinter
{
    /// <summary>A leased result's name carries a random id; explain prints this in its place.</summary>
    public const string LeasePlaceholder = "<id>";

    /// <summary>Prints <paramref name="plan"/>.</summary>
    public static string Print(QueryPlan plan, Model.KeyScheme keys, int tempTtlSeconds = 60, int leaseTtlSeconds = 600)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"query:     {plan.Query}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"now:       {plan.Now:yyyy-MM-dd'T'HH:mm:ss}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"logical:   {plan.Query.Set}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"bound:     {plan.Bound}");
        if (plan.Rewrites.Count > 0)
        {
            sb.AppendLine("rewrites:");
            foreach (var r in plan.Rewrites) sb.AppendLine("  " + r);
        }
        sb.AppendLine(CultureInfo.InvariantCulture, $"optimized: {plan.Optimized}");
        var p = plan.Program;
        sb.AppendLine(CultureInfo.InvariantCulture, $"program ({p.Profile.Name}):");
        foreach (var step in p.Steps) sb.AppendLine(StepLine(step));
        sb.AppendLine(p.Result is { } result ? $"  read {p.Read.ToString().ToLowerInvariant()} of {result}" : "  result is empty: nothing to run");
        if (p.Profile == CapabilityProfile.Embedded)
        {
            sb.AppendLine("runs in process on the embedded store's bitmaps (no server, no temporaries)");
            return sb.ToString();
        }
        sb.AppendLine("commands:");
        var batch = RedisBatch.Build(p, RedisBatch.TempPrefix(keys), RedisBatch.LeasePrefix(keys) + LeasePlaceholder, tempTtlSeconds, leaseTtlSeconds);
        foreach (var line in batch.Lines()) sb.AppendLine("  " + line);
        return sb.ToString();
    }

    private static string StepLine(ProgramStep step) => step switch
    {
        BitOpStep b => $"  tmp{b.Target} = {b.Op.ToString().ToUpperInvariant()} {string.Join(" ", b.Sources)}",
        LiteralStep l => $"  tmp{l.Target} = literal {{{string.Join(", ", l.Ids)}}}",
        _ => "  " + step,
    };

    /// <summary>Prints a cohort table's plan: the statement, the rows, the counted sets, the program and its one batch.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="keys">The store's key scheme (names of the temporaries).</param>
    /// <param name="tempTtlSeconds">The temporaries' TTL in a MULTI/EXEC.</param>
    /// <param name="scripts">False when the store found that the server refuses scripts: the batch is then the MULTI/EXEC.</param>
    public static string Print(Cohorts.CohortPlan plan, Model.KeyScheme keys, int tempTtlSeconds = 60, bool scripts = true)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"query:     {plan.Query}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"now:       {plan.Now:yyyy-MM-dd'T'HH:mm:ss}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"rows:      {plan.Rows.Length} ({plan.Rows[0]} .. {plan.Rows[^1]}), {plan.Query.Cols + 1} cells each");
        sb.AppendLine(CultureInfo.InvariantCulture, $"counts:    {plan.Counted.Length} distinct sets (cohort sizes, return sizes, cells)");
        for (var i = 0; i < plan.Counted.Length; i++)
            sb.AppendLine(CultureInfo.InvariantCulture, $"  #{i} {plan.Counted[i]}  =>  {plan.Optimized[i]}");
        AppendCounts(sb, plan.Program, keys, tempTtlSeconds, scripts);
        return sb.ToString();
    }

    /// <summary>Prints counts planned into one batch: each count's plan, then the one program and its one batch.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="keys">The store's key scheme (names of the temporaries).</param>
    /// <param name="tempTtlSeconds">The temporaries' TTL in a MULTI/EXEC.</param>
    /// <param name="scripts">False when the store found that the server refuses scripts: the batch is then the MULTI/EXEC.</param>
    public static string Print(BatchPlan plan, Model.KeyScheme keys, int tempTtlSeconds = 60, bool scripts = true)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < plan.Queries.Length; i++)
        {
            var q = plan.Queries[i];
            sb.AppendLine(CultureInfo.InvariantCulture, $"#{i} query: {q.Query}");
            if (i == 0) sb.AppendLine(CultureInfo.InvariantCulture, $"now:       {q.Now:yyyy-MM-dd'T'HH:mm:ss}");
            sb.AppendLine(CultureInfo.InvariantCulture, $"bound:     {q.Bound}");
            if (q.Rewrites.Count > 0)
            {
                sb.AppendLine("rewrites:");
                foreach (var r in q.Rewrites) sb.AppendLine("  " + r);
            }
            sb.AppendLine(CultureInfo.InvariantCulture, $"optimized: {q.Optimized}");
        }
        AppendCounts(sb, plan.Program, keys, tempTtlSeconds, scripts);
        return sb.ToString();
    }

    /// <summary>A program of counts (a cohort table's, a batch of counts'), then how it runs on the back end.</summary>
    private static void AppendCounts(StringBuilder sb, CountsProgram p, Model.KeyScheme keys, int tempTtlSeconds, bool scripts)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"program ({p.Profile.Name}): {p.Steps.Length} steps, {p.TempCount} temporaries");
        foreach (var item in p.InOrder())
            sb.AppendLine(!item.IsRead ? StepLine(p.Steps[item.Step])
                : p.Reads[item.Read].Source is { } source ? $"  #{item.Read} = count {source}" : $"  #{item.Read} = 0 (empty set)");
        if (p.Profile == CapabilityProfile.Embedded)
        {
            sb.AppendLine("runs in process on the embedded store's bitmaps, in one pass under one read lock");
            return;
        }
        sb.AppendLine("commands (one round trip):");
        var lines = scripts && RedisCountsScript.CanRun(p)
            ? RedisCountsScript.Build(p, RedisBatch.TempPrefix(keys)).Explain()
            : RedisCountsBatch.Build(p, RedisBatch.TempPrefix(keys), tempTtlSeconds).Lines();
        foreach (var line in lines) sb.AppendLine("  " + line);
    }
}
