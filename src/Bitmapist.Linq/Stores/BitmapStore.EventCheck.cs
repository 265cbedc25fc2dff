using System.Collections.Concurrent;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Stores;

// The check for events that exist nowhere in the store (a misspelt name reads as the empty set and gives 0).
public partial class BitmapStore
{
    /// <summary>Most keys of one event the existence check asks about: a long hour range reads up to 100,000.</summary>
    internal const int MaxCheckedKeysPerEvent = 1024;

    /// <summary>Most event names remembered as existing; the memory is dropped when full.</summary>
    private const int MaxKnownEvents = 4096;

    /// <summary>How long an event found to have no key at all is taken as missing without another SCAN (on the store's clock).</summary>
    internal static readonly TimeSpan MissingMemory = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long one check may spend looking through the key space (the SCAN for an event's keys in other periods and
    /// the listing for suggestions), in real time. On a Redis of millions of keys a full SCAN takes seconds and blocks
    /// the server a millisecond per page, and every CLI run is a new process with nothing remembered: past the budget
    /// the check stops and an undecided event gets no warning (an event known missing keeps its warning, without
    /// suggestions). Internal and settable for tests.
    /// </summary>
    internal TimeSpan EventCheckScanBudget { get; set; } = TimeSpan.FromMilliseconds(500);

    // Events seen to have a key. An event rarely disappears, so once seen it is not asked about again: after the
    // first check a correct query costs nothing. DeleteEventsAsync and DeleteAsync forget the names they touch.
    private readonly ConcurrentDictionary<string, byte> _knownEvents = new(StringComparer.Ordinal);

    // Events found to have no key, with their suggestions, until when. A misspelt query run again and again (a
    // configured query on every request) then costs its EXISTS round trip, not a SCAN of the whole key space each time.
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, IReadOnlyList<string> Suggestions)> _missingEvents = new(StringComparer.Ordinal);

    /// <summary>
    /// Warns about every event <paramref name="set"/> reads that has no key in any period of this store: most likely
    /// a misspelt name, which reads as the empty set (so <c>count month(actve)</c> is 0). Each warning names the
    /// store's closest event names. An event with data in other periods only is not warned about.
    /// </summary>
    /// <remarks>
    /// Separate from the query on purpose: the LINQ reads return plain numbers, and the query's own batch is left
    /// unchanged. The cost: nothing for an event already seen by this store object; otherwise one round trip of
    /// EXISTS over the keys the query reads (in memory on the embedded store). Only when none of an event's keys
    /// exists does the store look further, with a SCAN for any key of the event (and a listing of the event names
    /// for the suggestions when there is none): the rare path of a misspelt name. An event found missing is taken as
    /// missing for a minute without another SCAN, unless an EXISTS finds one of its keys. Creates no keys.
    /// </remarks>
    /// <param name="set">The set a query reads.</param>
    /// <param name="parameters">Values of its <c>@name</c> parameters, if it has any.</param>
    /// <param name="ct">Cancels the check.</param>
    /// <returns>One warning per missing event, sorted by name; empty when every event exists.</returns>
    /// <exception cref="BitmapistQueryException">The set cannot be bound (the same error the query itself gives).</exception>
    /// <exception cref="BitmapistStoreException">The store cannot be reached.</exception>
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(SetExpr set, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        return CheckEventsAsync([parameters is { Count: > 0 } ? set.WithParameters(parameters) : set], ct);
    }

    /// <summary>
    /// Warns about every event the cohort table <paramref name="query"/> reads that has no key in any period of this
    /// store, as <see cref="CheckEventsAsync(SetExpr, IReadOnlyDictionary{string, SetExpr}?, CancellationToken)"/> does for a set.
    /// </summary>
    /// <param name="query">The cohort table.</param>
    /// <param name="parameters">Values of its <c>@name</c> parameters, if it has any.</param>
    /// <param name="ct">Cancels the check.</param>
    /// <returns>One warning per missing event, sorted by name; empty when every event exists.</returns>
    /// <exception cref="BitmapistQueryException">The table cannot be planned (the same error computing it gives).</exception>
    /// <exception cref="BitmapistStoreException">The store cannot be reached.</exception>
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(Cohorts.CohortQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        // The plan's sets are the cells as read (templates placed in each row's periods); a table asked without
        // parameters reuses the plan its computation cached.
        return CheckEventsAsync(Plan(query, parameters is { Count: > 0 } ? parameters : null, ct).Counted, ct);
    }

    /// <summary>Warns about every event the trend <paramref name="query"/> reads that has no key in any period of this store.</summary>
    /// <exception cref="BitmapistQueryException">The trend cannot be planned (the same error computing it gives).</exception>
    /// <exception cref="BitmapistStoreException">The store cannot be reached.</exception>
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(Trends.TrendQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return CheckEventsAsync(Plan(query, parameters is { Count: > 0 } ? parameters : null, ct).Counted, ct);
    }

    /// <summary>Warns about every event the funnel <paramref name="query"/> reads that has no key in any period of this store.</summary>
    /// <exception cref="BitmapistQueryException">The funnel cannot be planned (the same error computing it gives).</exception>
    /// <exception cref="BitmapistStoreException">The store cannot be reached.</exception>
    public Task<IReadOnlyList<EventWarning>> CheckEventsAsync(Trends.FunnelQuery query, IReadOnlyDictionary<string, SetExpr>? parameters = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return CheckEventsAsync(Plan(query, parameters is { Count: > 0 } ? parameters : null, ct).Counted, ct);
    }

    private async Task<IReadOnlyList<EventWarning>> CheckEventsAsync(IEnumerable<SetExpr> sets, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var unknown = EventNodes(sets).Where(e => !_knownEvents.ContainsKey(e.Key)).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        if (unknown.Count == 0) return [];

        // 1. One round trip: does any key the query reads exist, per event?
        var context = new BindContext(Now, Keys, HourlyTracked: Options.Tracking.Hourly);
        var groups = unknown.Select(e => (IReadOnlyList<string>)ReadKeys(e.Value, context)).ToList();
        var exists = await AnyKeyExistsAsync(groups, ct).ConfigureAwait(false);
        var missing = new List<string>();
        for (var i = 0; i < unknown.Count; i++)
            if (exists[i]) Remember(unknown[i].Key);
            else missing.Add(unknown[i].Key);
        if (missing.Count == 0) return [];

        // 2. The rare path: an event with no data in the periods read may still have keys in others. The key space
        //    is searched within a time budget (see EventCheckScanBudget); past it, what is undecided is not warned about.
        var now = Clock.GetUtcNow();
        var warnings = new List<EventWarning>();
        var absent = new List<string>();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (EventCheckScanBudget > TimeSpan.Zero) budget.CancelAfter(EventCheckScanBudget);
        else budget.Cancel(); // CancelAfter(0) fires on a timer thread, later
        try
        {
            foreach (var name in missing)
                if (_missingEvents.TryGetValue(name, out var m) && m.Until > now) warnings.Add(new EventWarning(name, m.Suggestions));
                else if (await HasAnyKeyAsync(name, budget.Token).ConfigureAwait(false)) Remember(name);
                else absent.Add(name);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Out of time: the events found missing so far are reported, the rest are not known either way.
        }

        // 3. A name with no key at all: suggest the stored names closest to it (none if the listing runs out of time).
        if (absent.Count > 0)
        {
            IReadOnlyList<string> known = [];
            var complete = false;
            try
            {
                known = await ListEventsAsync("", budget.Token).ConfigureAwait(false);
                complete = true;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }
            if (_missingEvents.Count >= MaxKnownEvents) _missingEvents.Clear();
            foreach (var name in absent)
            {
                var suggestions = Suggest(name, known);
                // Suggestions from a cut-short listing are not remembered: the next check may find them.
                if (complete) _missingEvents[name] = (now + MissingMemory, suggestions);
                warnings.Add(new EventWarning(name, suggestions));
            }
        }
        return [.. warnings.OrderBy(w => w.EventName, StringComparer.Ordinal)];
    }

    /// <summary>The event-reading nodes of the sets (events, ranges, unique flags), grouped by event name; shared subtrees are walked once.</summary>
    private static Dictionary<string, List<SetExpr>> EventNodes(IEnumerable<SetExpr> sets)
    {
        var byEvent = new Dictionary<string, List<SetExpr>>(StringComparer.Ordinal);
        var visited = new HashSet<SetExpr>();
        var pending = new Stack<SetExpr>(sets);
        while (pending.Count > 0)
        {
            var e = pending.Pop();
            if (!visited.Add(e)) continue;
            var name = e switch
            {
                EventNode n => n.EventName,
                EventRangeNode r => r.EventName,
                UniqueNode u => u.EventName,
                _ => null, // raw keys, literals, the universe, unbound parameters: no event name to check
            };
            if (name is not null)
            {
                if (!byEvent.TryGetValue(name, out var nodes)) byEvent[name] = nodes = [];
                nodes.Add(e);
                continue;
            }
            foreach (var child in e.Children) pending.Push(child);
        }
        return byEvent;
    }

    /// <summary>The stored keys the event's nodes read (at most <see cref="MaxCheckedKeysPerEvent"/>: if none of those exists the scan decides).</summary>
    private static List<string> ReadKeys(List<SetExpr> nodes, BindContext context)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<SetExpr>(nodes.Select(n => Binder.Bind(n, context)));
        while (pending.Count > 0 && keys.Count < MaxCheckedKeysPerEvent)
        {
            var e = pending.Pop();
            if (e is KeyNode k) keys.Add(k.StoredKey);
            else foreach (var child in e.Children) pending.Push(child);
        }
        return [.. keys];
    }

    /// <summary>Whether any key of <paramref name="eventName"/> exists in any period: a SCAN that stops at the first.</summary>
    private async Task<bool> HasAnyKeyAsync(string eventName, CancellationToken ct)
    {
        // The pattern also matches longer names ("active_x" for "active"): parsing the key tells them apart.
        await foreach (var key in ScanAsync(Keys.ScanPattern(eventName + "_"), ct).ConfigureAwait(false))
            if (Keys.TryParse(key, out var name, out _) && string.Equals(name, eventName, StringComparison.Ordinal))
                return true;
        return false;
    }

    private void Remember(string eventName)
    {
        _missingEvents.TryRemove(eventName, out _);
        if (_knownEvents.Count >= MaxKnownEvents) _knownEvents.Clear();
        _knownEvents.TryAdd(eventName, 0);
    }

    /// <summary>Forgets the remembered events starting with <paramref name="namePrefix"/>, whose keys were just deleted.</summary>
    private void ForgetEvents(string namePrefix)
    {
        foreach (var name in _knownEvents.Keys)
            if (name.StartsWith(namePrefix, StringComparison.Ordinal)) _knownEvents.TryRemove(name, out _);
    }

    /// <summary>Up to three stored names nearest to <paramref name="eventName"/> (ignoring case), within a few edits.</summary>
    internal static IReadOnlyList<string> Suggest(string eventName, IEnumerable<string> known)
    {
        var word = eventName.ToLowerInvariant();
        var limit = Math.Max(2, eventName.Length / 3);
        return [.. known
            .Select(name => (Name: name, Distance: Text.TextQuery.Distance(word, name.ToLowerInvariant())))
            .Where(c => c.Distance <= limit && c.Name != eventName)
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Take(3)
            .Select(c => c.Name)];
    }

    /// <summary>For each group of keys, whether at least one of them exists; every group in one round trip.</summary>
    private Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct) => Live.AnyKeyExistsAsync(groups, ct);
}
