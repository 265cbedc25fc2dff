using System.Runtime.CompilerServices;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Reference;

/// <summary>
/// The simplest correct back end: every key a plain <see cref="HashSet{T}"/> of ids, every member behind one lock,
/// every program interpreted step by step with Redis's BITOP semantics (a missing key is the empty set). It is
/// three things at once: the oracle made a back end (the shared behaviour and differential suites run on it like on
/// Redis and the embedded store, and its answers are what the others must give), the proof that a back end can be
/// written outside the library (this assembly sees only the public API), and the template to copy for a new one.
/// </summary>
/// <remarks>
/// <para>
/// Speed is not a goal: each step builds a new set, every read copies what it streams. What each member guarantees
/// is what <see cref="IBitmapBackend"/> asks of any back end: a program's reads all see the same data (the whole
/// program runs under the lock), a mark batch lands whole or not at all (validated, then applied under the lock),
/// a merge is an OR, SCAN matches like Redis (<see cref="RedisGlob"/>), and explain says what really happens.
/// </para>
/// <para>
/// A program the profile forbids (an operator it lacks, more sources than it allows) is refused: Redis would refuse
/// it too, so running it here would hide an emitter bug.
/// </para>
/// </remarks>
public sealed partial class ReferenceBackend : IBitmapBackend
{
    private readonly Dictionary<string, HashSet<uint>> _keys = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>
    /// The reference back end's own profile: every operator (BITOP DIFF and ANDOR, as on Redis 8.2), any fan-in,
    /// min and paged ids answered here; no Lua, which only the Redis back end reads.
    /// </summary>
    public static CapabilityProfile ReferenceProfile { get; } =
        new("reference", int.MaxValue, HasDiff: true, HasAndOr: true, HasBitPos: true, HasGetRange: true, HasScripts: false);

    /// <summary>A back end with no keys, whose programs are planned for <paramref name="profile"/> (default <see cref="ReferenceProfile"/>).</summary>
    /// <param name="profile">
    /// The capabilities the planner emits programs for. Another profile (<see cref="CapabilityProfile.Redis7"/>: 16
    /// sources at most, no DIFF or ANDOR) runs the programs Redis 7 would get, which this back end then checks.
    /// </param>
    public ReferenceBackend(CapabilityProfile? profile = null) => Profile = profile ?? ReferenceProfile;

    /// <inheritdoc />
    public CapabilityProfile Profile { get; }

    /// <summary>How many keys are stored (an empty key that SETBIT 0 created counts, as on Redis).</summary>
    public int KeyCount
    {
        get
        {
            lock (_gate) return _keys.Count;
        }
    }

    /// <summary>A copy of the members of <paramref name="key"/>, or null when the key does not exist.</summary>
    public IReadOnlySet<uint>? Snapshot(string key)
    {
        lock (_gate) return _keys.TryGetValue(key, out var set) ? new HashSet<uint>(set) : null;
    }

    /// <inheritdoc />
    public Task<ReadResult[]> RunAsync(BatchProgram program, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(program);
        ct.ThrowIfCancellationRequested();
        CheckAllowed(program);
        lock (_gate)
        {
            ThrowIfDisposed();
            return Task.FromResult(Interpret(program, ct));
        }
    }

    /// <summary>
    /// Runs the program's steps and reads in their order (<see cref="BatchProgram.InOrder"/>), under the lock.
    /// Temporaries are sets local to the call: nothing outlives it but the snapshots that streaming reads hand out.
    /// </summary>
    private ReadResult[] Interpret(BatchProgram program, CancellationToken ct)
    {
        var temps = new HashSet<uint>?[program.TempCount];
        var results = new ReadResult[program.Reads.Length];
        foreach (var item in program.InOrder())
        {
            ct.ThrowIfCancellationRequested();
            if (item.IsRead)
            {
                var read = program.Reads[item.Read];
                results[item.Read] = read.Source is { } source ? Answer(read, Get(source)) : ReadResult.OfEmpty(read);
                continue;
            }
            var step = program.Steps[item.Step];
            // The sources are read before the target is written: a step may name its own target as a source.
            temps[step.Target] = Run(step, Get);
        }
        return results;

        IReadOnlySet<uint> Get(Operand o) =>
            o.IsTemp
                ? temps[o.Temp] ?? throw new InvalidOperationException($"The program reads tmp{o.Temp} before any step writes it (an emitter bug).")
                : _keys.TryGetValue(o.StoredKey!, out var stored) ? stored : Empty;
    }

    private static readonly HashSet<uint> Empty = [];

    /// <summary>One step: a new set, with Redis's BITOP meaning of each operator.</summary>
    private static HashSet<uint> Run(ProgramStep step, Func<Operand, IReadOnlySet<uint>> get)
    {
        switch (step)
        {
            case LiteralStep literal:
                return [.. literal.Ids];
            case BitOpStep { Op: BitOpKind.And } and:
            {
                var result = new HashSet<uint>(get(and.Sources[0]));
                foreach (var s in and.Sources.AsSpan()[1..]) result.IntersectWith(get(s));
                return result;
            }
            case BitOpStep { Op: BitOpKind.Or } or:
            {
                var result = new HashSet<uint>();
                foreach (var s in or.Sources) result.UnionWith(get(s));
                return result;
            }
            case BitOpStep { Op: BitOpKind.Xor } xor:
            {
                var result = new HashSet<uint>();
                foreach (var s in xor.Sources) result.SymmetricExceptWith(get(s)); // odd parity, source by source
                return result;
            }
            case BitOpStep { Op: BitOpKind.Diff } diff:
            {
                // BITOP DIFF X Y1 .. Yn: X and not (Y1 or .. or Yn).
                var result = new HashSet<uint>(get(diff.Sources[0]));
                foreach (var s in diff.Sources.AsSpan()[1..]) result.ExceptWith(get(s));
                return result;
            }
            case BitOpStep { Op: BitOpKind.AndOr } andOr:
            {
                // BITOP ANDOR X Y1 .. Yn: X and (Y1 or .. or Yn).
                var any = new HashSet<uint>();
                foreach (var s in andOr.Sources.AsSpan()[1..]) any.UnionWith(get(s));
                any.IntersectWith(get(andOr.Sources[0]));
                return any;
            }
            default:
                throw new NotSupportedException($"The reference back end does not know the step {step}: a new step kind needs a case here.");
        }
    }

    /// <summary>One read of a set, as <see cref="ReadResult"/> documents it.</summary>
    private static ReadResult Answer(ProgramRead read, IReadOnlySet<uint> set) => read.Kind switch
    {
        ReadKind.Count or ReadKind.Any => new ReadResult(set.Count),
        ReadKind.Contains => new ReadResult(set.Contains(read.Id) ? 1 : 0),
        ReadKind.Min => new ReadResult(set.Count == 0 ? -1 : set.Min()),
        // IdSource.Of copies the members now, under the lock: a later write to a stored key cannot reach the stream.
        ReadKind.Max or ReadKind.Ids => new ReadResult(0, IdSource.Of(set)),
        _ => throw new NotSupportedException($"The reference back end does not know the read {read.Kind}: a new read kind needs a case here."),
    };

    /// <summary>Refuses a program this back end's profile does not allow, as Redis refuses an unknown BITOP.</summary>
    private void CheckAllowed(BatchProgram program)
    {
        foreach (var step in program.Steps)
        {
            if (step is not BitOpStep b) continue;
            if (b.Sources.IsDefaultOrEmpty)
                throw new InvalidOperationException($"tmp{b.Target} = {b.Op} has no sources (an emitter bug): BITOP needs at least one.");
            if (b.Sources.Length > Profile.MaxSources)
                throw new InvalidOperationException(
                    $"tmp{b.Target} = {b.Op} has {b.Sources.Length} sources, more than the {Profile.Name} profile's {Profile.MaxSources} (an emitter bug).");
            if ((b.Op == BitOpKind.Diff && !Profile.HasDiff) || (b.Op == BitOpKind.AndOr && !Profile.HasAndOr))
                throw new InvalidOperationException(
                    $"tmp{b.Target} = {b.Op} is not an operator of the {Profile.Name} profile (an emitter bug): Redis before 8.2 refuses it.");
        }
    }

    /// <inheritdoc />
    public Task WriteBitsAsync(IReadOnlyList<BitWrite> writes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(writes);
        ct.ThrowIfCancellationRequested();
        // All or nothing: everything that could fail is checked before the first write, and the writes land under
        // the lock, so no program sees part of the batch.
        for (var i = 0; i < writes.Count; i++)
            if (string.IsNullOrEmpty(writes[i].Key))
                throw new ArgumentException($"Write {i} of the batch has no key; nothing was written.", nameof(writes));
        lock (_gate)
        {
            ThrowIfDisposed();
            foreach (var w in writes)
            {
                // SETBIT creates the key even when it clears a bit, as on Redis.
                var set = SetFor(w.Key);
                if (w.Value) set.Add(w.Bit);
                else set.Remove(w.Bit);
            }
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Every merge lands at once, under the lock: it never fails part-way, so it never throws <see cref="BitmapistImportException"/>.</remarks>
    public Task MergeAsync(IReadOnlyList<BitmapMerge> merges, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(merges);
        ct.ThrowIfCancellationRequested();
        // The ids are read before the lock: enumerating a client-built bitmap needs none of the store's state.
        var ids = merges.Select(m => (m.Key, Ids: m.Ids().ToArray())).ToList();
        lock (_gate)
        {
            ThrowIfDisposed();
            foreach (var (key, members) in ids) SetFor(key).UnionWith(members);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>The matching keys are listed under the lock, then streamed: keys written meanwhile may be missed, as with SCAN.</remarks>
    public async IAsyncEnumerable<string> ScanAsync(string pattern, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ct.ThrowIfCancellationRequested();
        string[] matches;
        lock (_gate)
        {
            ThrowIfDisposed();
            matches = [.. _keys.Keys.Where(k => RedisGlob.IsMatch(pattern, k))];
        }
        foreach (var key in matches)
        {
            ct.ThrowIfCancellationRequested();
            yield return key;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<long> DeleteAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ct.ThrowIfCancellationRequested();
        long deleted = 0;
        lock (_gate)
        {
            ThrowIfDisposed();
            foreach (var key in keys)
                if (_keys.Remove(key)) deleted++;
        }
        return Task.FromResult(deleted);
    }

    /// <inheritdoc />
    public Task<bool[]> AnyKeyExistsAsync(IReadOnlyList<IReadOnlyList<string>> groups, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ThrowIfDisposed();
            return Task.FromResult(groups.Select(g => g.Any(_keys.ContainsKey)).ToArray());
        }
    }

    /// <inheritdoc />
    public IEnumerable<string> Describe(BatchProgram program)
    {
        ArgumentNullException.ThrowIfNull(program);
        yield return "runs on the reference back end: HashSet<uint> per key, one lock";
        yield return program.Reads.Length == 1
            ? "  each step builds a new set from its sources (a missing key is empty), then the read answers from the result"
            : $"  each step builds a new set from its sources (a missing key is empty); all {program.Reads.Length} reads under the same lock";
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            _disposed = true;
            _keys.Clear();
            _idMaps.Clear();
        }
        return ValueTask.CompletedTask;
    }

    private HashSet<uint> SetFor(string key)
    {
        if (!_keys.TryGetValue(key, out var set)) _keys[key] = set = [];
        return set;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
