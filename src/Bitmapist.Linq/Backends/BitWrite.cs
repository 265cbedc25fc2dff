namespace Bitmapist.Linq.Backends;

/// <summary>One SETBIT: set (or clear) bit <paramref name="Bit"/> of <paramref name="Key"/>.</summary>
/// <param name="Key">The stored key.</param>
/// <param name="Bit">The bit: the user id.</param>
/// <param name="Value">True to set the bit, false to clear it.</param>
public readonly record struct BitWrite(string Key, uint Bit, bool Value);
