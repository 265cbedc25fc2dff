using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Cohorts;

/// <summary>
/// Builds a cohort table in C#: <c>store.Cohort(p =&gt; store.At("signup", p), p =&gt; store.At("active", p)).ByWeek().Rows(12).Cols(8)</c>.
/// Immutable: each call returns a new builder. It produces the same <see cref="CohortQuery"/>, and so the
/// same plan, as the text statement <c>cohort signup then active by week rows 12 cols 8</c>.
/// </summary>
public sealed class CohortBuilder
{
    private readonly BitmapStore _store;

    internal CohortBuilder(BitmapStore store, SetExpr cohort, SetExpr then)
        : this(store, new CohortQuery(cohort, then, PeriodUnit.Day))
    {
    }

    private CohortBuilder(BitmapStore store, CohortQuery query)
    {
        _store = store;
        Query = query;
    }

    /// <summary>The statement built so far.</summary>
    public CohortQuery Query { get; }

    private CohortBuilder With(CohortQuery query) => new(_store, query);

    /// <summary>Groups rows and columns by <paramref name="unit"/> (day, week, month or year; day by default).</summary>
    /// <remarks>A start already given moves to the new unit: a date to the period containing it, an offset stays an offset.</remarks>
    public CohortBuilder By(PeriodUnit unit) => With(Query with { By = unit, From = Trends.SeriesStart.In(unit, Query.From) });

    /// <summary>Groups by day.</summary>
    public CohortBuilder ByDay() => By(PeriodUnit.Day);

    /// <summary>Groups by ISO week.</summary>
    public CohortBuilder ByWeek() => By(PeriodUnit.Week);

    /// <summary>Groups by month.</summary>
    public CohortBuilder ByMonth() => By(PeriodUnit.Month);

    /// <summary>Groups by year.</summary>
    public CohortBuilder ByYear() => By(PeriodUnit.Year);

    /// <summary>Number of rows.</summary>
    public CohortBuilder Rows(int rows) => With(Query with { Rows = rows });

    /// <summary>Columns after the first.</summary>
    public CohortBuilder Cols(int cols) => With(Query with { Cols = cols });

    /// <summary>Starts the first row at the period (of the grouping) containing <paramref name="date"/>.</summary>
    public CohortBuilder From(DateTime date) => With(Query with { From = PeriodRef.Of(Period.Of(Query.By, date)) });

    /// <summary>Starts the first row <paramref name="offset"/> periods from the current one (e.g. -11).</summary>
    public CohortBuilder From(int offset) => With(Query with { From = PeriodRef.Relative(Query.By, offset) });

    /// <summary>Cells as counts.</summary>
    public CohortBuilder Counts() => With(Query with { Values = CohortValues.Counts });

    /// <summary>Cells as percentages of the cohort (the default).</summary>
    public CohortBuilder Percent() => With(Query with { Values = CohortValues.Percent });

    /// <summary>Unbounded retention: returned in period row + t or any later one.</summary>
    public CohortBuilder Unbounded() => With(Query with { Retention = RetentionMode.Unbounded });

    /// <summary>First-time cohorts: only users for whom the cohort set never held before the row (back to <paramref name="since"/>; default one year before the first row).</summary>
    public CohortBuilder FirstTime(DateTime? since = null) =>
        With(Query with { Membership = CohortMembership.FirstTime, Since = since?.Date });

    /// <summary>Computes the table in one batch.</summary>
    public Task<CohortTable> RunAsync(CancellationToken ct = default) => _store.CohortAsync(Query, ct: ct);

    /// <summary>Synchronous <see cref="RunAsync"/>.</summary>
    public CohortTable Run() => RunAsync().GetAwaiter().GetResult();

    /// <summary>The plan document: rows, counted sets, program and commands.</summary>
    public string Explain() => _store.Explain(Query);

    /// <inheritdoc />
    public override string ToString() => Query.Text;
}
