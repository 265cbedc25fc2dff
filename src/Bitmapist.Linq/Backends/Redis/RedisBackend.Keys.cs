using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Bitmapist.Linq.Bitmaps;
using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>Key space: SCAN, deletion, existence.</summary>
internal sealed partial class RedisBackend
{
    /// <inheritdoc />
    public async IAsyncEnumerable<string> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (Profile == CapabilityProfile.BitmapistServer)
        {
            // bitmapist-server accepts SCAN only as "SCAN cursor MATCH pattern COUNT n" and answers every key at
            // once with cursor 0; the loop still follows a cursor, should it ever page.
            var cursor = "0";
            do
            {
                ct.ThrowIfCancellationRequested();
                RedisResult[] reply;
                try
                {
                    reply = (RedisResult[])(await Db.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", 1000).ConfigureAwait(false))!;
                }
                catch (Exception e) when (RedisErrors.IsClientFailure(e))
                {
                    throw RedisErrors.ListFailed(e, RedisErrors.Host(Connection), pattern); // the same sentence as Redis' SCAN
                }
                cursor = (string)reply[0]!;
                foreach (var key in (RedisResult[])reply[1]!) yield return (string)key!;
            }
            while (cursor != "0");
            yield break;
        }
        // Every primary: one on a single Redis, each node's own keys on a cluster (SCAN covers one server).
        var primaries = Connection.GetServers().Where(s => !s.IsReplica).ToArray();
        if (primaries.Length == 0 || primaries.Any(s => !s.IsConnected))
            throw RedisErrors.NoPrimary("scan");
        var db = _database < 0 ? 0 : _database;
        foreach (var server in primaries)
        {
            // By hand rather than await foreach: a failure while paging (the connection lost mid-SCAN) becomes this
            // library's exception, and C# allows no yield inside a try with a catch.
            var keys = server.KeysAsync(db, pattern, pageSize: 1000).WithCancellation(ct).ConfigureAwait(false).GetAsyncEnumerator();
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await keys.MoveNextAsync();
                    }
                    catch (Exception e) when (RedisErrors.IsClientFailure(e))
                    {
                        throw RedisErrors.ListFailed(e, RedisErrors.Format(server.EndPoint), pattern);
                    }
                    if (!more) break;
                    yield return keys.Current.ToString();
                }
            }
            finally
            {
                await keys.DisposeAsync();
            }
        }
    }

    /// <inheritdoc />
    public async Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        long n = 0;
        var done = 0;
        foreach (var chunk in keys.Chunk(500))
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                n += await RetryingRedirectsAsync(async () => (long)await Db.ExecuteAsync(DeleteCommand, [.. chunk.Select(k => (object)(RedisKey)k)]).ConfigureAwait(false), ct).ConfigureAwait(false);
            }
            catch (Exception e) when (RedisErrors.IsClientFailure(e))
            {
                // One command per chunk: the chunks before this one are deleted, this one all or not at all.
                throw RedisErrors.DeleteFailed(e, RedisErrors.Host(Connection), DeleteCommand, chunk[0], done, keys.Count);
            }
            done += chunk.Length;
        }
        return n;
    }

    /// <inheritdoc />
    public async Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var db = Db;
        // bitmapist-server's EXISTS takes one key: one command per key there, one EXISTS k1 k2 ... per group on
        // Redis. Either way every command is sent before any answer is awaited: one round trip.
        var perKey = Profile == CapabilityProfile.BitmapistServer;
        async Task<bool> Any(IReadOnlyList<string> keys) => keys.Count > 0 && (perKey
            ? (await Task.WhenAll(keys.Select(k => db.KeyExistsAsync(k))).ConfigureAwait(false)).Any(e => e)
            : await db.KeyExistsAsync([.. keys.Select(k => (RedisKey)k)]).ConfigureAwait(false) > 0);
        return await RetryingRedirectsAsync(() =>
            Guard(db, () => Task.WhenAll(groups.Select(Any)), "EXISTS", groups.FirstOrDefault(g => g.Count > 0)?[0] ?? ""), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <paramref name="temporaries"/> without the scratch keys of queries (<c>bitop_tmp:q:N</c>) that are kept on purpose:
    /// those whose TTL is at most <see cref="Stores.StoreOptions.ScratchTtl"/>. One PTTL per scratch key, pipelined.
    /// </summary>
    internal async Task<IReadOnlyList<string>> WithoutExpiringScratchAsync(IReadOnlyList<string> temporaries)
    {
        var scratchSeconds = ScratchTtlSeconds;
        // The scratch namespace of this store or of any of its shards (a shard's prefix precedes its own namespace).
        var scratch = temporaries.Where(k => k.Contains(ScratchMarker, StringComparison.Ordinal)).ToArray();
        if (scratchSeconds == 0 || scratch.Length == 0) return temporaries;
        var db = Db;
        var ttls = await Guard(db, () => Task.WhenAll(scratch.Select(k => db.ExecuteAsync("PTTL", (RedisKey)k))), "PTTL", scratch[0]).ConfigureAwait(false);
        var expiring = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < scratch.Length; i++)
            if ((long)ttls[i] is var ms && (ms == -2 || (ms > 0 && ms <= scratchSeconds * 1000L))) expiring.Add(scratch[i]); // -2: expired meanwhile
        return [.. temporaries.Where(k => !expiring.Contains(k))];
    }

    /// <summary>What names a query's temporaries: <c>{prefix}bitop_tmp:q:</c> (<see cref="RedisBatch.TempPrefix"/>).</summary>
    private static readonly string ScratchMarker = RedisBatch.TempPrefix(new Model.KeyScheme(""));

    /// <summary>UNLINK frees memory in the background; bitmapist-server only has DEL.</summary>
    private string DeleteCommand => Profile == CapabilityProfile.BitmapistServer ? "DEL" : "UNLINK";
}
