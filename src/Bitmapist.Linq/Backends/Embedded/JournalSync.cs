namespace Bitmapist.Linq.Stores;

/// <summary>
/// When the embedded store's write journal is flushed to the disk (<c>fsync</c>), set in
/// <see cref="StoreOptions.JournalSync"/>. Every policy hands each write to the operating system before the write
/// returns, so an acknowledged write survives the death of the process (<c>kill -9</c>, a crash) under all three;
/// they differ in what an operating-system crash or a power cut may lose.
/// </summary>
public sealed record JournalSync
{
    private JournalSync(TimeSpan? interval) => Interval = interval;

    /// <summary>
    /// The default: every write (a mark batch, a bulk import's merge, a delete) is on the disk before it returns,
    /// at the cost of one <c>fsync</c> per write (docs/performance.md, "Issue 14: journaled marks").
    /// </summary>
    public static JournalSync EveryBatch { get; } = new((TimeSpan?)TimeSpan.Zero);

    /// <summary>
    /// The journal is flushed to the disk at most every <paramref name="period"/> (and on dispose): an
    /// operating-system crash or power cut loses at most that much, as Redis's <c>appendfsync everysec</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="period"/> is not positive.</exception>
    public static JournalSync Every(TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return new JournalSync(period);
    }

    /// <summary>
    /// Never flushed by the store except on dispose: the operating system writes it back when it chooses
    /// (typically within 30 s on Linux). Fastest; a power cut may lose the writes of that window.
    /// </summary>
    public static JournalSync Off { get; } = new((TimeSpan?)null);

    /// <summary>Zero for <see cref="EveryBatch"/>, the period for <see cref="Every"/>, null for <see cref="Off"/>.</summary>
    public TimeSpan? Interval { get; }

    /// <inheritdoc />
    public override string ToString() => Interval switch
    {
        null => "Off",
        { Ticks: 0 } => "EveryBatch",
        { } p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Every({p.TotalMilliseconds:0.###} ms)"),
    };
}
