using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Migration;

/// <summary>What a <see cref="LayoutMigration"/> is doing, as <see cref="MigrationProgress"/> reports it.</summary>
public enum MigrationPhase
{
    /// <summary>Listing the source's event keys (one SCAN).</summary>
    Listing,
    /// <summary>Copying keys into the destination.</summary>
    Copying,
    /// <summary>Comparing every key's count on both sides.</summary>
    Verifying,
}

/// <summary>Progress of a <see cref="LayoutMigration"/>, reported after each batch of keys.</summary>
/// <param name="Phase">What is being done.</param>
/// <param name="KeysDone">Keys copied (or compared) so far.</param>
/// <param name="KeysTotal">Keys to copy (or compare) in all; 0 while listing.</param>
/// <param name="Ids">Ids copied so far (members of the keys copied).</param>
/// <param name="Bytes">Bytes copied so far, counted as bitmapist's layout stores the keys (<see cref="MigrationSummary.Bytes"/>).</param>
public sealed record MigrationProgress(MigrationPhase Phase, long KeysDone, long KeysTotal, long Ids, long Bytes);

/// <summary>What <see cref="LayoutMigration.CopyAsync"/> copied.</summary>
/// <param name="Keys">Event keys read from the source (every event and period).</param>
/// <param name="EmptyKeys">Of those, keys with no member: nothing to copy, so the destination has no such key (it reads as empty all the same).</param>
/// <param name="Ids">Members copied, summed over keys (a user active on 31 days counts 31 times).</param>
/// <param name="Bytes">The keys' size in bitmapist's layout, one byte per 8 ids up to each key's highest id: what a
/// bitmapist-layout Redis holds for them, so MB/s are comparable whichever way the copy goes.</param>
/// <param name="Elapsed">Wall time, listing included.</param>
public sealed record MigrationSummary(long Keys, long EmptyKeys, long Ids, long Bytes, TimeSpan Elapsed)
{
    /// <summary>Id map entries copied (every map of the source, each entry with its internal id).</summary>
    public long MappedIds { get; init; }

    /// <summary>Keys copied per second.</summary>
    public double KeysPerSecond => Keys / Math.Max(Elapsed.TotalSeconds, 1e-6);

    /// <summary>Megabytes (10^6 bytes of <see cref="Bytes"/>) copied per second.</summary>
    public double MegabytesPerSecond => Bytes / 1e6 / Math.Max(Elapsed.TotalSeconds, 1e-6);
}

/// <summary>One key whose count differs between the source and the destination.</summary>
/// <param name="EventName">The event.</param>
/// <param name="Period">The key's period.</param>
/// <param name="SourceCount">Its members in the source (0 when the source has no such key).</param>
/// <param name="DestinationCount">Its members in the destination (0 when the destination has no such key).</param>
public sealed record KeyCountMismatch(string EventName, Period Period, long SourceCount, long DestinationCount);

/// <summary>An id map that maps a different number of external ids in the source and the destination.</summary>
/// <param name="Map">The map's name.</param>
/// <param name="SourceMapped">External ids it maps in the source.</param>
/// <param name="DestinationMapped">External ids it maps in the destination.</param>
public sealed record IdMapCountMismatch(string Map, long SourceMapped, long DestinationMapped);

/// <summary>What <see cref="LayoutMigration.VerifyAsync"/> found.</summary>
/// <param name="KeysCompared">Keys compared: every event key of either side.</param>
/// <param name="Mismatches">The keys whose counts differ, by event then period.</param>
/// <param name="Elapsed">Wall time, listing included.</param>
public sealed record VerificationReport(long KeysCompared, IReadOnlyList<KeyCountMismatch> Mismatches, TimeSpan Elapsed)
{
    /// <summary>The id maps whose numbers of mapped external ids differ between the two sides.</summary>
    public IReadOnlyList<IdMapCountMismatch> IdMapMismatches { get; init; } = [];

    /// <summary>True when every key has the same count on both sides, and every id map maps as many external ids.</summary>
    public bool Matches => Mismatches.Count == 0 && IdMapMismatches.Count == 0;
}

/// <summary>How a <see cref="LayoutMigration"/> batches its work; the defaults suit a Redis with 2^24 ids per key.</summary>
public sealed record LayoutMigrationOptions
{
    /// <summary>The most keys merged into the destination at once (one merge call).</summary>
    public int KeysPerBatch { get; init; } = 256;

    /// <summary>
    /// The most memory the keys read and not yet merged may take (default 64 MiB): a batch is merged once it holds
    /// this much. With one batch merging while the next is read, the migration holds about twice this, plus
    /// <see cref="ReadsInFlight"/> keys being read.
    /// </summary>
    public long MaxBatchBytes { get; init; } = 64L << 20;

    /// <summary>Keys read from the source at once (default 4).</summary>
    public int ReadsInFlight { get; init; } = 4;

    /// <summary>Keys whose counts are compared in one program on each side (default 512).</summary>
    public int KeysPerCountBatch { get; init; } = 512;
}
