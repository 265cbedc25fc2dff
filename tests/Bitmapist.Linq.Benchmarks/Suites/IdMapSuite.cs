using System.Buffers.Binary;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.IdMapping;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// What id maps (issue 16) cost, on Redis and the embedded store: bytes per mapped id (1), marks with mapping vs
/// without (2: bulk import, get-or-create alone, single marks) and reading a set's ids mapped back to external ids (3).
/// The parts live in IdMapSuite.Memory.cs, IdMapSuite.Marks.cs and IdMapSuite.Ids.cs; this file holds the data.
/// </summary>
internal sealed partial class IdMapSuite : ISuite
{
    /// <summary>Ids per get-or-create call, as BulkImport.MapBatchSize sends them.</summary>
    private const int MapBatch = 50_000;

    public string Name => "idmap";
    public string Description => "id maps (issue 16): bytes per mapped id, marks and bulk import with mapping vs without, ids mapped back";

    public async Task RunAsync(BenchContext ctx)
    {
        await MemoryAsync(ctx);
        await MarksAsync(ctx);
        await IdsAsync(ctx);
    }

    /// <summary>The two kinds of external id measured: a UUID with a prefix, and a 64-bit database id as decimal text.</summary>
    private static readonly (string Name, string Example, Func<long, string> Make)[] Kinds =
    [
        ("uuid", GuidId(0), GuidId),
        ("int64", DecimalId(0), DecimalId),
    ];

    /// <summary>"user-" and a UUID (41 characters), a pure function of <paramref name="i"/> so ids are made again instead of kept.</summary>
    internal static string GuidId(long i)
    {
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(b, Mix((ulong)i));
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], Mix((ulong)i ^ 0xA5A5_A5A5_A5A5_A5A5));
        return "user-" + new Guid(b).ToString();
    }

    /// <summary>A positive 64-bit id as its decimal text (mostly 19 digits), as a database's bigint key or a snowflake id.</summary>
    internal static string DecimalId(long i) => IdMap.TextOf((long)(Mix((ulong)i) >> 1));

    // splitmix64's finalizer: distinct inputs give distinct, well-spread outputs.
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }

    private static StoreOptions Options(string prefix) => new StoreOptions { IdMap = "users" }.WithPrefix(prefix);

    /// <summary>Maps <paramref name="ids"/> in calls of <see cref="MapBatch"/>; returns the sum of the internal ids (a check).</summary>
    private static async Task<long> MapAllAsync(IdMap map, IReadOnlyList<string> ids)
    {
        long sum = 0;
        var all = ids as string[] ?? [.. ids];
        for (var s = 0; s < all.Length; s += MapBatch)
            foreach (var id in await map.GetOrCreateAsync(new ArraySegment<string>(all, s, Math.Min(MapBatch, all.Length - s))))
                sum += id;
        return sum;
    }

    /// <summary>Sum over the store's event keys (id map keys left out) of the key's count times a weight from its name.</summary>
    private static async Task<(long Sum, long Keys)> ChecksumAsync(BitmapStore store)
    {
        long sum = 0, keys = 0;
        await foreach (var k in store.ScanAsync(store.Keys.ScanPattern(), CancellationToken.None))
        {
            var name = k[store.Keys.Prefix.Length..];
            if (name.StartsWith("bitop_", StringComparison.Ordinal)) continue;
            sum += await store.Set(SetExpr.Key(k)).CountAsync() * (1 + (name.GetHashCode(StringComparison.Ordinal) & 0xFF));
            keys++;
        }
        return (sum, keys);
    }

    private static string Spread(Results r, string name, Func<double, string> format) => $"{format(r.Min(name))}..{format(r.Max(name))}";
}
