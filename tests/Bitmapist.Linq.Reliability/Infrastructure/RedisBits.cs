using StackExchange.Redis;

namespace Bitmapist.Linq.Reliability.Infrastructure;

/// <summary>The ids set in a Redis string read with GET (bit i is byte i / 8, most significant bit first), decoded without the library.</summary>
internal static class RedisBits
{
    public static HashSet<uint> Decode(RedisValue value)
    {
        var ids = new HashSet<uint>();
        if (value.IsNull) return ids;
        var bytes = (byte[])value!;
        for (var i = 0; i < bytes.Length; i++)
            for (var b = 0; b < 8; b++)
                if ((bytes[i] & (0x80 >> b)) != 0) ids.Add((uint)(i * 8 + b));
        return ids;
    }
}
