using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>Every stage's output for one query, kept together so explain can show each of them.</summary>
/// <param name="Query">The statement as written.</param>
/// <param name="Now">The clock reading used to resolve relative periods.</param>
/// <param name="Bound">The set over stored keys.</param>
/// <param name="Optimized">The set after the rules.</param>
/// <param name="Rewrites">The rule applications, in order.</param>
/// <param name="Program">The physical program for the store's profile.</param>
public sealed record QueryPlan(SetQuery Query, DateTime Now, SetExpr Bound, SetExpr Optimized, IReadOnlyList<string> Rewrites, BatchProgram Program)
{
    /// <summary>Plans <paramref name="query"/>: bind, optimize, emit.</summary>
    internal static QueryPlan Create(SetQuery query, BindContext context, CapabilityProfile profile, PlanCache<QueryPlan>? cache = null)
    {
        var bound = Binder.Bind(query.Set, context);
        // Binding resolved "now" and the parameters, so the bound text (with the read) decides the rest of the
        // plan: a repeated query skips the optimizer and the emitter.
        var key = cache is null ? null : $"{(int)query.Read}:{query.Id}:{bound.Text}";
        // A plan emitted for another profile is not reused: a back end may change its profile (the planner reads it
        // at every plan), and a program with BITOP DIFF must not reach a server that no longer has it.
        if (key is not null && cache!.TryGet(key, out var known) && known.Program.Profile == profile)
            return known with { Query = query, Now = context.Now, Bound = bound };
        var universe = context.Universe is null ? null : Binder.Bind(context.Universe, context);
        var rewrites = new RewriteTrace();
        var optimized = Optimizer.Optimize(bound, universe, rewrites.Add, query.Set);
        var program = ProgramEmitter.Emit(optimized, query.Read, query.Id, profile);
        var plan = new QueryPlan(query, context.Now, bound, optimized, rewrites, program);
        if (key is not null) cache!.Add(key, plan, plan.EstimatedBytes);
        return plan;
    }

    /// <summary>
    /// A rough size for the plan cache's byte bound: the bound set's text (which the key prints anyway; 2 bytes a
    /// character) about four times over for its nodes and the optimized set's, plus the rewrite trace (unprinted: a node or two each) and the steps (a literal step holds its ids).
    /// </summary>
    internal long EstimatedBytes => 8L * Bound.Text.Length + 256L * Rewrites.Count + Program.Steps.Sum(s => s is LiteralStep l ? 128L + 4L * l.Ids.Length : 128L);
}
