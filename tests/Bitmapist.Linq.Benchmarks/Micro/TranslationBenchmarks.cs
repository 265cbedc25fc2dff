using BenchmarkDotNet.Attributes;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Micro;

/// <summary>
/// LINQ translation cost per execution (issue 4): a query built once and run many times with a changing
/// captured value, translated through the shape cache (hit) or with the cache emptied first (miss); plus
/// building the query each time, and a compiled query. Target: a hit costs at most 5 us and 2 KB.
/// Run: dotnet run -c Release --project tests/Bitmapist.Linq.Benchmarks -- bdn --filter '*Translation*'
/// </summary>
[MemoryDiagnoser]
public class TranslationBenchmarks
{
    private readonly EmbeddedStore _store = new();
    private UserSet _query = null!;
    private Func<long, UserSet> _compiled = null!;
    private long _id;

    [GlobalSetup]
    public void Setup()
    {
        var store = _store;
        _query = store.Month("active").Where(u => store.Week("song:played").Contains(u) && u != _id);
        _compiled = CompiledQuery.Create(store, (long id) => store.Month("active").Where(u => store.Week("song:played").Contains(u) && u != id));
        _ = _query.ToSetExpr();
    }

    [Benchmark(Baseline = true, Description = "cache hit (query built once, captured id changes)")]
    public SetExpr CacheHit()
    {
        _id++;
        return _query.ToSetExpr();
    }

    [Benchmark(Description = "cache miss (full translation)")]
    public SetExpr CacheMiss()
    {
        _id++;
        _store.TranslationCache.Clear();
        return _query.ToSetExpr();
    }

    [Benchmark(Description = "build the query + cache hit")]
    public SetExpr BuildAndTranslate()
    {
        var store = _store;
        var id = ++_id;
        return store.Month("active").Where(u => store.Week("song:played").Contains(u) && u != id).ToSetExpr();
    }

    [Benchmark(Description = "compiled query")]
    public SetExpr Compiled() => _compiled(++_id).ToSetExpr();
}
