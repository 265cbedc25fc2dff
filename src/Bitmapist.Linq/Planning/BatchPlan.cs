using System.Collections.Immutable;
using Bitmapist.Linq.Backends;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// Several counts planned into one program, so they run as one batch (one round trip on Redis) and see the
/// same data: the two counts of a <c>percent</c>, for example. Each query keeps its own plan (bound,
/// optimized, rewrites) for explain; the program computes equal sub-expressions of different counts once.
/// </summary>
/// <param name="Queries">Each count's own plan, in the order of the counts.</param>
/// <param name="Program">The one program reading every count, in the same order.</param>
public sealed record BatchPlan(ImmutableArray<QueryPlan> Queries, BatchProgram Program)
{
    /// <summary>
    /// Plans the counts of <paramref name="queries"/> as one program. When every count's optimized set is the very one
    /// <paramref name="previous"/> was emitted from (the query plan cache hands back the same set for the same bound
    /// query), its program is reused: the same sets make the same program, and a back end that prepares a program once
    /// (the counts script's arguments, the sharded layout's joined batch) finds it again.
    /// </summary>
    internal static BatchPlan Create(IReadOnlyList<Query.SetQuery> queries, BindContext context, CapabilityProfile profile, PlanCache<QueryPlan>? cache,
        BatchPlan? previous = null)
    {
        var plans = queries.Select(q => QueryPlan.Create(q, context, profile, cache)).ToImmutableArray();
        if (previous is not null && previous.Program.Profile == profile && previous.Queries.Length == plans.Length &&
            plans.Select((p, i) => ReferenceEquals(p.Optimized, previous.Queries[i].Optimized)).All(same => same))
            return new BatchPlan(plans, previous.Program);
        return new BatchPlan(plans, ProgramEmitter.EmitCounts([.. plans.Select(p => p.Optimized)], profile));
    }
}
