using Roaring.Net.CRoaring;

namespace Bitmapist.Linq.Benchmarks.Infra;

internal static class RoaringInfo
{
    /// <summary>Builds a run-optimized, shrunk Roaring bitmap from sorted ids (unsorted input is much slower).</summary>
    public static Roaring32Bitmap Build(uint[] sortedIds)
    {
        var r = Roaring32Bitmap.FromValues(sortedIds);
        r.Optimize();
        r.ShrinkToFit();
        return r;
    }

    /// <summary>
    /// Estimated heap bytes of a CRoaring bitmap: container payloads (from its statistics) plus, per container,
    /// the 2-byte key, 1-byte type code and 8-byte pointer of the container index and a 16-byte container
    /// header, plus the bitmap header. Allocator rounding is not counted (as for PagedBitmap.MemoryBytes).
    /// </summary>
    public static long HeapBytes(Roaring32Bitmap r)
    {
        var s = r.GetStatistics();
        return (long)(s.ArrayContainerBytes + s.RunContainerBytes + s.BitsetContainerBytes) + (long)s.ContainerCount * (2 + 1 + 8 + 16) + 48;
    }

    public static long SerializedBytes(Roaring32Bitmap r) => (long)r.GetSerializationSize(SerializationFormat.Portable);
}
