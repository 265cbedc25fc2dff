using System.Collections.Concurrent;
using System.Globalization;
using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Reliability.Writer;

/// <summary>
/// The worker process of the id map concurrency tests (tests/Bitmapist.Linq.IntegrationTests/IdMapConcurrencyTests):
/// many tasks in one process get-or-create the same and their own external ids at once, while other processes do the
/// same on the same store, and the worker prints every mapping it was given.
/// </summary>
/// <remarks>
/// <code>
///   writer idmap KIND TARGET PREFIX SHARD_BITS WORKER TASKS SHARED OWN SEED
///     KIND redis: TARGET is a StackExchange.Redis configuration; prints "ready" once connected, then waits for a
///          line "go" on stdin, so that every worker starts at the same moment
///     KIND file: TARGET is an embedded store file, opened for writing (it waits up to 5 minutes for the writer lock:
///          workers on one file take turns); prints "ready" and starts at once
///     SHARD_BITS 0: bitmapist's layout, else the sharded layout with shards of 2^SHARD_BITS ids
/// </code>
/// Each of the TASKS tasks asks for the SHARED ids every worker and task asks for (<see cref="SharedId"/>) and OWN ids
/// of its own (<see cref="OwnId"/>): the shared ones in one order (shuffled by SEED) for all, so that they race for the same
/// new ids, the own ones in between at random places, in batches of 1 to 64; one shared id in five is a 64-bit number,
/// asked one at a time through the <c>long</c> overload. Prints "map EXT ID" once per external id it was given,
/// "split EXT ID1 ID2" whenever two answers in this process differed, then "done CALLS".
/// </remarks>
public static class IdMapWorker
{
    /// <summary>Shared external id <paramref name="i"/>: a 64-bit number's text for one in five, else a string.</summary>
    public static string SharedId(int i) => i % 5 == 0 ? IdMap.TextOf(10_000_000_000L + i) : $"shared-{i}";

    /// <summary>External id <paramref name="i"/> that only task <paramref name="task"/> of worker <paramref name="worker"/> asks for.</summary>
    public static string OwnId(int worker, int task, int i) => $"w{worker}-t{task}-{i}";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 9)
        {
            Console.Error.WriteLine("usage: writer idmap KIND TARGET PREFIX SHARD_BITS WORKER TASKS SHARED OWN SEED");
            return 2;
        }
        int Int(int i) => int.Parse(args[i], CultureInfo.InvariantCulture);
        var (kind, target, prefix, shardBits, worker, tasks, shared, own, seed) = (args[0], args[1], args[2], Int(3), Int(4), Int(5), Int(6), Int(7), Int(8));
        var options = new StoreOptions
        {
            Keys = new KeyScheme(prefix),
            Layout = shardBits == 0 ? KeyLayout.Bitmapist : KeyLayout.Sharded(shardBits),
            IdMap = "users",
            FileLockTimeout = TimeSpan.FromMinutes(5),
        };
        var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        await using BitmapStore store = kind switch
        {
            "redis" => await RedisStore.ConnectAsync(target, options),
            "file" => EmbeddedStore.Open(target, options),
            _ => throw new ArgumentException($"unknown store kind '{kind}'"),
        };
        output.WriteLine("ready");
        if (kind == "redis" && Console.ReadLine() != "go") return 4;

        var (seen, splits, calls) = await GetOrCreateAllAsync(store.IdMap("users"), worker, tasks, shared, own, seed);
        foreach (var (external, id) in seen) output.WriteLine($"map {external} {id}");
        foreach (var split in splits) output.WriteLine(split);
        output.WriteLine($"done {calls}");
        return 0;
    }

    /// <summary>
    /// Runs <paramref name="tasks"/> tasks at once on <paramref name="map"/>, as described above. Returns each external
    /// id with the internal id it was given, the answers that disagreed ("split EXT ID1 ID2"), and the calls made.
    /// The tests run the same in their own process.
    /// </summary>
    public static async Task<(IReadOnlyDictionary<string, uint> Seen, IReadOnlyList<string> Splits, long Calls)> GetOrCreateAllAsync(
        IdMap map, int worker, int tasks, int shared, int own, int seed)
    {
        var seen = new ConcurrentDictionary<string, uint>(StringComparer.Ordinal);
        var splits = new ConcurrentQueue<string>();
        long calls = 0;
        void Saw(string external, uint id)
        {
            var first = seen.GetOrAdd(external, id);
            if (first != id) splits.Enqueue($"split {external} {first} {id}");
        }
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = Enumerable.Range(0, tasks).Select(task => Task.Run(async () =>
        {
            var random = new Random(HashCode.Combine(seed, worker, task));
            // The shared ids in one order for every task of every worker, so that they ask for the same new id at the
            // same moment (in random orders two tasks rarely meet on an id before one of them created it); the task's
            // own ids fall in between at random places, and the batches are cut differently.
            var sharedIds = Enumerable.Range(0, shared).Select(SharedId).ToArray();
            new Random(seed).Shuffle(sharedIds);
            var ownIds = Enumerable.Range(0, own).Select(i => OwnId(worker, task, i)).ToArray();
            var ids = new string[sharedIds.Length + ownIds.Length];
            for (int k = 0, s = 0, o = 0; k < ids.Length; k++)
                ids[k] = o < ownIds.Length && (s == sharedIds.Length || random.Next(sharedIds.Length + ownIds.Length) < ownIds.Length) ? ownIds[o++] : sharedIds[s++];
            await start.Task;
            for (var at = 0; at < ids.Length;)
            {
                if (long.TryParse(ids[at], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                {
                    Saw(ids[at], await map.GetOrCreateAsync(number));
                    Interlocked.Increment(ref calls);
                    at++;
                    await Task.Yield();
                    continue;
                }
                var batch = ids[at..Math.Min(ids.Length, at + random.Next(1, 65))];
                var got = await map.GetOrCreateAsync(batch);
                Interlocked.Increment(ref calls);
                for (var i = 0; i < batch.Length; i++) Saw(batch[i], got[i]);
                at += batch.Length;
                // The embedded store answers synchronously: without this a task would run its whole list before the
                // next task starts, and they would never meet. With it they advance in step, calls interleaved.
                await Task.Yield();
            }
        })).ToArray();
        start.SetResult(); // every task is ready before any asks: they overlap from the first call
        await Task.WhenAll(running);
        return (seen, [.. splits], calls);
    }
}
