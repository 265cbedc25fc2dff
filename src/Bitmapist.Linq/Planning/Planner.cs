using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// Plans every statement a store runs - a query, a batch of counts, a cohort table - for one back end's
/// profile, at the store's "now": the one owner of both plan caches and of the plan log
/// (<see cref="Stores.StoreOptions.PlanLog"/>).
/// </summary>
internal sealed class Planner(Stores.StoreOptions options, Func<CapabilityProfile> profile)
{
    // 1024 plans, and at most about 64 MB of them (a plan of a 1 MB query is some megabytes).
    private readonly PlanCache<QueryPlan> _plans = new(1024, 64L << 20);

    // 16 tables (cohorts, trends, funnels), and at most about 64 MB of plans: one 1000 x 99 cohort table (some
    // 100,000 counted sets) fits alone.
    private readonly PlanCache<TablePlan> _tablePlans = new(16, 64L << 20);

    private DateTime Now => options.Clock.GetUtcNow().UtcDateTime;

    private BindContext Context(DateTime now, IReadOnlyDictionary<string, SetExpr>? parameters, IReadOnlyDictionary<string, uint>? externalIds) =>
        new(now, options.Keys, options.Universe, parameters, options.Tracking.Hourly, externalIds);

    /// <summary>Plans <paramref name="query"/> now, with the internal ids of the external ids it names when they were looked up.</summary>
    public QueryPlan Plan(SetQuery query, IReadOnlyDictionary<string, SetExpr>? parameters, IReadOnlyDictionary<string, uint>? externalIds = null) =>
        QueryPlan.Create(query, Context(Now, parameters, externalIds), profile(), _plans);

    /// <summary>The last batch of counts planned: asked again (a percent, a dashboard's counts), its program is reused.</summary>
    private BatchPlan? _lastCounts;

    /// <summary>Plans the counts of <paramref name="sets"/> as one program, now.</summary>
    public BatchPlan PlanCounts(IReadOnlyList<SetExpr> sets, IReadOnlyDictionary<string, SetExpr>? parameters,
        IReadOnlyDictionary<string, uint>? externalIds = null)
    {
        var plan = BatchPlan.Create([.. sets.Select(s => new SetQuery(s, ReadKind.Count))], Context(Now, parameters, externalIds), profile(), _plans,
            Volatile.Read(ref _lastCounts));
        Volatile.Write(ref _lastCounts, plan);
        return plan;
    }

    /// <summary>Plans the cohort table <paramref name="query"/> now (cancellation is checked as each row and set is planned).</summary>
    public Cohorts.CohortPlan Plan(Cohorts.CohortQuery query, IReadOnlyDictionary<string, SetExpr>? parameters, CancellationToken ct,
        IReadOnlyDictionary<string, uint>? externalIds = null) =>
        PlanTable(query.Text, parameters, externalIds, (context, profile) => Cohorts.CohortPlan.Create(query, context, profile, ct));

    /// <summary>Plans the trend <paramref name="query"/> now.</summary>
    public Trends.TrendPlan Plan(Trends.TrendQuery query, IReadOnlyDictionary<string, SetExpr>? parameters, CancellationToken ct,
        IReadOnlyDictionary<string, uint>? externalIds = null) =>
        PlanTable(query.Text, parameters, externalIds, (context, profile) => Trends.TrendPlan.Create(query, context, profile, ct));

    /// <summary>Plans the funnel <paramref name="query"/> now.</summary>
    public Trends.FunnelPlan Plan(Trends.FunnelQuery query, IReadOnlyDictionary<string, SetExpr>? parameters, CancellationToken ct,
        IReadOnlyDictionary<string, uint>? externalIds = null) =>
        PlanTable(query.Text, parameters, externalIds, (context, profile) => Trends.FunnelPlan.Create(query, context, profile, ct));

    private T PlanTable<T>(string text, IReadOnlyDictionary<string, SetExpr>? parameters, IReadOnlyDictionary<string, uint>? externalIds,
        Func<BindContext, CapabilityProfile, T> create)
        where T : TablePlan
    {
        var now = Now;
        var current = profile();
        // Parameters and looked-up external ids are values the statement's text does not hold: such a plan is not kept.
        if (parameters is not null || externalIds is not null) return create(Context(now, parameters, externalIds), current);
        // Planning a table binds and optimizes hundreds of sets (a third of a 31 x 13 cohort table's time on Redis;
        // docs/performance.md, suite 8). The plan depends on "now" only through periods, the smallest of
        // which is the hour, so a table asked again within the hour reuses it. The statement's text names its kind.
        var key = $"{text}\n{now:yyyy-MM-dd'T'HH}";
        if (_tablePlans.TryGet(key, out var known) && known is T && known.Program.Profile == current) return (T)(known with { Now = now });
        var plan = create(Context(now, null, null), current);
        _tablePlans.Add(key, plan, plan.EstimatedBytes);
        return plan;
    }

    /// <summary>Hands a plan that is about to run to the plan log, if one is configured.</summary>
    public void Log(QueryPlan plan) => options.PlanLog?.Invoke(plan);

    /// <summary>The plan caches' contents (plans, estimated bytes), for tests of their bounds.</summary>
    public (int QueryPlans, long QueryBytes, int CohortPlans, long CohortBytes) CacheUse =>
        (_plans.Count, _plans.Bytes, _tablePlans.Count, _tablePlans.Bytes);
}
