using System.Globalization;

namespace Bitmapist.Linq.Model;

/// <summary>
/// How a store spreads its bitmaps over keys. <see cref="Bitmapist"/> is bitmapist's own layout, one key per event
/// and period (what the Python library reads and writes; the default). <see cref="Sharded"/> splits the id space
/// into shards of 2^<see cref="ShardBits"/> ids, one key per event, period and shard, every key of a shard under one
/// Redis hash tag: each shard's batch runs in one slot, so it works on Redis Cluster (which needs it), and on one
/// Redis a huge id costs one small key instead of a string as long as the id. A store's layout is fixed when it is
/// first written: a marker key records it, and a store opened with another layout is refused.
/// </summary>
public sealed record KeyLayout
{
    /// <summary>The default shard width: 2^20 ids per shard (as FeatureBase/Pilosa), 128 KiB per key.</summary>
    public const int DefaultShardBits = 20;

    /// <summary>The narrowest shard: 2^8 ids (for tests whose small ids must cross shards).</summary>
    public const int MinShardBits = 8;

    /// <summary>The widest shard: 2^24 ids, 2 MiB per key.</summary>
    public const int MaxShardBits = 24;

    private KeyLayout(int? shardBits) => ShardBits = shardBits;

    /// <summary>bitmapist's layout: <c>{prefix}{event}_{period}</c>, readable by the Python library.</summary>
    public static KeyLayout Bitmapist { get; } = new((int?)null);

    /// <summary>The sharded layout with shards of 2^<paramref name="shardBits"/> ids.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardBits"/> is outside [8, 24].</exception>
    public static KeyLayout Sharded(int shardBits = DefaultShardBits)
    {
        if (shardBits is < MinShardBits or > MaxShardBits)
            throw new ArgumentOutOfRangeException(nameof(shardBits), shardBits,
                $"A shard width must be {MinShardBits} to {MaxShardBits} bits (2^{MinShardBits} to 2^{MaxShardBits} ids per shard); the default is {DefaultShardBits}.");
        return new KeyLayout(shardBits);
    }

    /// <summary>The shard width in bits for the sharded layout; null for bitmapist's.</summary>
    public int? ShardBits { get; }

    /// <summary>True for the sharded layout.</summary>
    public bool IsSharded => ShardBits is not null;

    /// <summary>Reads <c>bitmapist</c>, <c>sharded</c> or <c>sharded:K</c> (case-insensitive), as the CLI's <c>--layout</c> takes it.</summary>
    /// <exception cref="FormatException">Anything else, with what is accepted.</exception>
    public static KeyLayout Parse(string text) =>
        TryParse(text, out var layout, out var error) ? layout : throw new FormatException(error);

    /// <summary>Like <see cref="Parse"/>, with the reason when <paramref name="text"/> is not a layout.</summary>
    public static bool TryParse(string? text, out KeyLayout layout, out string error)
    {
        layout = Bitmapist;
        error = "";
        var t = (text ?? "").Trim();
        if (t.Equals("bitmapist", StringComparison.OrdinalIgnoreCase)) return true;
        if (t.Equals("sharded", StringComparison.OrdinalIgnoreCase))
        {
            layout = Sharded();
            return true;
        }
        const string shardedColon = "sharded:";
        if (t.StartsWith(shardedColon, StringComparison.OrdinalIgnoreCase) &&
            int.TryParse(t.AsSpan(shardedColon.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var k))
        {
            if (k is >= MinShardBits and <= MaxShardBits)
            {
                layout = Sharded(k);
                return true;
            }
            error = $"'{text}': a shard width must be {MinShardBits} to {MaxShardBits} bits (sharded:{DefaultShardBits} is the default).";
            return false;
        }
        error = $"'{text}' is not a key layout: write 'bitmapist' (bitmapist's keys, the default), 'sharded' (shards of 2^{DefaultShardBits} ids, " +
            $"needed on Redis Cluster) or 'sharded:K' with K from {MinShardBits} to {MaxShardBits}.";
        return false;
    }

    /// <summary><c>bitmapist</c>, or <c>sharded:K</c>: the form <see cref="Parse"/> reads.</summary>
    public override string ToString() => ShardBits is { } k ? $"sharded:{k}" : "bitmapist";
}
