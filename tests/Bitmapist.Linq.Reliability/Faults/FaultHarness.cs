using Bitmapist.Linq.Model;
using Bitmapist.Linq.Reliability.Infrastructure;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Bitmapist.Linq.Reliability.Faults;

/// <summary>What the fault tests share: a store on a private redis-server (through a fault proxy or not), waiting for it to reconnect, and direct reads of what Redis really holds.</summary>
internal static class FaultHarness
{
    public static readonly DateTime Now = new(2026, 11, 28, 14, 0, 0, DateTimeKind.Utc);

    /// <summary>A fixed clock and a key prefix of the test's own.</summary>
    public static StoreOptions Options() => new()
    {
        Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
        Keys = new KeyScheme($"fault{Guid.NewGuid():N}_"),
    };

    /// <summary>A Redis store at <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">host:port, the server or a proxy in front of it.</param>
    /// <param name="timeoutMs">The client's sync and async timeouts.</param>
    /// <param name="options">The store's options (default: a fresh key prefix); give two stores the same to share their keys.</param>
    /// <remarks>
    /// Generous by default: under CI, five test projects share two cores, and a timeout that is not the fault under
    /// test would only be noise. The tests that want a timeout ask for a short one on a second store.
    /// </remarks>
    public static async Task<BitmapStore> ConnectAsync(string endpoint, int timeoutMs = 30_000, StoreOptions? options = null) =>
        await RedisStore.ConnectAsync($"{endpoint},syncTimeout={timeoutMs},asyncTimeout={timeoutMs},connectTimeout=5000", options ?? Options());

    /// <summary>Waits until the store answers again after a fault (the client reconnects in the background).</summary>
    public static async Task Recovered(BitmapStore store)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await store.Day("probe").CountAsync();
                return;
            }
            catch (BitmapistStoreException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>How many of the (key, id) bits are set on the server, read directly.</summary>
    public static async Task<int> BitsSet(IDatabase db, IEnumerable<(string Key, uint Id)> bits)
    {
        var n = 0;
        foreach (var (key, id) in bits) if (await db.StringGetBitAsync(key, id)) n++;
        return n;
    }

    /// <summary>Every (key, id) a list of marks writes.</summary>
    public static List<(string Key, uint Id)> BitsOf(BitmapStore store, IEnumerable<(string Event, uint Id, DateTime At)> marks) =>
        [.. marks.SelectMany(m => store.Keys.KeysForMark(m.Event, m.At, store.Options.Tracking).Select(k => (k, m.Id))).Distinct()];
}
