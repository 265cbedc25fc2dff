using System.Collections.Immutable;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.IdMapping;

public sealed partial class IdMap
{
    // Membership reads sent in one batch (one MULTI/EXEC on Redis, one pass under the read lock embedded): a key's
    // reads for every id of the call, keys after keys, until this many. Small enough that a batch holds Redis for
    // about a millisecond and that the sharded layout's joined copies (one per shard of the ids) stay small.
    private const int EraseReadsPerBatch = 4096;

    // Erasures started at once (each one atomic script call): the client pipelines them without flooding the server.
    private const int EraseStartsInFlight = 256;

    /// <summary>
    /// Erases external ids (a GDPR erasure): for each, its mapping leaves the map, its internal id's bit is cleared in
    /// every event key of every period (month, week, day, hour and unique keys of every event), and its reverse mapping
    /// is forgotten. The internal id is never handed out again; marking the same external id later gives it a new one.
    /// </summary>
    /// <remarks>
    /// <para>Steps. For each id, one atomic step moves its mapping to the map's erasures in progress
    /// (<see cref="IIdMapBackend.BeginEraseAsync"/>): from then on a mark of that external id makes a new internal id.
    /// Then one SCAN of the store's event keys, for all the ids of the call together, reads in batches of keys whether
    /// each id's bit is set (one round trip per batch of 4,096 reads) and clears only the set ones (one atomic write per
    /// batch): clearing a bit past a key's end would grow the key on Redis (SETBIT key id 0 extends it to id/8 bytes),
    /// so bits that are not set are never written. Last, each erasure is finished
    /// (<see cref="IIdMapBackend.EndEraseAsync"/>).</para>
    /// <para>Resumable. If the process dies, or <paramref name="ct"/> is cancelled, after an erasure started, the id
    /// stays among the erasures in progress: <see cref="ResumeErasuresAsync"/>, or erasing the same external id again,
    /// finishes it (clearing again is harmless). A mapping made for that external id after the interrupted erasure began
    /// (a new internal id) is left alone by that: erase the id once more to remove it too.</para>
    /// <para>The race. A mark of the old internal id already in flight when the erasure starts (a writer looked the id
    /// up just before) may land in a key after the scan passed that key, and that bit stays. Erase once the writers of
    /// the external id have stopped, or their marks in flight have landed. SCAN returns every key that exists for the
    /// whole scan; a key created while it runs is only at risk from such a mark in flight.</para>
    /// <para>Only set bits of the erased ids are written: other users' bits are unchanged and no key grows. Keys are
    /// never deleted, even when they become empty.</para>
    /// </remarks>
    /// <param name="externalIds">The external ids to erase; repeats are erased once.</param>
    /// <param name="progress">Told after every batch of keys: keys scanned so far, the total once known (-1 before),
    /// bits cleared so far.</param>
    /// <param name="ct">Cancels between batches; erasures started stay in progress, to resume.</param>
    /// <returns>One report per distinct external id, in the order first given; <see cref="IdErasure.InternalId"/> is
    /// null for an external id that had no mapping (nothing was scanned or cleared for it).</returns>
    /// <exception cref="ArgumentException">An external id cannot be mapped (<see cref="ValidateExternalId"/>); nothing was erased.</exception>
    /// <exception cref="BitmapistStoreException">The store failed, or holds no id maps; erasures already started stay in progress.</exception>
    public async Task<IReadOnlyList<IdErasure>> EraseAsync(IReadOnlyList<string> externalIds, IProgress<IdErasureProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(externalIds);
        for (var i = 0; i < externalIds.Count; i++) ValidateExternalId(externalIds[i], $"externalIds[{i}]");
        ct.ThrowIfCancellationRequested();
        var backend = Backend();
        var distinct = externalIds.Distinct(StringComparer.Ordinal).ToArray();
        var ids = new long[distinct.Length];
        foreach (var chunk in Enumerable.Range(0, distinct.Length).Chunk(EraseStartsInFlight))
        {
            var started = await Task.WhenAll(chunk.Select(i => backend.BeginEraseAsync(LaneOf(distinct[i]), distinct[i], ct))).ConfigureAwait(false);
            for (var k = 0; k < chunk.Length; k++) ids[chunk[k]] = started[k];
        }
        var erasing = new List<Erasing>();
        for (var i = 0; i < distinct.Length; i++)
            if (ids[i] >= 0) erasing.Add(new Erasing(LaneOf(distinct[i]), distinct[i], (uint)ids[i]));
        var (scanned, cleared) = await ClearAndFinishAsync(backend, erasing, progress, ct).ConfigureAwait(false);
        var result = new IdErasure[distinct.Length];
        for (int i = 0, e = 0; i < distinct.Length; i++)
            result[i] = ids[i] < 0 ? new IdErasure(distinct[i], null, 0, 0) : new IdErasure(distinct[i], (uint)ids[i], scanned, cleared[e++]);
        return result;
    }

    /// <summary>
    /// Finishes every erasure of this map that was started and not finished (a process died, or a call was cancelled,
    /// part-way through <see cref="EraseAsync"/>): clears their ids' bits in every event key, in one scan for all of
    /// them, and forgets their mappings, as <see cref="EraseAsync"/> does. Safe to run at any time, and by several
    /// processes at once (clearing a bit twice changes nothing).
    /// </summary>
    /// <param name="progress">Told after every batch of keys, as for <see cref="EraseAsync"/>.</param>
    /// <param name="ct">Cancels between batches; the erasures stay in progress.</param>
    /// <returns>One report per erasure finished, by internal id; empty when none was in progress (nothing is scanned).</returns>
    /// <exception cref="BitmapistStoreException">The store failed, or holds no id maps.</exception>
    public async Task<IReadOnlyList<IdErasure>> ResumeErasuresAsync(IProgress<IdErasureProgress>? progress = null, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        var backend = Backend();
        var pending = await Task.WhenAll(_lanes.Select(async lane =>
            (await backend.PendingErasuresAsync(lane, ct).ConfigureAwait(false)).Select(p => new Erasing(lane, p.ExternalId, p.Id)))).ConfigureAwait(false);
        var erasing = pending.SelectMany(p => p).OrderBy(e => e.Id).ToList();
        var (scanned, cleared) = await ClearAndFinishAsync(backend, erasing, progress, ct).ConfigureAwait(false);
        return [.. erasing.Select((e, i) => new IdErasure(e.ExternalId, e.Id, scanned, cleared[i]))];
    }

    /// <summary>An erasure started: the external id, its lane and the internal id whose bits go.</summary>
    private sealed record Erasing(IdMapLane Lane, string ExternalId, uint Id);

    /// <summary>
    /// Clears the bits of every id of <paramref name="erasing"/> in every event key (one scan), then finishes each
    /// erasure. Returns the keys scanned and the bits cleared per erasure. Nothing is scanned when there is none.
    /// </summary>
    private async Task<(long Scanned, long[] Cleared)> ClearAndFinishAsync(
        IIdMapBackend backend, IReadOnlyList<Erasing> erasing, IProgress<IdErasureProgress>? progress, CancellationToken ct)
    {
        var cleared = new long[erasing.Count];
        if (erasing.Count == 0) return (0, cleared);
        var store = _store;
        var pending = new List<(string Key, int Erasure)>(EraseReadsPerBatch + erasing.Count);
        long scanned = 0, total = 0;
        await foreach (var key in store.ScanAsync(store.Keys.ScanPattern(), ct).ConfigureAwait(false))
        {
            // The scan also meets the map's own hashes, temporaries and the sharded layout's bookkeeping: event keys only.
            if (!store.Keys.TryParse(key, out _, out _)) continue;
            scanned++;
            for (var e = 0; e < erasing.Count; e++)
            {
                pending.Add((key, e));
                // A batch that ends inside a key's reads has finished only the keys before it.
                if (pending.Count >= EraseReadsPerBatch) await Flush(e == erasing.Count - 1 ? scanned : scanned - 1, -1).ConfigureAwait(false);
            }
        }
        await Flush(scanned, scanned).ConfigureAwait(false);
        foreach (var chunk in erasing.Chunk(EraseStartsInFlight))
            await Task.WhenAll(chunk.Select(e => backend.EndEraseAsync(e.Lane, e.ExternalId, e.Id, ct))).ConfigureAwait(false);
        return (scanned, cleared);

        // Reads whether each pending (key, id) bit is set, in one batch, and clears the set ones in one atomic write.
        async Task Flush(long keysDone, long keysTotal)
        {
            if (pending.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                var reads = pending.Select(p => new ProgramRead(0, Operand.Stored(p.Key), ReadKind.Contains, erasing[p.Erasure].Id)).ToImmutableArray();
                var program = new BatchProgram([], reads, 0, store.Profile) { Description = "erasure read" };
                var results = await store.Live.RunAsync(program, ct).ConfigureAwait(false);
                if (results.Length != reads.Length)
                    throw new InvalidOperationException($"The back end {store.Backend.GetType().Name} answered {results.Length} reads of a program of {reads.Length}.");
                var writes = new List<BitWrite>();
                for (var i = 0; i < results.Length; i++)
                {
                    if (results[i].Integer == 0) continue;
                    writes.Add(new BitWrite(pending[i].Key, erasing[pending[i].Erasure].Id, false));
                    cleared[pending[i].Erasure]++;
                }
                if (writes.Count > 0) await store.WriteBitsAsync(writes, ct).ConfigureAwait(false);
                total += writes.Count;
                pending.Clear();
            }
            progress?.Report(new IdErasureProgress(keysDone, keysTotal, total));
        }
    }
}

/// <summary>What erasing one external id did (<see cref="IdMap.EraseAsync"/>, <see cref="IdMap.ResumeErasuresAsync"/>).</summary>
/// <param name="ExternalId">The external id.</param>
/// <param name="InternalId">The internal id whose bits were cleared (never handed out again), or null when the external
/// id had no mapping: nothing was done for it.</param>
/// <param name="KeysScanned">Event keys the erasure's scan read (one scan serves every id of a call, so every id of it
/// reports the same number); 0 when there was no mapping.</param>
/// <param name="BitsCleared">Bits of the internal id that were set and are now cleared: one per key it was in.</param>
public sealed record IdErasure(string ExternalId, uint? InternalId, long KeysScanned, long BitsCleared);

/// <summary>How far an erasure's scan got, reported after every batch of keys.</summary>
/// <param name="KeysScanned">Event keys scanned so far (all the ids' bits in them read, and the set ones cleared).</param>
/// <param name="KeysTotal">Event keys in all, once the scan is over; -1 while it runs (SCAN does not know the total).</param>
/// <param name="BitsCleared">Bits cleared so far, over every id of the call.</param>
public sealed record IdErasureProgress(long KeysScanned, long KeysTotal, long BitsCleared);
