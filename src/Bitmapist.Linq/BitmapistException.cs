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

/// <summary>The store could not be reached or refused a batch; nothing of the batch was applied.</summary>
public class BitmapistStoreException(string message, Exception? inner = null) : Exception(message, inner);
