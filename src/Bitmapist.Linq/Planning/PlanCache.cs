using System.Collections.Concurrent;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// Optimized plans of one store, keyed by the bound query (periods resolved, parameters bound) and its read.
/// Planning a deep query costs a fifth of a latency-bound round trip (docs/performance.md, suite 4); a
/// dashboard asks the same questions again and again. Bounded: when full, it is emptied and refills with
/// the plans in use. The universe and the profile are fixed per store, so they need no place in the key.
/// </summary>
internal sealed class PlanCache(int capacity = 1024)
{
    private readonly ConcurrentDictionary<string, QueryPlan> _plans = new(StringComparer.Ordinal);

    public int Count => _plans.Count;

    public bool TryGet(string key, out QueryPlan plan) => _plans.TryGetValue(key, out plan!);

    public void Add(string key, QueryPlan plan)
    {
        if (_plans.Count >= capacity) _plans.Clear();
        _plans[key] = plan;
    }
}
