using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Backends.Sharded;

/// <summary>
/// The key that records a store's layout, and the check that a store is opened with the layout it holds. The sharded
/// layout writes <c>{prefix}bitop_layout:sharded:v1:k{K}</c> before its first write; opening a store whose marker
/// names another width, or opening a sharded store with bitmapist's layout, is refused: the keys would be read with
/// the wrong names and every answer would be wrong (empty). bitmapist's layout writes no marker, so data written by
/// the Python library needs none. Every marker is checked in one round trip, one key per EXISTS (a cluster keeps
/// them in different slots).
/// </summary>
internal static class LayoutMarker
{
    /// <summary>Refuses <paramref name="wanted"/> when the store already records another layout.</summary>
    /// <exception cref="BitmapistStoreException">The store holds another layout (the message says which and how to open it).</exception>
    public static async Task CheckAsync(IBitmapBackend backend, string prefix, KeyLayout wanted, CancellationToken ct)
    {
        var widths = Enumerable.Range(KeyLayout.MinShardBits, KeyLayout.MaxShardBits - KeyLayout.MinShardBits + 1).ToArray();
        var exists = await backend.AnyKeyExistsAsync([.. widths.Select(k => (IReadOnlyList<string>)[ShardMap.MarkerKeyFor(prefix, k)])], ct)
            .ConfigureAwait(false);
        var held = widths.Where((_, i) => exists[i]).ToArray();
        if (held.Length == 0 || (held is [var only] && only == wanted.ShardBits)) return;
        var found = string.Join(" and ", held.Select(k => KeyLayout.Sharded(k).ToString()));
        var option = $"--layout {found}";
        throw new BitmapistStoreException(
            $"The store with key prefix '{prefix}' holds the {found} layout (marker key {ShardMap.MarkerKeyFor(prefix, held[0])}), " +
            $"but it was opened with the {wanted} layout: its keys would be read under the wrong names and every answer would be empty. " +
            $"Open it with {option} (StoreOptions.Layout = KeyLayout.{(held.Length == 1 ? $"Sharded({held[0]})" : "Sharded(...)")}), " +
            "or copy the data to another layout with `bitmapist migrate`.");
    }
}
