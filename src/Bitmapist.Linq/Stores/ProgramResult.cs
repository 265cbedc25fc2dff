namespace Bitmapist.Linq.Stores;

/// <summary>What running a program gave: an integer reply (count, bit, position), or ids to stream.</summary>
internal sealed record ProgramResult(long Integer, IdSource? Ids = null)
{
    public static ProgramResult EmptySet { get; } = new(0, new BitmapIdSource(new Bitmaps.PagedBitmap()));
}
