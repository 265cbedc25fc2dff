namespace Bitmapist.Linq.Model;

/// <summary>
/// User ids are bit numbers: integers in [0, 2^32), the range Redis SETBIT accepts. The public API takes
/// <see cref="long"/> so that every out-of-range value (negative, or 2^32 and above) can be rejected with a
/// clear message before any I/O, instead of coming back from Redis as a protocol error.
/// </summary>
public static class UserIds
{
    /// <summary>The largest valid id, 2^32 - 1.</summary>
    public const long Max = uint.MaxValue;

    /// <summary>Returns <paramref name="id"/> as a bit number or throws <see cref="ArgumentOutOfRangeException"/>.</summary>
    public static uint Validate(long id, string paramName = "id")
    {
        if ((ulong)id > uint.MaxValue)
            throw new ArgumentOutOfRangeException(paramName, id,
                $"User id {id} is outside [0, 4294967295]: ids are bit numbers in a Redis bitmap. " +
                "Map larger or non-integer ids (e.g. UUIDs) onto dense integers first.");
        return (uint)id;
    }
}
