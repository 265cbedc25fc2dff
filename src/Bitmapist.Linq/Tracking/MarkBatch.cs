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

    internal MarkBatch(BitmapStore store) => _store = store;

    /// <summary>Bit writes queued so far.</summary>
    public int Count => _writes.Count;

    /// <summary>Queues a mark of <paramref name="eventName"/> for <paramref name="userId"/> at <paramref name="at"/> (default now, UTC).</summary>
    public MarkBatch Mark(string eventName, long userId, DateTime? at = null) => Add(eventName, userId, at, true);

    /// <summary>Queues an unmark (clears the same bits a mark sets).</summary>
    public MarkBatch Unmark(string eventName, long userId, DateTime? at = null) => Add(eventName, userId, at, false);

    /// <summary>Queues setting the unique flag.</summary>
    public MarkBatch MarkUnique(string eventName, long userId) => AddUnique(eventName, userId, true);

    /// <summary>Queues clearing the unique flag.</summary>
    public MarkBatch UnmarkUnique(string eventName, long userId) => AddUnique(eventName, userId, false);

    /// <summary>Sends every queued write in one round trip and clears the batch.</summary>
    public async Task ExecuteAsync(CancellationToken ct = default)
    {
        if (_writes.Count == 0) return;
        await _store.WriteBitsAsync(_writes.ToArray(), ct).ConfigureAwait(false);
        _writes.Clear();
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
