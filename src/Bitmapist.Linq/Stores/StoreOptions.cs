using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Tracking;

namespace Bitmapist.Linq.Stores;

/// <summary>Settings shared by every store.</summary>
public sealed record StoreOptions
{
    /// <summary>The key layout (default <c>trackist_</c>, bitmapist 3's).</summary>
    public KeyScheme Keys { get; init; } = KeyScheme.Default;

    /// <summary>
    /// How bitmaps are spread over keys: bitmapist's layout (the default, readable by the Python library) or the
    /// sharded layout (needed on Redis Cluster; <see cref="KeyLayout"/>). Fixed per store once it is written.
    /// </summary>
    public KeyLayout Layout { get; init; } = KeyLayout.Bitmapist;

    /// <summary>The clock for "now": default marks and relative periods. Inject a fake one in tests.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// Which extra keys marks write. <see cref="TrackingOptions.Hourly"/> also tells the planner that every mark
    /// of this store's data wrote its hour key, so an hour range may read its whole days from day keys;
    /// without it hour ranges read hour keys only (the hourly answer, never a mix of day and hour answers).
    /// </summary>
    public TrackingOptions Tracking { get; init; } = TrackingOptions.Bitmapist3;

    /// <summary>
    /// The set of every user, needed only by queries with a bare complement (<c>~a</c>) or an explicit
    /// <c>users</c>; typically a unique flag the application marks for every user, e.g. <c>unique(user)</c>.
    /// </summary>
    /// <remarks>
    /// It must be a positive set of events, flags and ids: <c>users</c> or a complement inside it would stand for the
    /// universe itself, and a parameter has no value at the store. A store refuses such a universe when it is made
    /// (<see cref="UniverseProblem"/>).
    /// </remarks>
    public SetExpr? Universe { get; init; }

    /// <summary>
    /// What is wrong with <paramref name="universe"/> as a store's universe (<c>"users"</c>, <c>"a complement"</c> or
    /// <c>"a parameter"</c> inside it), or null when it is a positive set the universe can be.
    /// </summary>
    public static string? UniverseProblem(SetExpr universe)
    {
        ArgumentNullException.ThrowIfNull(universe);
        static IEnumerable<SetExpr> All(SetExpr e) => e.Children.SelectMany(All).Prepend(e);
        return All(universe).FirstOrDefault(n => n.Kind is SetKind.Universe or SetKind.Not or SetKind.Parameter) switch
        {
            null => null,
            { Kind: SetKind.Universe } => "users",
            { Kind: SetKind.Not } => "a complement",
            _ => "a parameter",
        };
    }

    /// <summary>Forces a capability profile instead of detecting it from the server.</summary>
    public CapabilityProfile? Profile { get; init; }

    /// <summary>TTL on each temporary, a safety net should the process die mid-batch (they are deleted in the same batch).</summary>
    public TimeSpan TemporaryTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a query on Redis keeps its temporaries as scratch keys (<c>{prefix}bitop_tmp:q:N</c>, with this TTL)
    /// instead of deleting them when it ends (default 2 s): the next query overwrites them, so Redis reuses their
    /// memory instead of faulting in fresh pages, which made bandwidth-bound queries up to 1.4x slower than one BITOP
    /// per call into kept keys (docs/performance.md, "Issue 14: the two Redis ratios"). There are never more of them
    /// than the most temporaries one query needs, and <see cref="BitmapStore.ListTemporariesAsync"/> leaves them out
    /// while their TTL is at most this. <see cref="TimeSpan.Zero"/> deletes every temporary in the query's own
    /// batch: nothing remains after the call. Cohort tables and bitmapist-server always delete theirs.
    /// </summary>
    public TimeSpan ScratchTtl { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>TTL on a result that outlives its batch (paged ids) until it is disposed.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long <see cref="EmbeddedStore.Open"/> waits for another writer of the same file to finish before it
    /// gives up with a clear error (default 10 s).
    /// </summary>
    public TimeSpan FileLockTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// When a store opened with <see cref="EmbeddedStore.Open"/> flushes its write journal to the disk: every batch
    /// (the default: an acknowledged write is on the disk), every N ms, or never (the operating system decides).
    /// Under each, an acknowledged write survives the death of the process; see <see cref="Stores.JournalSync"/>.
    /// </summary>
    public JournalSync JournalSync { get; init; } = JournalSync.EveryBatch;

    /// <summary>
    /// The write journal's size past which a write also compacts it into the store file (rewrites the file, empties
    /// the journal), once the journal is also at least the file's size (default 64 MiB). Must be positive.
    /// </summary>
    public long JournalCompactionBytes { get; init; } = 64L << 20;

    /// <summary>Receives every plan just before it runs (logging, diagnostics). Keep it fast: it is on the query path.</summary>
    public Action<Planning.QueryPlan>? PlanLog { get; init; }

    /// <summary>The most LINQ query shapes the translation cache keeps (see <see cref="Linq.TranslationCache"/>).</summary>
    public int TranslationCacheCapacity { get; init; } = 1024;

    /// <summary>
    /// The id map (<see cref="IdMapping.IdMap"/>) that maps this store's external ids (strings, UUIDs, 64-bit ids) to the
    /// dense internal ids bitmaps need, e.g. <c>"users"</c>; null (the default) for none. With it,
    /// <c>MarkAsync("active", "user-7f3a")</c>, <c>store.Ids("alice")</c>, literal sets of quoted ids in the text
    /// language (<c>{'alice', 'bob'}</c>, <c>'alice' in active</c>) and <c>ids</c> output mapped back use it.
    /// </summary>
    public string? IdMap { get; init; }

    /// <summary>A name for this store among several ("systems" in bitmapist).</summary>
    public string Name { get; init; } = "default";

    /// <summary>Shorthand for a key scheme with <paramref name="prefix"/>.</summary>
    public StoreOptions WithPrefix(string prefix) => this with { Keys = new KeyScheme(prefix) };
}
