using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Cohorts;

/// <summary>
/// Planning a large table takes seconds (1000 rows x 99 columns: about 100,000 sets), so Ctrl-C must reach the
/// planner, not only the batch that follows it.
/// </summary>
public class CohortCancellationTests
{
    [Fact]
    public void Planning_observes_cancellation()
    {
        using var store = new EmbeddedStore();
        var query = TextQuery.Parse("cohort first signup then active by day rows 1000 cols 99 unbounded")
            .ShouldHaveSingleItem().ShouldBeOfType<CohortStatement>().Query;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Should.Throw<OperationCanceledException>(() => store.Plan(query, ct: cancelled.Token));
        Should.Throw<OperationCanceledException>(() => store.Plan(query, new Dictionary<string, Bitmapist.Linq.Query.SetExpr>(), cancelled.Token));
    }
}
