using System.Buffers.Binary;
using System.Numerics;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>
/// Turns a slice of a Redis bitmap string into ascending ids, eight bytes at a time: each word is read
/// big-endian (Redis's bit order makes the lowest id the most significant bit) and its set bits are peeled
/// off with LeadingZeroCount, so the cost is per set bit plus one load per 64 bits, never per bit.
/// </summary>
internal static class RedisBitmapDecoder
{
    /// <summary>Appends the ids set in <paramref name="bytes"/>, which start at byte <paramref name="byteOffset"/> of the string.</summary>
    public static void AppendIds(ReadOnlySpan<byte> bytes, long byteOffset, List<uint> into)
    {
        var baseId = byteOffset * 8;
        var i = 0;
        for (; i + 8 <= bytes.Length; i += 8)
        {
            var word = BinaryPrimitives.ReadUInt64BigEndian(bytes[i..]);
            while (word != 0)
            {
                var bit = BitOperations.LeadingZeroCount(word);
                into.Add((uint)(baseId + i * 8L + bit));
                word &= ~(1UL << (63 - bit));
            }
        }
        for (; i < bytes.Length; i++)
        {
            uint b = bytes[i];
            while (b != 0)
            {
                var bit = BitOperations.LeadingZeroCount(b) - 24;
                into.Add((uint)(baseId + i * 8L + bit));
                b &= ~(0x80u >> bit);
            }
        }
    }
}
