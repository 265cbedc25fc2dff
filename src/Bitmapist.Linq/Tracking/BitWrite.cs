namespace Bitmapist.Linq.Tracking;

/// <summary>One SETBIT: set (or clear) bit <paramref name="Bit"/> of <paramref name="Key"/>.</summary>
internal readonly record struct BitWrite(string Key, uint Bit, bool Value);
