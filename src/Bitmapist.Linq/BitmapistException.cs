namespace Bitmapist.Linq;

/// <summary>A query that cannot be planned or run, with what went wrong and how to fix it.</summary>
public class BitmapistQueryException : Exception
{
    /// <summary>Creates the exception from what failed, why, and the fix.</summary>
    public BitmapistQueryException(string message, string? fix = null, Exception? inner = null)
        : base(fix is null ? message : $"{message} {fix}", inner)
    {
        Fix = fix;
    }

    /// <summary>What the user can write instead, when known.</summary>
    public string? Fix { get; }
}

/// <summary>The store could not be reached or refused a batch; the message says what of it was applied (for a mark batch or a query: nothing).</summary>
public class BitmapistStoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A bulk import that failed part-way: the groups before the failure were applied, the failed group and the rest
/// were not. Marks are ORs, so running the same import again is safe and gives exactly the full data.
/// </summary>
public class BitmapistImportException(string message, int keysApplied, int keysTotal, int groupsApplied, Exception? inner = null)
    : BitmapistStoreException(message, inner)
{
    /// <summary>Keys merged before the failure (their whole group was applied).</summary>
    public int KeysApplied { get; } = keysApplied;

    /// <summary>Keys the failed flush had to merge.</summary>
    public int KeysTotal { get; } = keysTotal;

    /// <summary>Groups (one transaction each, about 32 MiB) applied before the failure; the failed group was not.</summary>
    public int GroupsApplied { get; } = groupsApplied;
}
