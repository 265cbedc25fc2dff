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
    /// <summary>Plans the counts of <paramref name="queries"/> as one program.</summary>
    internal static BatchPlan Create(IReadOnlyList<Query.SetQuery> queries, BindContext context, CapabilityProfile profile, PlanCache<QueryPlan>? cache)
    {
        var plans = queries.Select(q => QueryPlan.Create(q, context, profile, cache)).ToImmutableArray();
        return new BatchPlan(plans, ProgramEmitter.EmitCounts([.. plans.Select(p => p.Optimized)], profile));
    }
}
