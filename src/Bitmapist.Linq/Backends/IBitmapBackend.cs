namespace Bitmapist.Linq.Backends;

/// <summary>
/// Where a store's bitmaps live and how its programs run: the one seam between the shared pipeline (marking,
/// key naming, parsing, planning, explain, cohorts, statements) and a server or an in-process engine. The
/// library's back ends are Redis (and bitmapist-server) and the embedded engine; a new one implements this
/// interface and is handed to <see cref="Stores.BitmapStore(IBitmapBackend, Stores.StoreOptions?)"/>
/// (docs/EXTENDING.md says how, and what each member must guarantee).
/// </summary>
/// <remarks>
/// Keys are bitmapist's key names (<see cref="Model.KeyScheme"/>); a missing key is the empty set. Every
/// member may be called from several threads at once. A back end belongs to one store, which disposes it.
/// </remarks>
public interface IBitmapBackend : IAsyncDisposable
{
    /// <summary>What the back end can do, which decides the program the planner emits for it.</summary>
    CapabilityProfile Profile { get; }

    /// <summary>
    /// Runs <paramref name="program"/> as one batch and answers every read, in order. Every read sees the same
    /// data (no write lands between two reads of one batch), and no temporary outlives the call except the
    /// set of a read that streams ids, owned by the returned <see cref="IdSource"/> until it is disposed.
    /// A read whose source is null is of the empty set (<see cref="ReadResult.OfEmpty"/>).
    /// </summary>
    Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct);

    /// <summary>
    /// Applies every SETBIT of <paramref name="writes"/> atomically: all of them or, when it throws, none
    /// (a mark batch). A key that holds something other than a bitmap fails the whole batch before any write.
    /// Clearing a bit of a missing key may create the key empty (Redis does); an empty key reads as the empty set.
    /// Failures are <see cref="BitmapistStoreException"/>s that say what was written (nothing, or all).
    /// </summary>
    Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct);

    /// <summary>
    /// ORs client-built bitmaps into their keys (a bulk import). It may apply them in groups, each atomic; when
    /// it fails part-way it throws <see cref="BitmapistImportException"/> saying what was applied. Re-running
    /// the same merge is always safe (an OR is idempotent).
    /// </summary>
    Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct);

    /// <summary>
    /// Every key matching a glob pattern with Redis' rules (<c>*</c>, <c>?</c>, <c>[...]</c>, <c>\</c> escapes),
    /// without blocking other clients for long. The library only asks for a literal prefix (its special characters
    /// escaped with <c>\</c>) followed by <c>*</c>.
    /// </summary>
    IAsyncEnumerable<string> ScanAsync(string pattern, CancellationToken ct);

    /// <summary>Deletes keys; returns how many existed.</summary>
    Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct);

    /// <summary>For each group of keys, whether any of them exists: in one round trip (the misspelt-event check).</summary>
    Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct);

    /// <summary>
    /// The lines explain prints after the program: what this back end really sends or does to run it (the Redis
    /// commands of its one batch, for example), headed by a line that says what follows.
    /// </summary>
    IEnumerable<string> Describe(BatchProgram program);
}
