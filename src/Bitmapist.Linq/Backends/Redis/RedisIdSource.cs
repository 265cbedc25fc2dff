using System.Runtime.CompilerServices;
using Bitmapist.Linq.Bitmaps;
using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>
/// Streams the ids of a Redis string with GETRANGE pages (64 KiB = 524,288 ids per round trip), decoded a
/// word at a time; the whole value is never fetched at once. When the key is a leased result, it is deleted
/// on dispose (and has a TTL meanwhile, should the process die).
/// </summary>
internal sealed class RedisIdSource(IDatabase db, string key, bool leased, int pageBytes = 64 * 1024) : IdSource
{
    public override async IAsyncEnumerable<uint[]> PagesAsync(uint from, [EnumeratorCancellation] CancellationToken ct)
    {
        var offset = (long)(from / 64) * 8; // start on a word boundary
        var ids = new List<uint>();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            byte[]? page = await RedisBackend.Guard(db, () => db.StringGetRangeAsync(key, offset, offset + pageBytes - 1), "GETRANGE", key).ConfigureAwait(false);
            if (page is null || page.Length == 0) yield break;
            ids.Clear();
            RedisBitmapDecoder.AppendIds(page, offset, ids);
            var first = ids.FindIndex(id => id >= from); // only the first page can hold ids below from
            if (first >= 0) yield return first == 0 ? [.. ids] : [.. ids.Skip(first)];
            if (page.Length < pageBytes) yield break;
            offset += page.Length;
        }
    }

    public override async Task<uint?> MaxAsync(CancellationToken ct)
    {
        var length = await RedisBackend.Guard(db, () => db.StringLengthAsync(key), "STRLEN", key).ConfigureAwait(false);
        var ids = new List<uint>();
        for (var end = length; end > 0; end -= pageBytes)
        {
            ct.ThrowIfCancellationRequested();
            var start = Math.Max(0, end - pageBytes);
            byte[]? page = await RedisBackend.Guard(db, () => db.StringGetRangeAsync(key, start, end - 1), "GETRANGE", key).ConfigureAwait(false);
            ids.Clear();
            RedisBitmapDecoder.AppendIds(page ?? [], start, ids);
            if (ids.Count > 0) return ids[^1];
        }
        return null;
    }

    public override async ValueTask DisposeAsync()
    {
        if (leased) await RedisBackend.DropLeaseAsync(db, key).ConfigureAwait(false);
    }
}
