namespace Bitmapist.Linq.Backends.Embedded;

/// <summary>
/// The embedded engine's id maps: one <see cref="Lane"/> per id map lane, keyed by the lane's forward key. Not
/// thread-safe: the engine calls it under its lock (reads under the read lock, changes under the write lock).
/// </summary>
internal sealed class IdMapTables
{
    /// <summary>One lane's forward and reverse maps, its counter and its erasures in progress.</summary>
    /// <remarks>
    /// The reverse map is mostly derived: it holds the forward map's ids and the erasing ones (an erasure forgets the
    /// reverse mapping only when it ends), so a snapshot stores forward, erasing and the counter, and <see cref="Add"/>
    /// rebuilds it; a lane filled by a migration between layouts may hold reverse mappings of other lanes' external ids
    /// and miss some of its own, which the snapshot lists apart.
    /// </remarks>
    internal sealed class Lane
    {
        public Dictionary<string, uint> Forward { get; } = new(StringComparer.Ordinal);
        public Dictionary<uint, string> Reverse { get; } = [];
        public Dictionary<string, uint> Erasing { get; } = new(StringComparer.Ordinal);
        public long Next { get; set; }

        /// <summary>
        /// Adds a mapping read from a snapshot, to the forward map or (with <paramref name="erasing"/>) to the erasures
        /// in progress, and to the reverse map. False when the external id or the internal id is already there: a
        /// snapshot the engine wrote never holds either twice.
        /// </summary>
        public bool Add(string externalId, uint id, bool erasing) =>
            (erasing ? Erasing : Forward).TryAdd(externalId, id) && Reverse.TryAdd(id, externalId);

        /// <summary>
        /// Bytes the lane's maps hold: each dictionary's entries and buckets at its capacity (about 24 + 4 bytes a
        /// slot), and each external id string once (the forward and reverse maps share it).
        /// </summary>
        public long MemoryBytes
        {
            get
            {
                const int slot = 24 + 4;
                long bytes = 64 * 3 + slot * ((long)Forward.EnsureCapacity(0) + Reverse.EnsureCapacity(0) + Erasing.EnsureCapacity(0));
                // A string object: 8-byte header, method table, length, the UTF-16 characters and a terminator, in 8-byte steps.
                foreach (var externalId in Reverse.Values) bytes += (22 + externalId.Length * 2 + 7) & ~7;
                return bytes;
            }
        }
    }

    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    /// <summary>Every lane, by its forward key (saving a snapshot).</summary>
    public IReadOnlyDictionary<string, Lane> All => _lanes;

    /// <summary>Bytes held by every lane's maps (<see cref="Lane.MemoryBytes"/>), for memory comparisons.</summary>
    public long MemoryBytes => _lanes.Sum(l => l.Value.MemoryBytes + l.Key.Length * 2 + 48);

    /// <summary>The lane stored under <paramref name="forwardKey"/>, or null.</summary>
    public Lane? Find(string forwardKey) => _lanes.GetValueOrDefault(forwardKey);

    /// <summary>The lane stored under <paramref name="forwardKey"/>, created empty when missing.</summary>
    public Lane Get(string forwardKey)
    {
        if (!_lanes.TryGetValue(forwardKey, out var lane)) _lanes[forwardKey] = lane = new Lane();
        return lane;
    }
}
