using System.Collections.Concurrent;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// Several named stores, like bitmapist's "systems" (<c>setup_redis("analytics", ...)</c>). Every set
/// remembers the store it came from, so a query built from <c>registry["analytics"]</c> runs there, and
/// mixing stores in one query is an error rather than a silent switch to the default connection.
/// </summary>
public sealed class StoreRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, BitmapStore> _stores = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="store"/> under its <see cref="StoreOptions.Name"/>.</summary>
    /// <exception cref="InvalidOperationException">A store with that name is already registered.</exception>
    public BitmapStore Add(BitmapStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!_stores.TryAdd(store.Options.Name, store))
            throw new InvalidOperationException($"A store named '{store.Options.Name}' is already registered; give each store its own StoreOptions.Name.");
        return store;
    }

    /// <summary>The store called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No store has that name; the message lists the names there are.</exception>
    public BitmapStore this[string name] => _stores.TryGetValue(name, out var store)
        ? store
        : throw new KeyNotFoundException($"No store named '{name}'. Registered: {(_stores.IsEmpty ? "none" : string.Join(", ", _stores.Keys.Order()))}.");

    /// <summary>The registered names.</summary>
    public IReadOnlyList<string> Names => [.. _stores.Keys.Order()];

    /// <summary>Disposes every registered store.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var store in _stores.Values) await store.DisposeAsync().ConfigureAwait(false);
        _stores.Clear();
    }
}
