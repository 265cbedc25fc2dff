using System.Diagnostics;
using System.Globalization;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.ColdStart;

/// <summary>
/// The process the cold-start suite (tests/Bitmapist.Linq.Benchmarks, <c>coldstart</c>) starts once per sample, in
/// each of its builds (JIT, ReadyToRun, Native AOT): it opens a store and times the first query of the
/// process, then a second one of another shape (what is left once the first call's costs are paid). It prints one
/// line, <c>open first second parse</c> in milliseconds, where <c>parse</c> is the first TextQuery.Parse alone
/// (text mode; 0 with operators).
/// </summary>
internal static class Program
{
    /// <summary>The first query, as text and as operators: the same set.</summary>
    public const string FirstText = "count month(active, 2026-11) & week(active, 2026-W48)";

    /// <summary>The second query: another shape (a range, a difference), so its plan is not the first's.</summary>
    public const string SecondText = "count day(active, 2026-11-01..2026-11-28) - month(signup, 2026-11)";

    /// <summary>
    /// args: <c>redis HOST:PORT PREFIX</c> or <c>embedded FILE</c>, then <c>text</c>, <c>prepared</c> (text, with
    /// <see cref="TextQuery.Prepare"/> called first thing, as a host that will parse text does) or <c>operators</c>.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        var text = args[^1] is "text" or "prepared";
        if (args[^1] == "prepared") _ = TextQuery.Prepare();
        var clock = Stopwatch.StartNew();
        await using BitmapStore store = args[0] == "redis"
            ? await RedisStore.ConnectAsync(args[1], new StoreOptions().WithPrefix(args[2]))
            : EmbeddedStore.OpenReadOnly(args[1]);
        var open = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        double parse = 0;
        long first;
        if (text)
        {
            var statements = TextQuery.Parse(FirstText);
            parse = clock.Elapsed.TotalMilliseconds;
            first = await store.Set(((QueryStatement)statements[0]).Query.Set).CountAsync();
        }
        else
        {
            first = await (store.Month("active", 2026, 11) & store.Week("active", 2026, 48)).CountAsync();
        }
        var firstMs = clock.Elapsed.TotalMilliseconds;

        clock.Restart();
        long second;
        if (text)
        {
            var statements = TextQuery.Parse(SecondText);
            second = await store.Set(((QueryStatement)statements[0]).Query.Set).CountAsync();
        }
        else
        {
            var days = Enumerable.Range(1, 28).Select(d => store.Day("active", 2026, 11, d)).Aggregate((a, b) => a | b);
            second = await (days - store.Month("signup", 2026, 11)).CountAsync();
        }
        var secondMs = clock.Elapsed.TotalMilliseconds;
        if (first <= 0 || second <= 0) throw new InvalidOperationException($"the queries counted {first} and {second}: the data is missing");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{open:0.00} {firstMs:0.00} {secondMs:0.00} {parse:0.00}"));
        return 0;
    }
}
