using System.Diagnostics;
using Bitmapist.Linq.Benchmarks.Baselines;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Bitmaps;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;
using Roaring.Net.CRoaring;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Memory of the sample data (200k users, 120 days) in the embedded store vs in Redis, and the
/// representation choice PagedBitmap vs Roaring.Net: memory and AND+count time on the sample's keys and on
/// synthetic 2^27-id universes at 0.1%, 1% and 10% density.
/// </summary>
internal sealed class MemorySuite : ISuite
{
    private static readonly SampleDataOptions Sample = new(End: new DateTime(2026, 6, 30));

    public string Name => "memory";
    public string Description => "sample data memory: embedded vs Redis; PagedBitmap vs Roaring.Net";

    public async Task RunAsync(BenchContext ctx)
    {
        var prefix = BenchContext.Prefix(Name);
        var options = new StoreOptions().WithPrefix(prefix);

        // ---- embedded store: its own accounting and the managed heap growth
        Measure.Quiesce();
        var heapBefore = GC.GetTotalMemory(true);
        var sw = Stopwatch.StartNew();
        using var embedded = new EmbeddedStore(options);
        var summary = await SampleData.GenerateAsync(embedded, Sample);
        var embeddedSeconds = sw.Elapsed.TotalSeconds;
        Measure.Quiesce();
        var heapAfter = GC.GetTotalMemory(true);
        var embeddedBytes = embedded.MemoryBytes;

        // ---- Redis: used_memory delta, MEMORY USAGE and STRLEN sums
        var redis = ctx.Redis;
        await redis.DeleteAsync(prefix + "*");
        await Task.Delay(200);
        var usedBefore = await redis.UsedMemoryAsync();
        sw.Restart();
        await using (var store = await ctx.StoreAsync(prefix))
            await SampleData.GenerateAsync(store, Sample);
        var redisSeconds = sw.Elapsed.TotalSeconds;
        await Task.Delay(200);
        var usedAfter = await redis.UsedMemoryAsync();
        long usage = 0, strlen = 0, redisKeys = 0;
        await foreach (var k in redis.Server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
        {
            usage += (long)(await redis.Db.ExecuteAsync("MEMORY", "USAGE", k, "SAMPLES", "0"));
            strlen += await redis.Db.StringLengthAsync(k);
            redisKeys++;
        }

        var t = new Table("store", "keys", "bytes", "vs embedded MemoryBytes", "how measured");
        t.Row("embedded", embedded.KeyCount, Fmt.Bytes(embeddedBytes), "1.00x", "EmbeddedStore.MemoryBytes (pages + index + key names)");
        t.Row("embedded", embedded.KeyCount, Fmt.Bytes(heapAfter - heapBefore), Fmt.Ratio((heapAfter - heapBefore) / (double)embeddedBytes), "managed heap growth after full GC (whole store object)");
        t.Row("Redis", redisKeys, Fmt.Bytes(usedAfter - usedBefore), Fmt.Ratio((usedAfter - usedBefore) / (double)embeddedBytes), "INFO memory used_memory delta");
        t.Row("Redis", redisKeys, Fmt.Bytes(usage), Fmt.Ratio(usage / (double)embeddedBytes), "sum of MEMORY USAGE per key");
        t.Row("Redis", redisKeys, Fmt.Bytes(strlen), Fmt.Ratio(strlen / (double)embeddedBytes), "sum of STRLEN (raw bitmap bytes)");
        t.Print($"sample data ({Sample.Users:N0} users, {Sample.Days} days, {summary.Records:N0} records; generated in {embeddedSeconds:0.0} s embedded, {redisSeconds:0.0} s into Redis)");
        await redis.DeleteAsync(prefix + "*");

        // ---- representation on the sample's keys
        var keys = new List<string>();
        await foreach (var k in embedded.ScanAsync(embedded.Keys.ScanPattern(), CancellationToken.None)) keys.Add(k);
        keys.Sort(StringComparer.Ordinal);
        var pagedByKey = keys.ToDictionary(k => k, k => embedded.Snapshot(k)!);
        var roaringByKey = keys.ToDictionary(k => k, k => RoaringInfo.Build([.. pagedByKey[k].Ids()]));
        try
        {
            var pagedMem = pagedByKey.Values.Sum(b => b.MemoryBytes);
            var roaringMem = roaringByKey.Values.Sum(RoaringInfo.HeapBytes);
            var roaringSer = roaringByKey.Values.Sum(RoaringInfo.SerializedBytes);
            long ids = pagedByKey.Values.Sum(b => b.Count());
            var denseMem = pagedByKey.Values.Sum(b => (long)((b.Max() ?? 0) / 8 + 1));

            // AND+count: active & song:played per day (2 inputs), and & premium (3 inputs).
            var days = Enumerable.Range(0, Sample.Days).Select(i => summary.FirstDay.AddDays(i)).ToArray();
            string Key(string e, DateTime d) => embedded.Keys.Key(e, Model.Period.Day(d.Year, d.Month, d.Day));
            var premium = embedded.Keys.Key(SampleData.PremiumFlag, Model.Period.Unique);
            var pairs = days.Select(d => (Key("active", d), Key("song:played", d))).Where(p => pagedByKey.ContainsKey(p.Item1) && pagedByKey.ContainsKey(p.Item2)).ToArray();

            long PagedPairs()
            {
                long n = 0;
                foreach (var (a, b) in pairs) n += PagedBitmap.AndCount([pagedByKey[a], pagedByKey[b]]);
                return n;
            }
            long FusedPairs()
            {
                long n = 0;
                foreach (var (a, b) in pairs) n += FusedPaged.AndCount([pagedByKey[a], pagedByKey[b]]);
                return n;
            }
            long FusedTriples()
            {
                long n = 0;
                foreach (var (a, b) in pairs) n += FusedPaged.AndCount([pagedByKey[a], pagedByKey[b], pagedByKey[premium]]);
                return n;
            }
            long RoaringPairs()
            {
                long n = 0;
                foreach (var (a, b) in pairs) n += (long)roaringByKey[a].AndCount(roaringByKey[b]);
                return n;
            }
            long PagedTriples()
            {
                long n = 0;
                foreach (var (a, b) in pairs) n += PagedBitmap.AndCount([pagedByKey[a], pagedByKey[b], pagedByKey[premium]]);
                return n;
            }
            long RoaringTriples()
            {
                long n = 0;
                foreach (var (a, b) in pairs)
                {
                    using var ab = roaringByKey[a].And(roaringByKey[b]);
                    n += (long)ab.AndCount(roaringByKey[premium]);
                }
                return n;
            }
            if (PagedPairs() != RoaringPairs() || PagedTriples() != RoaringTriples() || FusedPairs() != PagedPairs() || FusedTriples() != PagedTriples()) throw new InvalidOperationException("PagedBitmap and Roaring disagree on the sample");

            var sampleTimes = await Measure.SideBySide(ctx.Warmup(3), ctx.Reps(9),
                new Case("paged2", () => Task.FromResult(Measure.PerCall(20, () => PagedPairs()))),
                new Case("roaring2", () => Task.FromResult(Measure.PerCall(20, () => RoaringPairs()))),
                new Case("paged3", () => Task.FromResult(Measure.PerCall(20, () => PagedTriples()))),
                new Case("roaring3", () => Task.FromResult(Measure.PerCall(20, () => RoaringTriples()))),
                new Case("fused2", () => Task.FromResult(Measure.PerCall(20, () => FusedPairs()))),
                new Case("fused3", () => Task.FromResult(Measure.PerCall(20, () => FusedTriples()))));

            var t2 = new Table("representation (sample keys)", "memory", "vs PagedBitmap", $"AND+count, {pairs.Length} x 2 inputs", $"AND+count, {pairs.Length} x 3 inputs");
            t2.Row("PagedBitmap (MemoryBytes)", Fmt.Bytes(pagedMem), "1.00x", Fmt.Ms(sampleTimes.Median("paged2")) + " ms", Fmt.Ms(sampleTimes.Median("paged3")) + " ms");
            t2.Row("PagedBitmap, fused AND+count pass (reference, not library code)", "", "",
                $"{Fmt.Ms(sampleTimes.Median("fused2"))} ms ({Fmt.Ratio(sampleTimes.Ratio("fused2", "paged2"))} of paged)",
                $"{Fmt.Ms(sampleTimes.Median("fused3"))} ms ({Fmt.Ratio(sampleTimes.Ratio("fused3", "paged3"))} of paged)");
            t2.Row("Roaring.Net, heap estimate", Fmt.Bytes(roaringMem), Fmt.Ratio(roaringMem / (double)pagedMem),
                $"{Fmt.Ms(sampleTimes.Median("roaring2"))} ms ({Fmt.Ratio(sampleTimes.Ratio("roaring2", "paged2"))} of paged)",
                $"{Fmt.Ms(sampleTimes.Median("roaring3"))} ms ({Fmt.Ratio(sampleTimes.Ratio("roaring3", "paged3"))} of paged)");
            t2.Row("Roaring.Net, portable serialized", Fmt.Bytes(roaringSer), Fmt.Ratio(roaringSer / (double)pagedMem), "", "");
            t2.Row("dense Redis strings (sum of lengths)", Fmt.Bytes(denseMem), Fmt.Ratio(denseMem / (double)pagedMem), "", "");
            t2.Print($"representation on the sample's {keys.Count} keys ({ids:N0} set bits in total; time = one pass over all days, median of {ctx.Reps(9)})");
        }
        finally
        {
            foreach (var r in roaringByKey.Values) r.Dispose();
        }

        // ---- synthetic 2^27 universe
        const long universe = 1L << 27;
        var t3 = new Table("density", "ids per bitmap", "PagedBitmap", "Roaring heap", "paged/roaring memory", "AND+count paged", "AND+count paged, fused pass", "AND+count roaring", "roaring time / paged", "roaring time / fused", "build paged", "build roaring", "to Redis string paged", "to Redis string roaring");
        foreach (var density in new[] { 0.001, 0.01, 0.1 })
        {
            var a = Data.BernoulliIds(density, universe, seed: 1);
            var b = Data.BernoulliIds(density, universe, seed: 2);
            var buildPaged = Measure.PerCall(1, () => PagedBitmap.Of(a).Count());
            var pa = PagedBitmap.Of(a);
            var pb = PagedBitmap.Of(b);
            var swr = Stopwatch.StartNew();
            using var ra = RoaringInfo.Build(a);
            var buildRoaring = swr.Elapsed.TotalSeconds;
            using var rb = RoaringInfo.Build(b);
            if (PagedBitmap.AndCount([pa, pb]) != (long)ra.AndCount(rb) || FusedPaged.AndCount([pa, pb]) != (long)ra.AndCount(rb)) throw new InvalidOperationException("AND count mismatch");

            var times = await Measure.SideBySide(ctx.Warmup(2), ctx.Reps(7),
                new Case("paged", () => Task.FromResult(Measure.PerCall(5, () => PagedBitmap.AndCount([pa, pb])))),
                new Case("roaring", () => Task.FromResult(Measure.PerCall(5, () => ra.AndCount(rb)))),
                new Case("fused", () => Task.FromResult(Measure.PerCall(5, () => FusedPaged.AndCount([pa, pb])))),
                new Case("pagedBytes", () => Task.FromResult(Measure.PerCall(2, () => pa.ToRedisBytes()))),
                new Case("roaringBytes", () => Task.FromResult(Measure.PerCall(2, () => RoaringToRedisBytes(ra)))));
            if (!pa.ToRedisBytes().AsSpan().SequenceEqual(RoaringToRedisBytes(ra))) throw new InvalidOperationException("conversion mismatch");
            var pm = pa.MemoryBytes;
            var rm = RoaringInfo.HeapBytes(ra);
            t3.Row($"{density:0.0%}", a.Length.ToString("N0"), Fmt.Bytes(pm), Fmt.Bytes(rm), Fmt.Ratio(pm / (double)rm),
                Fmt.Ms(times.Median("paged")) + " ms", Fmt.Ms(times.Median("fused")) + " ms", Fmt.Ms(times.Median("roaring")) + " ms",
                Fmt.Ratio(times.Ratio("roaring", "paged")), Fmt.Ratio(times.Ratio("roaring", "fused")),
                Fmt.Ms(buildPaged) + " ms", Fmt.Ms(buildRoaring) + " ms",
                Fmt.Ms(times.Median("pagedBytes")) + " ms", Fmt.Ms(times.Median("roaringBytes")) + " ms");
            Measure.Quiesce();
        }
        t3.Print("synthetic: two independent random bitmaps over a 2^27-id universe (16 MiB dense); AND+count of the pair");
        Console.WriteLine("build = from sorted ids (PagedBitmap.Of; Roaring FromValues + Optimize + ShrinkToFit), one run each.");
        Console.WriteLine("to Redis string = the dense big-endian byte string Redis and the bulk import need (PagedBitmap.ToRedisBytes; Roaring: CopyTo ids, set bits).");
    }

    /// <summary>What a Roaring-based embedded store would need to hand a bitmap to Redis.</summary>
    internal static byte[] RoaringToRedisBytes(Roaring32Bitmap r)
    {
        if (r.IsEmpty) return [];
        var bytes = new byte[r.Max!.Value / 8 + 1];
        var ids = new uint[r.Count];
        r.CopyTo(ids);
        foreach (var id in ids) bytes[id >> 3] |= (byte)(0x80 >> (int)(id & 7));
        return bytes;
    }
}
