using System.Collections.Concurrent;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// Plans of one store (<see cref="QueryPlan"/>s keyed by the bound query and its read, cohort plans keyed by the
/// table and the hour), bounded by count and by estimated bytes. Planning a deep query costs a fifth of a
/// latency-bound round trip (docs/performance.md, suite 4); a dashboard asks the same questions again and again.
/// A count alone did not bound memory: 64 cohort plans of large tables held 2.7 GB in a long-running
/// <c>cohort --serve</c>, and 1024 plans of 1 MB queries would hold gigabytes. When an entry would pass either
/// bound the cache is emptied and refills with the plans in use; an entry larger than the whole byte budget is
/// not kept. Lookups take no lock; adds do, so the totals stay exact.
/// </summary>
/// <typeparam name="TPlan">The plan type.</typeparam>
/// <param name="maxEntries">The most plans kept.</param>
/// <param name="maxBytes">The most estimated bytes kept.</param>
internal sealed class PlanCache<TPlan>(int maxEntries, long maxBytes) where TPlan : class
{
    private readonly ConcurrentDictionary<string, (TPlan Plan, long Bytes)> _plans = new(StringComparer.Ordinal);
    private readonly Lock _adding = new();
    private long _bytes;

    /// <summary>The most plans kept.</summary>
    public int MaxEntries => maxEntries;

    /// <summary>The most estimated bytes kept.</summary>
    public long MaxBytes => maxBytes;

    /// <summary>Plans held now.</summary>
    public int Count => _plans.Count;

    /// <summary>The estimated bytes of the plans held now.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    public bool TryGet(string key, out TPlan plan)
    {
        var found = _plans.TryGetValue(key, out var entry);
        plan = entry.Plan;
        return found;
    }

    /// <summary>Keeps <paramref name="plan"/>, whose estimated size (its key included) is <paramref name="bytes"/>.</summary>
    public void Add(string key, TPlan plan, long bytes)
    {
        bytes += 2L * key.Length;
        if (bytes > maxBytes) return;
        lock (_adding)
        {
            if (_plans.TryRemove(key, out var old)) Interlocked.Add(ref _bytes, -old.Bytes);
            if (_plans.Count >= maxEntries || Bytes + bytes > maxBytes)
            {
                _plans.Clear();
                Interlocked.Exchange(ref _bytes, 0);
            }
            _plans[key] = (plan, bytes);
            Interlocked.Add(ref _bytes, bytes);
        }
    }
}
