using System.Globalization;
using System.Text;

namespace Bitmapist.Linq.Backends.Sharded;

/// <summary>
/// The sharded layout's arithmetic and key names. Id <c>i</c> lives in shard <c>i &gt;&gt; k</c> at offset
/// <c>i &amp; (2^k - 1)</c>. The logical key <c>{prefix}{rest}</c> of shard <c>s</c> is stored as
/// <c>{prefix}{{tag}}{s}:{rest}</c>, e.g. <c>trackist_{1603}3:active_2026-11</c> for shard 3: every key of a shard
/// (every event, every period, its temporaries and leases) shares the hash tag, so a shard's batch runs in one Redis
/// Cluster slot, and the event is not in the tag, so <c>a &amp; b</c> stays in one slot. The tag is the smallest
/// decimal number whose slot is the bit-reversal of the shard number (its low 14 bits): shards 0, 1, 2, 3 land in
/// slots 0, 8192, 4096, 12288, far apart, so consecutive shards spread evenly over any number of nodes (plain shard
/// numbers left some nodes with 4x the shards of others: design/scale-out.md). Shards 16384 apart share a slot and a
/// tag; the shard number after the tag tells their keys apart. Part of the stored format: changing it needs a new
/// layout version.
/// </summary>
internal sealed class ShardMap
{
    /// <summary>The layout's format version, recorded in the marker key.</summary>
    public const int Version = 1;

    private const int SlotBits = 14;

    /// <summary>For each slot, the smallest decimal number that hashes to it: about 170k CRC16s, once per process (a few ms).</summary>
    private static readonly Lazy<string[]> SlotTags = new(() =>
    {
        var tags = new string[1 << SlotBits];
        var left = tags.Length;
        Span<byte> buffer = stackalloc byte[16];
        for (uint n = 0; left > 0; n++)
        {
            n.TryFormat(buffer, out var length, provider: CultureInfo.InvariantCulture);
            var slot = Crc16.Slot(buffer[..length]);
            if (tags[slot] is not null) continue;
            tags[slot] = n.ToString(CultureInfo.InvariantCulture);
            left--;
        }
        return tags;
    });

    public ShardMap(string prefix, int shardBits)
    {
        if (prefix.IndexOfAny(['{', '}']) >= 0)
            throw new ArgumentException(
                $"The key prefix '{prefix}' holds a brace: the sharded layout puts a Redis Cluster hash tag in braces right after the prefix, " +
                "and a brace in the prefix would become the tag. Choose a prefix without '{' or '}'.", nameof(prefix));
        Prefix = prefix;
        ShardBits = shardBits;
        EscapedPrefix = Model.KeyScheme.EscapeGlob(prefix);
    }

    public string Prefix { get; }

    public int ShardBits { get; }

    /// <summary>The prefix with Redis' glob characters escaped, as scan patterns start.</summary>
    public string EscapedPrefix { get; }

    /// <summary>Ids per shard.</summary>
    public uint Width => 1u << ShardBits;

    public uint ShardOf(uint id) => id >> ShardBits;

    public uint OffsetOf(uint id) => id & (Width - 1);

    public uint BaseOf(uint shard) => shard << ShardBits;

    /// <summary>The marker key that records this layout (version and width): <c>{prefix}bitop_layout:sharded:v1:k20</c>.
    /// Under <c>bitop_</c>, which bitmapist's event listing and this library's skip.</summary>
    public string MarkerKey => MarkerKeyFor(Prefix, ShardBits);

    public static string MarkerKeyFor(string prefix, int shardBits) => $"{prefix}bitop_layout:sharded:v{Version}:k{shardBits}";

    /// <summary>The shard registry: a bitmap with bit s set once shard s may hold data, so queries visit only those.</summary>
    public string RegistryKey => $"{Prefix}bitop_shards:v{Version}:k{ShardBits}";

    /// <summary>The prefix of shard <paramref name="shard"/>'s keys: <c>{prefix}{{tag}}{shard}:</c>.</summary>
    public string ShardPrefix(uint shard) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{{Tag(shard)}}}{shard}:");

    /// <summary>The stored name of logical key <paramref name="key"/> (which starts with the prefix) in <paramref name="shard"/>.</summary>
    public string PhysicalKey(uint shard, string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
            throw new ArgumentException($"Internal error: the key '{key}' does not start with the store's prefix '{Prefix}'.", nameof(key));
        return string.Concat(ShardPrefix(shard), key.AsSpan(Prefix.Length));
    }

    /// <summary>Splits a stored key of this layout into its shard and logical key; false for any other key.</summary>
    public bool TryParsePhysical(string physical, out uint shard, out string logical)
    {
        shard = 0;
        logical = "";
        if (!physical.StartsWith(Prefix + "{", StringComparison.Ordinal)) return false;
        var open = Prefix.Length;
        var close = physical.IndexOf('}', open + 1);
        if (close < 0) return false;
        var colon = physical.IndexOf(':', close + 1);
        if (colon < 0 || !uint.TryParse(physical.AsSpan(close + 1, colon - close - 1), NumberStyles.None, CultureInfo.InvariantCulture, out shard)) return false;
        if ((ulong)shard << ShardBits > uint.MaxValue || !physical.AsSpan(open + 1, close - open - 1).SequenceEqual(Tag(shard))) return false;
        logical = string.Concat(Prefix, physical.AsSpan(colon + 1));
        return true;
    }

    /// <summary>The hash tag of <paramref name="shard"/>: the smallest number whose slot is <see cref="TargetSlot"/>.</summary>
    public static string Tag(uint shard) => SlotTags.Value[TargetSlot(shard)];

    /// <summary>The slot shard <paramref name="shard"/> aims for: its low 14 bits reversed.</summary>
    public static int TargetSlot(uint shard)
    {
        var low = shard & ((1u << SlotBits) - 1);
        var reversed = 0u;
        for (var i = 0; i < SlotBits; i++) reversed |= ((low >> i) & 1) << (SlotBits - 1 - i);
        return (int)reversed;
    }
}

/// <summary>Redis Cluster's key hashing: CRC16-CCITT (XMODEM) of the hash tag, modulo 16384.</summary>
internal static class Crc16
{
    private static readonly ushort[] Table = BuildTable();

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (var i = 0; i < 256; i++)
        {
            var crc = (ushort)(i << 8);
            for (var b = 0; b < 8; b++) crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            table[i] = crc;
        }
        return table;
    }

    public static ushort Compute(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (var b in data) crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xFF]);
        return crc;
    }

    /// <summary>The slot of a key whose whole text is hashed (a hash tag's content).</summary>
    public static int Slot(ReadOnlySpan<byte> data) => Compute(data) & 16383;

    /// <summary>The slot Redis Cluster gives <paramref name="key"/>, hash tags included.</summary>
    public static int KeySlot(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        var open = Array.IndexOf(bytes, (byte)'{');
        if (open >= 0)
        {
            var close = Array.IndexOf(bytes, (byte)'}', open + 1);
            if (close > open + 1) return Slot(bytes.AsSpan(open + 1, close - open - 1));
        }
        return Slot(bytes);
    }
}
