using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>
/// Id maps on Redis: a lane is four keys in one slot (forward hash, reverse hash, counter, erasures in progress).
/// Get-or-create and the erasure steps are scripts, so each is atomic against every other client; lookups are HMGETs.
/// </summary>
internal sealed partial class RedisBackend : IIdMapBackend
{
    /// <summary>Redis holds hashes and runs scripts; bitmapist-server holds only bitmaps.</summary>
    public bool SupportsIdMaps => !_holdsOnlyBitmaps;

    // Lua's unpack() is limited by the C stack (about 8,000 values): commands take at most this many arguments.
    private const int LuaArgsChunk = 4000;

    /// <summary>
    /// KEYS: forward, reverse, counter. ARGV: first shard, shard stride, shard bits, then the external ids (distinct).
    /// Looks every id up; when some are missing, checks that the lane has ids for all of them, advances the counter once
    /// by their number and writes both directions. Returns the ids in order, or {'full', next} when the lane is full.
    /// </summary>
    internal const string GetOrCreateScript = """
        local first, stride, bits = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
        local width = 2 ^ bits
        local shards = 2 ^ (32 - bits)
        local ids, missing = {}, {}
        for s = 4, #ARGV, 4000 do
          local e = math.min(s + 3999, #ARGV)
          local got = redis.call('HMGET', KEYS[1], unpack(ARGV, s, e))
          for i = 1, #got do
            if got[i] then ids[s - 4 + i] = tonumber(got[i]) else missing[#missing + 1] = s - 4 + i end
          end
        end
        if #missing == 0 then return ids end
        local next = tonumber(redis.call('GET', KEYS[3]) or '0')
        local last = next + #missing - 1
        if first + stride * math.floor(last / width) >= shards then return {'full', next} end
        redis.call('INCRBY', KEYS[3], #missing)
        local fwd, rev = {}, {}
        for k = 1, #missing do
          local c = next + k - 1
          local id = (first + stride * math.floor(c / width)) * width + c % width
          local ext = ARGV[missing[k] + 3]
          ids[missing[k]] = id
          fwd[#fwd + 1] = ext
          fwd[#fwd + 1] = id
          rev[#rev + 1] = id
          rev[#rev + 1] = ext
          if #fwd >= 4000 then
            redis.call('HSET', KEYS[1], unpack(fwd))
            redis.call('HSET', KEYS[2], unpack(rev))
            fwd, rev = {}, {}
          end
        end
        if #fwd > 0 then
          redis.call('HSET', KEYS[1], unpack(fwd))
          redis.call('HSET', KEYS[2], unpack(rev))
        end
        return ids
        """;

    /// <summary>
    /// KEYS: forward, reverse, counter, erasing. ARGV: the external id. An erasure already started returns its id;
    /// else the mapping moves from the forward hash to the erasing hash. -1 when there is none.
    /// </summary>
    internal const string BeginEraseScript = """
        local id = redis.call('HGET', KEYS[4], ARGV[1])
        if id then return tonumber(id) end
        id = redis.call('HGET', KEYS[1], ARGV[1])
        if not id then return -1 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('HSET', KEYS[4], ARGV[1], id)
        return tonumber(id)
        """;

    /// <summary>
    /// KEYS: forward, reverse, counter, erasing. ARGV: the external id, its id. Forgets the reverse mapping if it names
    /// the external id, then the erasure.
    /// </summary>
    internal const string EndEraseScript = """
        if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
        redis.call('HDEL', KEYS[4], ARGV[1])
        return 1
        """;

    /// <summary>
    /// KEYS: forward, reverse, counter. ARGV: the counter's floor, the number of forward entries F, then F pairs
    /// (external id, id), then reverse pairs (id, external id). Checks every forward entry first: any external id mapped
    /// to another id makes it write nothing and return those {external id, existing id} pairs; else it writes all.
    /// </summary>
    internal const string AddMappingsScript = """
        local floor, f = tonumber(ARGV[1]), tonumber(ARGV[2])
        local conflicts = {}
        for i = 3, 2 + 2 * f, 2 do
          local cur = redis.call('HGET', KEYS[1], ARGV[i])
          if cur and cur ~= ARGV[i + 1] then
            conflicts[#conflicts + 1] = ARGV[i]
            conflicts[#conflicts + 1] = cur
          end
        end
        if #conflicts > 0 then return conflicts end
        for i = 3, 2 + 2 * f, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
        for i = 3 + 2 * f, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
        if tonumber(redis.call('GET', KEYS[3]) or '0') < floor then redis.call('SET', KEYS[3], floor) end
        return conflicts
        """;

    // Calls of fewer ids go straight to the script: one round trip whatever they are (a single mark by external id
    // stays two round trips). From here on, reading first saves more Redis time on mapped ids than the round trip it
    // adds for new ones costs (idmap suite, docs/performance.md).
    private const int ReadFirstFrom = 100;

    /// <inheritdoc />
    /// <remarks>
    /// A call of <see cref="ReadFirstFrom"/> ids or more reads first with a plain HMGET and runs the script only for the
    /// ids it did not find: most ids of an import are mapped already, and the script costs Redis about 3x the HMGET's
    /// time per id (Lua copies every argument and reply; idmap suite, docs/performance.md). A mapping found is the one
    /// the script would have returned at that moment: only the script adds mappings and only an erasure removes one.
    /// </remarks>
    public async Task<uint[]> GetOrCreateIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (externalIds.Count == 0) return [];
        if (externalIds.Count < ReadFirstFrom) return await CreateIdsAsync(lane, externalIds, ct).ConfigureAwait(false);
        var found = await HashGetAsync(lane.ForwardKey, [.. externalIds.Select(e => (RedisValue)e)], ct).ConfigureAwait(false);
        var ids = new uint[externalIds.Count];
        var missing = new List<int>();
        for (var i = 0; i < ids.Length; i++)
            if (found[i].IsNull) missing.Add(i);
            else ids[i] = (uint)(long)found[i];
        if (missing.Count == 0) return ids;
        var created = await CreateIdsAsync(lane, [.. missing.Select(i => externalIds[i])], ct).ConfigureAwait(false);
        for (var k = 0; k < missing.Count; k++) ids[missing[k]] = created[k];
        return ids;
    }

    /// <summary>The get-or-create script on <paramref name="externalIds"/> (distinct): their ids, created where missing.</summary>
    private async Task<uint[]> CreateIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        RedisKey[] keys = [lane.ForwardKey, lane.ReverseKey, lane.CounterKey];
        var args = new RedisValue[externalIds.Count + 3];
        args[0] = lane.FirstShard;
        args[1] = lane.ShardStride;
        args[2] = lane.ShardBits;
        for (var i = 0; i < externalIds.Count; i++) args[i + 3] = externalIds[i];
        var reply = await IdMapScriptAsync(GetOrCreateScript, keys, args, "get-or-create", lane, ct).ConfigureAwait(false);
        var parts = (RedisResult[])reply!;
        if (parts.Length == 2 && parts[0].Resp2Type == ResultType.BulkString && (string?)parts[0] == "full")
            throw new BitmapistStoreException(
                $"The id map lane '{lane.ForwardKey}' has no internal ids left for {externalIds.Count} new external ids (it handed out {(long)parts[1]}; " +
                "ids are bit numbers below 2^32 and are never reused). Nothing was created.");
        if (parts.Length != externalIds.Count)
            throw new BitmapistStoreException($"The id map script answered {parts.Length} ids for {externalIds.Count} external ids on {RedisErrors.Host(Connection)}.");
        var ids = new uint[parts.Length];
        for (var i = 0; i < ids.Length; i++) ids[i] = (uint)(long)parts[i];
        return ids;
    }

    /// <inheritdoc />
    public async Task<long[]> FindIdsAsync(IdMapLane lane, IReadOnlyList<string> externalIds, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var values = await HashGetAsync(lane.ForwardKey, [.. externalIds.Select(e => (RedisValue)e)], ct).ConfigureAwait(false);
        return [.. values.Select(v => v.IsNull ? -1L : (long)v)];
    }

    /// <inheritdoc />
    public async Task<string?[]> FindExternalIdsAsync(IdMapLane lane, IReadOnlyList<uint> ids, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var values = await HashGetAsync(lane.ReverseKey, [.. ids.Select(id => (RedisValue)id)], ct).ConfigureAwait(false);
        return [.. values.Select(v => v.IsNull ? null : (string?)v)];
    }

    /// <summary>HMGET in chunks sent together (one round trip), sent again while a cluster turns them away.</summary>
    private async Task<RedisValue[]> HashGetAsync(string key, RedisValue[] fields, CancellationToken ct)
    {
        var db = Db;
        var answers = await RetryingRedirectsAsync(() => Task.WhenAll(
            fields.Chunk(LuaArgsChunk).Select(chunk => Guard(db, () => db.HashGetAsync(key, chunk), "HMGET", key))), ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return [.. answers.SelectMany(a => a)];
    }

    /// <inheritdoc />
    public async Task<long> BeginEraseAsync(IdMapLane lane, string externalId, CancellationToken ct)
    {
        var reply = await IdMapScriptAsync(BeginEraseScript, LaneKeys(lane), [externalId], "erasure", lane, ct).ConfigureAwait(false);
        return (long)reply;
    }

    /// <inheritdoc />
    public async Task EndEraseAsync(IdMapLane lane, string externalId, uint id, CancellationToken ct) =>
        await IdMapScriptAsync(EndEraseScript, LaneKeys(lane), [externalId, id], "erasure", lane, ct).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<(string ExternalId, uint Id)>> PendingErasuresAsync(IdMapLane lane, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var db = Db;
        var entries = await Guard(db, () => db.HashGetAllAsync(lane.ErasingKey), "HGETALL", lane.ErasingKey).ConfigureAwait(false);
        return [.. entries.Select(e => ((string)e.Name!, (uint)(long)e.Value)).OrderBy(e => e.Item2)];
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(string ExternalId, uint Id)> ScanMappingsAsync(IdMapLane lane,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        // HSCAN pages of about 1,000 entries: no call holds Redis for long, whatever the map's size.
        await foreach (var entry in Db.HashScanAsync(lane.ForwardKey, pageSize: 1000).WithCancellation(ct).ConfigureAwait(false))
            yield return ((string)entry.Name!, (uint)(long)entry.Value);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(string ExternalId, uint Existing)>> AddMappingsAsync(IdMapLane lane, IReadOnlyList<(string ExternalId, uint Id)> forward,
        IReadOnlyList<(uint Id, string ExternalId)> reverse, long counterAtLeast, CancellationToken ct)
    {
        RedisValue[] args = [counterAtLeast, forward.Count,
            .. forward.SelectMany(e => new RedisValue[] { e.ExternalId, e.Id }),
            .. reverse.SelectMany(e => new RedisValue[] { e.Id, e.ExternalId })];
        RedisKey[] keys = [lane.ForwardKey, lane.ReverseKey, lane.CounterKey];
        var reply = (RedisResult[])(await IdMapScriptAsync(AddMappingsScript, keys, args, "copy", lane, ct).ConfigureAwait(false))!;
        var conflicts = new List<(string, uint)>();
        for (var i = 0; i + 1 < reply.Length; i += 2) conflicts.Add(((string)reply[i]!, (uint)(long)reply[i + 1]));
        return conflicts;
    }

    /// <inheritdoc />
    public async Task<(long Mapped, long Allocated)> CountAsync(IdMapLane lane, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var db = Db;
        var mapped = Guard(db, () => db.HashLengthAsync(lane.ForwardKey), "HLEN", lane.ForwardKey);
        var next = Guard(db, () => db.StringGetAsync(lane.CounterKey), "GET", lane.CounterKey);
        await Task.WhenAll(mapped, next).ConfigureAwait(false);
        return (mapped.Result, next.Result.IsNull ? 0 : (long)next.Result);
    }

    private static RedisKey[] LaneKeys(IdMapLane lane) => [lane.ForwardKey, lane.ReverseKey, lane.CounterKey, lane.ErasingKey];

    /// <summary>One id map script call, sent again while a cluster turns it away (it ran nothing then).</summary>
    private async Task<RedisResult> IdMapScriptAsync(string script, RedisKey[] keys, RedisValue[] args, string what, IdMapLane lane, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        try
        {
            return await RetryingRedirectsAsync(() => Db.ScriptEvaluateAsync(script, keys, args), ct).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsScriptingRefused(e.Message))
        {
            throw new BitmapistStoreException(
                $"The id map {what} is a Lua script, and {RedisErrors.Host(Connection)} refused it ({e.Message}). Allow EVAL/EVALSHA for this " +
                "user (ACL: +@scripting) to use id maps; marks and queries by internal id work without it.", e);
        }
        catch (Exception e) when (RedisErrors.IsClientFailure(e))
        {
            throw new BitmapistStoreException(
                $"The id map {what} on '{lane.ForwardKey}' failed: {RedisErrors.Describe(e, RedisErrors.Host(Connection))}. It is one script, applied " +
                "whole or not at all; ids it created are kept and asking again returns the same ids.", e);
        }
    }
}
