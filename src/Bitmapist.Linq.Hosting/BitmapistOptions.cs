using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Hosting;

/// <summary>
/// The <c>Bitmapist</c> configuration section: where the data lives, the key prefix, the universe, what marks
/// track, and the named text queries. See <c>docs/config-queries.md</c>.
/// </summary>
public sealed class BitmapistOptions
{
    /// <summary>A StackExchange.Redis connection string (<c>localhost:6379</c>); exclusive with <see cref="DataFile"/> and <see cref="SampleData"/>.</summary>
    public string? Redis { get; set; }

    /// <summary>
    /// An embedded store file, relative to the current directory; a missing file starts an empty store. Every
    /// acknowledged write is appended to its journal (<c>FILE.journal</c>) before it returns, so it survives a
    /// crash of the application; the journal is folded into the file as it grows, or by
    /// <see cref="Stores.EmbeddedStore.Save"/>. Exclusive with <see cref="Redis"/> and <see cref="SampleData"/>.
    /// </summary>
    public string? DataFile { get; set; }

    /// <summary>With neither <see cref="Redis"/> nor <see cref="DataFile"/>: fill the in-memory store with the built-in sample data (otherwise it starts empty).</summary>
    public bool SampleData { get; set; }

    /// <summary>Users of the built-in sample (default 200,000).</summary>
    public int SampleUsers { get; set; } = 200_000;

    /// <summary>Days of the built-in sample, ending today on the store's clock (default 120).</summary>
    public int SampleDays { get; set; } = 120;

    /// <summary>The key prefix (default <c>trackist_</c>, bitmapist 3's).</summary>
    public string Prefix { get; set; } = KeyScheme.BitmapistPrefix;

    /// <summary>
    /// The key layout: <c>bitmapist</c> (the default: bitmapist's own keys, which the Python library reads), <c>sharded</c>
    /// or <c>sharded:K</c> (shards of 2^K ids, K 8 to 24, default 20; needed when <see cref="Redis"/> names a Redis Cluster's
    /// nodes). See <see cref="KeyLayout"/>. An embedded file (<see cref="DataFile"/>) keeps bitmapist's layout.
    /// </summary>
    public string? Layout { get; set; }

    /// <summary>The set of every user as a text set expression, e.g. <c>unique(user)</c>; needed only by queries with <c>users</c> or a bare complement.</summary>
    public string? Universe { get; set; }

    /// <summary>
    /// The store's id map (<see cref="Stores.StoreOptions.IdMap"/>), e.g. <c>users</c>: with it, queries may name users by
    /// external id (<c>{'alice'}</c>, <c>'alice' in month(active)</c>) and ids queries map their ids back. Null for none.
    /// </summary>
    public string? IdMap { get; set; }

    /// <summary>Which extra keys marks write.</summary>
    public BitmapistTrackingOptions Tracking { get; set; } = new();

    /// <summary>
    /// Named text queries: name to one statement (<c>count</c>, <c>ids</c>, <c>in</c>, <c>percent ... of</c>) or a
    /// set expression, optionally after <c>let</c> statements; <c>@name</c> parameters are bound when the query runs.
    /// In JSON a query may also be an array of lines.
    /// </summary>
    public Dictionary<string, string> Queries { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The configuration path of the section, used to name settings in errors (<c>Bitmapist:Queries:retention</c>); set by <see cref="BitmapistServiceCollectionExtensions.AddBitmapist"/>.</summary>
    public string SectionPath { get; set; } = "Bitmapist";
}

/// <summary>The <c>Tracking</c> subsection: which extra keys marks write (see <see cref="Tracking.TrackingOptions"/>).</summary>
public sealed class BitmapistTrackingOptions
{
    /// <summary>Also write hour keys.</summary>
    public bool Hourly { get; set; }

    /// <summary>Also set each event's unique (all-time) flag.</summary>
    public bool Unique { get; set; }
}
