using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Backends;

/// <summary>
/// A bitmap built in the client (by a bulk import) to OR into the stored key <see cref="Key"/>: the key ends
/// up holding its old members and these.
/// </summary>
public sealed class BitmapMerge
{
    internal BitmapMerge(string key, PagedBitmap bitmap)
    {
        Key = key;
        Bitmap = bitmap;
    }

    /// <summary>The stored key to merge into.</summary>
    public string Key { get; }

    /// <summary>The bitmap, for the back ends of this library (which send or merge it as it is).</summary>
    internal PagedBitmap Bitmap { get; }

    /// <summary>How many ids to merge.</summary>
    public long Count => Bitmap.Count();

    /// <summary>The ids to merge, ascending.</summary>
    public IEnumerable<uint> Ids() => Bitmap.Ids();

    /// <summary>The bitmap as a Redis string holds it (bit n is bit 7 - n % 8 of byte n / 8), up to its highest id.</summary>
    public byte[] ToRedisBytes() => Bitmap.ToRedisBytes();
}
