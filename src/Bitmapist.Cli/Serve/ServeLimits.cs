namespace Bitmapist.Cli.Serve;

/// <summary>
/// What one request to the web console (<c>bitmapist serve</c>, <c>cohort --serve</c>) may use: a cohort table's
/// size, ids per page, the query's length, its time, and how many statements run at once.
/// </summary>
/// <param name="MaxCells">The most cells (rows times columns) a served cohort table may have.</param>
/// <param name="Timeout">How long one request may take, waiting for its turn included.</param>
/// <param name="MaxConcurrentTables">How many requests run statements at once; further requests wait their turn.</param>
internal sealed record ServeLimits(int MaxCells, TimeSpan Timeout, int MaxConcurrentTables)
{
    /// <summary>
    /// 10,000 cells (e.g. 100 rows x 100 columns): such a table plans in about half a second and some 40 MB, so a
    /// few at once stay small next to the store, while the largest table the language allows (100,000 cells) takes
    /// seconds and 200 MB (docs/performance.md).
    /// </summary>
    public const int DefaultMaxCells = 10_000;

    /// <summary>1,000 ids on a page: a long list is paged with a link to the next page, never held whole.</summary>
    public const int DefaultMaxIds = 1_000;

    /// <summary>
    /// 10,000 characters of query text: far more than a typed statement, far less than the language's 1,000,000
    /// (grammar/README.md), whose parse takes seconds and hundreds of MB: a URL is not the way to send those.
    /// </summary>
    public const int DefaultMaxQueryLength = 10_000;

    /// <summary>30 seconds: longer than any table within the cell cap takes on the sample data, short enough for a browser.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The most ids one page of an <c>ids</c> statement shows; the page links to the next.</summary>
    public int MaxIds { get; init; } = DefaultMaxIds;

    /// <summary>The longest query text a request may carry.</summary>
    public int MaxQueryLength { get; init; } = DefaultMaxQueryLength;

    /// <summary>The defaults; requests run at once: one per core, at least two.</summary>
    public static ServeLimits Default { get; } = new(DefaultMaxCells, DefaultTimeout, Math.Max(2, Environment.ProcessorCount));
}
