using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Bitmapist.Linq.Tests.Planning;

/// <summary>
/// The largest inputs the language allows plan in memory proportional to their size: a let chain nests one
/// operator per step, and printing every intermediate set (for the rewrite trace, or as each node's cached text)
/// cost characters quadratic in its length: 1 GB for 2,000 steps. Counted in bytes allocated on this thread,
/// the same on every run and machine.
/// </summary>
public class LargeInputPlanTests(ITestOutputHelper output)
{
    [Fact]
    public void A_let_chain_of_the_largest_allowed_length_plans_in_a_few_megabytes()
    {
        using var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)) });
        var lines = new List<string> { "let x0 = month(active)" };
        for (var i = 1; i < TextQuery.MaxLets; i++) lines.Add($"let x{i} = x{i - 1} | month(e{i})");
        lines.Add($"count x{TextQuery.MaxLets - 1}");
        var query = TextQuery.Parse(string.Join('\n', lines))[^1].ShouldBeOfType<QueryStatement>().Query;

        var before = GC.GetAllocatedBytesForCurrentThread();
        var plan = store.Plan(query);
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"{bytes:N0} bytes, {plan.Rewrites.Count} rewrites");
        // 6.8 MB; printing the trace (and so every nested set's text) up front took 214 MB.
        bytes.ShouldBeLessThan(32L << 20);
        plan.Rewrites[0].ShouldStartWith("flatten: ((key('trackist_active_2026-11') | key('trackist_e1_2026-11')) | key('trackist_e2_2026-11'))");
    }
}
