namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// The embedded engine's id maps: one <see cref="Lane"/> per id map lane, keyed by the lane's forward key. Not
/// thread-safe: the engine calls it under its lock (reads under the read lock, changes under the write lock).
/// </summary>
internal sealed class IdMapTables
{
    /// <summary>One lane's forward and reverse maps, its counter and its erasures in progress.</summary>
    internal sealed class Lane
    {
        public Dictionary<string, uint> Forward { get; } = new(StringComparer.Ordinal);
        public Dictionary<uint, string> Reverse { get; } = [];
        public Dictionary<string, uint> Erasing { get; } = new(StringComparer.Ordinal);
        public long Next { get; set; }
    }

    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    /// <summary>Every lane, by its forward key (saving a snapshot).</summary>
    public IReadOnlyDictionary<string, Lane> All => _lanes;

    /// <summary>The lane stored under <paramref name="forwardKey"/>, or null.</summary>
    public Lane? Find(string forwardKey) => _lanes.GetValueOrDefault(forwardKey);

    /// <summary>The lane stored under <paramref name="forwardKey"/>, created empty when missing.</summary>
    public Lane Get(string forwardKey)
    {
        if (!_lanes.TryGetValue(forwardKey, out var lane)) _lanes[forwardKey] = lane = new Lane();
        return lane;
    }
}
