using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tracking;

/// <summary>
/// Many marks sent in one round trip, applied atomically (on Redis one script that checks every key's type
/// before it writes): either every bit of the batch is written or, if the store fails, none is. Ids are validated when added, before any I/O.
/// </summary>
public sealed class MarkBatch
{
    private readonly BitmapStore _store;
    private readonly List<BitWrite> _writes = [];

    // Writes of users named by external id: mapped to internal ids when the batch runs, all in one id map call.
    private readonly List<(string Key, string ExternalId, bool Value)> _external = [];

    internal MarkBatch(BitmapStore store) => _store = store;

    /// <summary>Bit writes queued so far.</summary>
    public int Count => _writes.Count + _external.Count;

    /// <summary>Queues a mark of <paramref name="eventName"/> for <paramref name="userId"/> at <paramref name="at"/> (default now, UTC).</summary>
    public MarkBatch Mark(string eventName, long userId, DateTime? at = null) => Add(eventName, userId, at, true);

    /// <summary>Queues an unmark (clears the same bits a mark sets).</summary>
    public MarkBatch Unmark(string eventName, long userId, DateTime? at = null) => Add(eventName, userId, at, false);

    /// <summary>Queues setting the unique flag.</summary>
    public MarkBatch MarkUnique(string eventName, long userId) => AddUnique(eventName, userId, true);

    /// <summary>Queues clearing the unique flag.</summary>
    public MarkBatch UnmarkUnique(string eventName, long userId) => AddUnique(eventName, userId, false);

    /// <summary>Queues a mark of the user with external id <paramref name="externalId"/> (mapped through the store's id map when the batch runs).</summary>
    /// <exception cref="InvalidOperationException">The store has no id map (<see cref="StoreOptions.IdMap"/>).</exception>
    /// <exception cref="ArgumentException">The external id cannot be mapped.</exception>
    public MarkBatch Mark(string eventName, string externalId, DateTime? at = null) => AddExternal(eventName, externalId, at, true);

    /// <summary>Queues an unmark of the user with external id <paramref name="externalId"/> (nothing when it has no internal id).</summary>
    public MarkBatch Unmark(string eventName, string externalId, DateTime? at = null) => AddExternal(eventName, externalId, at, false);

    /// <summary>Queues setting the unique flag of the user with external id <paramref name="externalId"/>.</summary>
    public MarkBatch MarkUnique(string eventName, string externalId)
    {
        CheckExternal(externalId);
        _external.Add((_store.Keys.Key(eventName, Period.Unique), externalId, true));
        return this;
    }

    /// <summary>
    /// Sends every queued write in one round trip and clears the batch. Writes by external id first get their internal
    /// ids from the store's id map (one more round trip, before the marks): a mark creates a missing mapping, an unmark
    /// does not. The mapping is kept even if the marks then fail; sending the batch again is safe.
    /// </summary>
    public async Task ExecuteAsync(CancellationToken ct = default)
    {
        if (Count == 0) return;
        var writes = _writes.ToList();
        if (_external.Count > 0) writes.AddRange(await MapExternalAsync(ct).ConfigureAwait(false));
        if (writes.Count > 0) await _store.WriteBitsAsync(writes, ct).ConfigureAwait(false);
        _writes.Clear();
        _external.Clear();
    }

    private async Task<IEnumerable<BitWrite>> MapExternalAsync(CancellationToken ct)
    {
        var map = _store.RequireIdMap("Marking by external id");
        // Only users with a set bit get an internal id made for them; clearing needs one that exists.
        string[] creating = [.. _external.Where(w => w.Value).Select(w => w.ExternalId).Distinct(StringComparer.Ordinal)];
        string[] finding = [.. _external.Where(w => !w.Value).Select(w => w.ExternalId).Distinct(StringComparer.Ordinal).Except(creating, StringComparer.Ordinal)];
        var created = await map.GetOrCreateAsync(creating, ct).ConfigureAwait(false);
        var found = finding.Length == 0 ? [] : await map.FindAsync(finding, ct).ConfigureAwait(false);
        var ids = new Dictionary<string, uint>(StringComparer.Ordinal);
        for (var i = 0; i < creating.Length; i++) ids[creating[i]] = created[i];
        for (var i = 0; i < finding.Length; i++) if (found[i] is { } id) ids[finding[i]] = id;
        return _external.Where(w => ids.ContainsKey(w.ExternalId)).Select(w => new BitWrite(w.Key, ids[w.ExternalId], w.Value));
    }

    private MarkBatch AddExternal(string eventName, string externalId, DateTime? at, bool value)
    {
        CheckExternal(externalId);
        var when = at ?? _store.Now;
        foreach (var key in MarkKeys.For(_store.Keys, eventName, when, _store.Options.Tracking))
            _external.Add((key, externalId, value));
        return this;
    }

    // Checked when queued, before any I/O: a missing id map or a bad id fails the call that added it.
    private void CheckExternal(string externalId)
    {
        _store.RequireIdMap("Marking by external id");
        IdMapping.IdMap.ValidateExternalId(externalId, nameof(externalId));
    }

    private MarkBatch Add(string eventName, long userId, DateTime? at, bool value)
    {
        var bit = UserIds.Validate(userId, nameof(userId));
        var when = at ?? _store.Now;
        foreach (var key in MarkKeys.For(_store.Keys, eventName, when, _store.Options.Tracking))
            _writes.Add(new BitWrite(key, bit, value));
        return this;
    }

    private MarkBatch AddUnique(string eventName, long userId, bool value)
    {
        var bit = UserIds.Validate(userId, nameof(userId));
        _writes.Add(new BitWrite(_store.Keys.Key(eventName, Period.Unique), bit, value));
        return this;
    }
}
