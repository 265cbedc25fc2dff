using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Bitmapist.Linq.Benchmarks.Baselines;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Benchmarks.Suites;
using Bitmapist.Linq.Bitmaps;
using Roaring.Net.CRoaring;

namespace Bitmapist.Linq.Benchmarks.Micro;

/// <summary>
/// BenchmarkDotNet settings: in-process (no generated project to build, so it works with central package
/// management and from any checkout), a short job (the machine is shared and noisy: read ratios, not
/// absolute numbers), ratio and memory columns.
/// </summary>
internal static class MicroConfig
{
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .AddColumn(BaselineRatioColumn.RatioMean)
        .WithOptions(ConfigOptions.DisableOptimizationsValidator)
        .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
}

/// <summary>Decoding a 2^27-bit Redis string holding 1M random ids.</summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _bytes = [];
    private PagedBitmap _paged = new();
    private readonly List<uint> _ids = new(1_000_000);

    [GlobalSetup]
    public void Setup()
    {
        _bytes = Data.RedisBytes(Data.RandomSortedIds(1_000_000, 1 << 27, 27), 1 << 27);
        _paged = PagedBitmap.FromRedisBytes(_bytes);
    }

    [Benchmark(Baseline = true)]
    public int Naive()
    {
        _ids.Clear();
        NaiveDecoder.AppendIds(_bytes, 0, _ids);
        return _ids.Count;
    }

    [Benchmark]
    public int RedisBitmapDecoder()
    {
        _ids.Clear();
        Backends.Redis.RedisBitmapDecoder.AppendIds(_bytes, 0, _ids);
        return _ids.Count;
    }

    [Benchmark]
    public int PagedBitmapIds()
    {
        _ids.Clear();
        foreach (var id in _paged.Ids()) _ids.Add(id);
        return _ids.Count;
    }
}

/// <summary>AND+count of three dense random 1.25 MB bitmaps.</summary>
public class DenseAndCountBenchmarks
{
    private ulong[][] _words = [];
    private PagedBitmap[] _paged = [];
    private Roaring32Bitmap[] _roaring = [];

    [GlobalSetup]
    public void Setup()
    {
        var raw = new[] { Data.RandomBytes(1_250_000, 71), Data.RandomBytes(1_250_000, 72), Data.RandomBytes(1_250_000, 73) };
        _words = [.. raw.Select(b => MemoryMarshal.Cast<byte, ulong>(b).ToArray())];
        _paged = [.. raw.Select(b => PagedBitmap.FromRedisBytes(b))];
        _roaring = [.. _paged.Select(p => RoaringInfo.Build([.. p.Ids()]))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var r in _roaring) r.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long UlongLoop() => EmbeddedSuite.Loop(_words[0], _words[1], _words[2]);

    [Benchmark]
    public long PagedAndCount() => PagedBitmap.AndCount(_paged);

    [Benchmark]
    public long PagedFusedReference() => FusedPaged.AndCount(_paged);

    [Benchmark]
    public long RoaringAndThenAndCount()
    {
        using var ab = _roaring[0].And(_roaring[1]);
        return (long)ab.AndCount(_roaring[2]);
    }
}

/// <summary>AND+count of two random bitmaps over a 2^27-id universe, by density.</summary>
public class SparseAndCountBenchmarks
{
    private PagedBitmap _pa = new(), _pb = new();
    private Roaring32Bitmap? _ra, _rb;

    [Params(0.001, 0.01, 0.1)]
    public double Density { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var a = Data.BernoulliIds(Density, 1L << 27, 1);
        var b = Data.BernoulliIds(Density, 1L << 27, 2);
        _pa = PagedBitmap.Of(a);
        _pb = PagedBitmap.Of(b);
        _ra = RoaringInfo.Build(a);
        _rb = RoaringInfo.Build(b);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ra?.Dispose();
        _rb?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long Paged() => PagedBitmap.AndCount([_pa, _pb]);

    [Benchmark]
    public long PagedFusedReference() => FusedPaged.AndCount([_pa, _pb]);

    [Benchmark]
    public long Roaring() => (long)_ra!.AndCount(_rb!);
}
