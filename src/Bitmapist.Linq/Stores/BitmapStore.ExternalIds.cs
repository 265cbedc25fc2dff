using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Stores;

public partial class BitmapStore
{
    /// <summary>
    /// The internal ids of every external id that <paramref name="roots"/> (and the parameters' values) name in literal
    /// sets (<see cref="ExternalIdsNode"/>), looked up in the store's id map in one call per lane, before planning; null
    /// when they name none (the common case: a walk of the tree, no I/O). Unmapped ids are left out.
    /// </summary>
    /// <exception cref="InvalidOperationException">They name some and the store has no id map.</exception>
    internal async Task<IReadOnlyDictionary<string, uint>?> LookUpExternalIdsAsync(
        IEnumerable<SetExpr?> roots, IReadOnlyDictionary<string, SetExpr>? parameters, CancellationToken ct)
    {
        var named = ExternalIdsIn(roots, parameters);
        return named is null ? null : await LookUpAsync(named, ct).ConfigureAwait(false);
    }

    /// <summary>The internal ids of <paramref name="named"/>'s members that have one.</summary>
    private async Task<IReadOnlyDictionary<string, uint>> LookUpAsync(ExternalIdsNode named, CancellationToken ct)
    {
        var map = RequireIdMap($"The literal {named.Text}");
        var found = await map.FindAsync(named.Members, ct).ConfigureAwait(false);
        var ids = new Dictionary<string, uint>(StringComparer.Ordinal);
        for (var i = 0; i < found.Length; i++) if (found[i] is { } id) ids[named.Members[i]] = id;
        return ids;
    }

    /// <summary>
    /// <see cref="LookUpExternalIdsAsync"/> for the synchronous entry points (planning and explain): it waits for the
    /// lookup, a round trip on Redis, only when the statement names external ids.
    /// </summary>
    internal IReadOnlyDictionary<string, uint>? LookUpExternalIds(IEnumerable<SetExpr?> roots, IReadOnlyDictionary<string, SetExpr>? parameters) =>
        ExternalIdsIn(roots, parameters) is { } named ? LookUpAsync(named, CancellationToken.None).GetAwaiter().GetResult() : null;

    /// <summary>Every external id named in <paramref name="roots"/> and the parameters' values, as one literal; null when none.</summary>
    private static ExternalIdsNode? ExternalIdsIn(IEnumerable<SetExpr?> roots, IReadOnlyDictionary<string, SetExpr>? parameters)
    {
        List<string>? found = null;
        void Walk(SetExpr node)
        {
            if (node is ExternalIdsNode x) (found ??= []).AddRange(x.Members);
            foreach (var child in node.Children) Walk(child);
        }
        foreach (var root in roots) if (root is not null) Walk(root);
        if (parameters is not null) foreach (var value in parameters.Values) Walk(value);
        return found is null ? null : (ExternalIdsNode)SetExpr.ExternalIds(found);
    }

    private static SetExpr?[] RootsOf(Cohorts.CohortQuery q) => [q.Cohort, q.Return];

    private static SetExpr?[] RootsOf(Trends.TrendQuery q) => [q.Template, q.Of?.Template];

    private static SetExpr?[] RootsOf(Trends.FunnelQuery q) => [.. q.Steps];
}
