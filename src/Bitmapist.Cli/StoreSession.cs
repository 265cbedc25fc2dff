using System.Globalization;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Tracking;

namespace Bitmapist.Cli;

/// <summary>What a command does with the store, which decides how a missing file is treated.</summary>
internal enum StoreAccess
{
    /// <summary>Reads only: a missing <c>--data</c> file is an error (it would silently count zero).</summary>
    Read,
    /// <summary>Writes: a missing <c>--data</c> file is created on save; the in-memory sample data is refused (the writes would be lost).</summary>
    Write,
    /// <summary>Plans only (explain): like <see cref="Read"/>, but the default store needs no sample data, only its clock and keys.</summary>
    Plan,
}

/// <summary>
/// The store one command runs on, chosen by the global options: Redis (<c>--redis</c>), an embedded store file
/// (<c>--data</c>), a profile of the config file or <c>BITMAPIST_REDIS</c> (<see cref="GlobalOptions.Read"/>), or with
/// none of them the built-in sample data in memory.
/// </summary>
internal sealed class StoreSession : IAsyncDisposable
{
    /// <summary>Size of the built-in sample used when neither --redis nor --data is given.</summary>
    public static readonly SampleDataOptions DefaultSample = new();

    private StoreSession(BitmapStore store, string description)
    {
        Store = store;
        Description = description;
    }

    public BitmapStore Store { get; }

    /// <summary>Where the data lives, for messages: <c>file 'x'</c>, <c>Redis at 'y'</c> or <c>the in-memory sample data</c>.</summary>
    public string Description { get; }

    /// <summary>The embedded store file, when the store is one.</summary>
    public string? FilePath => (Store as EmbeddedStore)?.FilePath;

    /// <summary>
    /// A test seam: the id map (<see cref="StoreOptions.IdMap"/>) of the stores opened in this async flow when the
    /// global options name none, so tests of external ids in <c>in</c>, <c>ids</c> and <c>query</c> run in process
    /// with a map (the global <c>--id-map</c> option is its user-facing way).
    /// </summary>
    internal static readonly AsyncLocal<string?> IdMapForTests = new();

    /// <summary>The options a store gets from the global options.</summary>
    public static StoreOptions OptionsFor(CliSettings settings, TrackingOptions? tracking = null) => new()
    {
        Keys = new KeyScheme(settings.Prefix),
        Layout = settings.Layout ?? KeyLayout.Bitmapist,
        Clock = settings.Clock,
        Tracking = tracking ?? TrackingOptions.Bitmapist3,
        Universe = settings.Universe,
        IdMap = settings.IdMap,
    };

    /// <summary>Opens the store the global options name.</summary>
    public static async Task<StoreSession> OpenAsync(CliSettings settings, CliContext context, StoreAccess access,
        TrackingOptions? tracking = null, CancellationToken ct = default)
    {
        var options = OptionsFor(settings, tracking);
        if (IdMapForTests.Value is { } idMap && options.IdMap is null) options = options with { IdMap = idMap };
        // Where the store came from, when not an option: "Redis at 'h:6379,password=***' (profile 'prod')".
        var from = settings.Source is { } source ? $" ({source})" : "";
        if (settings.Redis is { } redis)
            return new StoreSession(await RedisStore.ConnectAsync(redis, options).ConfigureAwait(false), $"Redis at '{ConnectionString.Redact(redis)}'{from}");
        if (settings.Data is { } path)
        {
            if (access != StoreAccess.Write && !File.Exists(path))
                throw new CliException(
                    $"The store file '{path}' does not exist: create it with 'bitmapist sample --data {path}' or 'bitmapist mark --data {path} ...'.",
                    Cli.Failed);
            return new StoreSession(OpenFile(path, options, readOnly: access != StoreAccess.Write), $"file '{path}'{from}");
        }

        if (access == StoreAccess.Write)
            throw new CliException("This command writes, and the built-in sample data lives only in memory: give --data FILE or --redis CONNECTION.");
        var store = new EmbeddedStore(options);
        if (access == StoreAccess.Plan) return new StoreSession(store, "the in-memory sample data");
        var summary = await SampleData.GenerateAsync(store, DefaultSample, ct: ct).ConfigureAwait(false);
        context.Note(string.Create(CultureInfo.InvariantCulture,
            $"no --redis, --data, --profile, ${Config.CliEnvironment.RedisVariable} or default profile: using the built-in sample data ({DefaultSample.Users} users, {summary.FirstDay:yyyy-MM-dd} to {summary.LastDay:yyyy-MM-dd}, in memory)."));
        return new StoreSession(store, "the in-memory sample data");
    }

    /// <summary>
    /// Opens (or starts) an embedded store file, turning I/O failures into one sentence. A writer holds the
    /// file's lock until the session ends, so concurrent writers take turns; a reader takes no lock.
    /// </summary>
    public static EmbeddedStore OpenFile(string path, StoreOptions options, bool readOnly = false)
    {
        try
        {
            return readOnly ? EmbeddedStore.OpenReadOnly(path, options) : EmbeddedStore.Open(path, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot open the store file '{path}': {e.Message}", Cli.Failed);
        }
    }

    /// <summary>
    /// Compacts a file-backed store: rewrites the file with the journal's writes and empties the journal, so later
    /// commands do not replay a bulk load. Every acknowledged write is durable without it (in the journal); does
    /// nothing for Redis or the in-memory sample.
    /// </summary>
    public void Save()
    {
        if (Store is not EmbeddedStore { FilePath: { } path } file) return;
        try
        {
            file.Save();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot write the store file '{path}': {e.Message}", Cli.Failed);
        }
    }

    /// <summary>
    /// Closes the store. Disposing does not compact (<see cref="Save"/>); the writes a command made before it
    /// failed or was cancelled are in the journal, as they would be on Redis.
    /// </summary>
    public ValueTask DisposeAsync() => Store.DisposeAsync();
}
