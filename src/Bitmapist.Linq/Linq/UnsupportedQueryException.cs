namespace Bitmapist.Linq;

/// <summary>
/// A piece of a LINQ query cannot become a bitmap plan. Thrown at translation, before anything runs: the
/// library never falls back to filtering ids in the client. The message quotes the piece, says why and
/// says what to write instead.
/// </summary>
public sealed class UnsupportedQueryException : NotSupportedException
{
    internal UnsupportedQueryException(string piece, string why, string fix)
        : base($"Cannot translate '{piece}': {why} {fix}")
    {
        Piece = piece;
        Why = why;
        Fix = fix;
    }

    /// <summary>The part of the query, as written.</summary>
    public string Piece { get; }

    /// <summary>Why it cannot run on bitmaps.</summary>
    public string Why { get; }

    /// <summary>What to write instead.</summary>
    public string Fix { get; }
}
