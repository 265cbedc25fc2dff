using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Text;
using Xunit.Abstractions;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>
/// Random and mutated queries: the only failure allowed is a syntax error, and parse work grows in proportion to
/// the query. How long a parse takes is the benchmark's to say (<c>-- parse</c>): a time bound here failed on a
/// GC pause of a shared machine.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Random_and_mutated_queries_fail_only_with_syntax_errors()
    {
        foreach (var text in QueryFuzz.Texts(20261128, 20000))
        {
            try
            {
                TextQuery.Parse(text);
            }
            catch (QuerySyntaxException e)
            {
                e.Line.ShouldBeGreaterThan(0);
                e.Column.ShouldBeGreaterThan(0);
                e.Message.ShouldContain("^");
            }
            catch (Exception e)
            {
                throw new ShouldAssertException($"{e.GetType().Name} for {text}: {e}");
            }
        }
    }

    /// <summary>
    /// A parser that backtracks, or a pass over the tokens for each token, makes parse work grow with a power of
    /// the query's length or exponentially. The work is counted in bytes allocated on this thread, which for the
    /// same text is the same on every run and machine, busy or not; both kinds of growth allocate as they go
    /// (nodes, tokens, lists, strings). A loop that allocates nothing escapes this: the benchmark times it.
    /// </summary>
    [Fact]
    public void Parse_work_grows_in_proportion_to_the_query()
    {
        foreach (var (name, nested, text) in QueryFuzz.Shapes)
        {
            // Each step makes the query 4 times as long: about 4 times the work if linear, 16 if quadratic.
            // Nested sets are quadratic by design (every node keeps its own text, its children's included) and
            // capped by MaxNesting, so they may be quadratic but not cubic. Small sizes first: were the growth
            // exponential, the first step fails before a large size would run for ever.
            int[] sizes = nested ? [3, 12, 48, 192] : [4, 16, 64, 256, 1024];
            var bound = nested ? 32 : 8;
            var previous = Allocated(text(sizes[0]));
            foreach (var n in sizes[1..])
            {
                var bytes = Allocated(text(n));
                var ratio = bytes / (double)previous;
                output.WriteLine($"{name}: n = {n / 4} -> {n}: {previous:N0} -> {bytes:N0} bytes, x{ratio:0.00}");
                ratio.ShouldBeLessThan(bound, $"{name}: {previous:N0} bytes allocated parsing n = {n / 4}, {bytes:N0} for n = {n}");
                previous = bytes;
            }
        }
    }

    private static long Allocated(string text)
    {
        Parse(text); // first calls build caches and run static constructors
        var before = GC.GetAllocatedBytesForCurrentThread();
        Parse(text);
        return GC.GetAllocatedBytesForCurrentThread() - before;

        static void Parse(string text)
        {
            try
            {
                TextQuery.Parse(text);
            }
            catch (QuerySyntaxException)
            {
            }
        }
    }

    [Fact]
    public void Deep_nesting_is_a_syntax_error_not_a_crash()
    {
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(new string('(', 5000) + "users" + new string(')', 5000)))
            .Problem.ShouldBe($"the expression nests more than {TextQuery.MaxNesting} levels deep");
        Should.Throw<QuerySyntaxException>(() => TextQuery.Parse(new string('~', 5000) + "users"));
        TextQuery.ParseSet(string.Join(" & ", Enumerable.Range(0, 5000).Select(i => $"day(e{i})"))).Children.Length.ShouldBe(5000);
    }
}
