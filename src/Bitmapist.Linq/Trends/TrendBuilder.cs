using System.Collections.Immutable;
using System.Linq.Expressions;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Trends;

/// <summary>
/// Builds a trend in C#: <c>store.Trend(p =&gt; store.At("active", p)).ByDay().Rows(30).Window(7)</c>.
/// Immutable: each call returns a new builder. It produces the same <see cref="TrendQuery"/>, and so the same
/// plan, as the text statement <c>trend active by day rows 30 window 7</c>.
/// </summary>
public sealed class TrendBuilder
{
    private readonly BitmapStore _store;

    internal TrendBuilder(BitmapStore store, TrendQuery query)
    {
        _store = store;
        Query = query;
    }

    /// <summary>The statement built so far.</summary>
    public TrendQuery Query { get; }

    private TrendBuilder With(TrendQuery query) => new(_store, query);

    /// <summary>One row per period of <paramref name="unit"/> (day by default).</summary>
    /// <remarks>A start already given moves to the new unit: a date to the period containing it, an offset stays an offset.</remarks>
    public TrendBuilder By(PeriodUnit unit) => With(Query with { By = unit, From = SeriesStart.In(unit, Query.From) });

    /// <summary>One row per hour.</summary>
    public TrendBuilder ByHour() => By(PeriodUnit.Hour);

    /// <summary>One row per day.</summary>
    public TrendBuilder ByDay() => By(PeriodUnit.Day);

    /// <summary>One row per ISO week.</summary>
    public TrendBuilder ByWeek() => By(PeriodUnit.Week);

    /// <summary>One row per month.</summary>
    public TrendBuilder ByMonth() => By(PeriodUnit.Month);

    /// <summary>One row per year.</summary>
    public TrendBuilder ByYear() => By(PeriodUnit.Year);

    /// <summary>Number of rows.</summary>
    public TrendBuilder Rows(int rows) => With(Query with { Rows = rows });

    /// <summary>Starts the first row at the period containing <paramref name="date"/>.</summary>
    public TrendBuilder From(DateTime date) => With(Query with { From = PeriodRef.Of(Period.Of(Query.By, date)) });

    /// <summary>Starts the first row <paramref name="offset"/> periods from the current one (e.g. -29).</summary>
    public TrendBuilder From(int offset) => With(Query with { From = PeriodRef.Relative(Query.By, offset) });

    /// <summary>Rolling: each row counts users in any of the <paramref name="periods"/> periods ending at it.</summary>
    public TrendBuilder Window(int periods) => With(Query with { Window = periods });

    /// <summary>
    /// Each row as a share of a whole: <paramref name="whole"/> in the period of <paramref name="unit"/> containing
    /// the row, or in any of the <paramref name="window"/> periods ending there. DAU/MAU:
    /// <c>.Of(p =&gt; store.At("active", p), PeriodUnit.Month)</c>.
    /// </summary>
    public TrendBuilder Of(Expression<Func<Period, UserSet>> whole, PeriodUnit unit, int window = 1) =>
        With(Query with { Of = new TrendRatio(CohortTemplateTranslator.Translate(_store, whole), unit) { Window = window } });

    /// <summary>Computes the series in one batch.</summary>
    public Task<TrendTable> RunAsync(CancellationToken ct = default) => _store.TrendAsync(Query, ct: ct);

    /// <summary>Synchronous <see cref="RunAsync"/>.</summary>
    public TrendTable Run() => RunAsync().GetAwaiter().GetResult();

    /// <summary>The plan document: rows, counted sets, program and commands.</summary>
    public string Explain() => _store.Explain(Query);

    /// <inheritdoc />
    public override string ToString() => Query.Text;
}

/// <summary>
/// Builds a funnel in C#: <c>store.Funnel(p =&gt; store.At("signup", p), p =&gt; store.At("paid", p)).ByDay().Within(7)</c>.
/// Immutable: each call returns a new builder. It produces the same <see cref="FunnelQuery"/>, and so the same
/// plan, as the text statement <c>funnel signup then paid by day within 7</c>.
/// </summary>
public sealed class FunnelBuilder
{
    private readonly BitmapStore _store;

    internal FunnelBuilder(BitmapStore store, FunnelQuery query)
    {
        _store = store;
        Query = query;
    }

    /// <summary>The statement built so far.</summary>
    public FunnelQuery Query { get; }

    private FunnelBuilder With(FunnelQuery query) => new(_store, query);

    /// <summary>One funnel per period of <paramref name="unit"/> (day by default).</summary>
    public FunnelBuilder By(PeriodUnit unit) => With(Query with { By = unit, From = SeriesStart.In(unit, Query.From) });

    /// <summary>One funnel per hour.</summary>
    public FunnelBuilder ByHour() => By(PeriodUnit.Hour);

    /// <summary>One funnel per day.</summary>
    public FunnelBuilder ByDay() => By(PeriodUnit.Day);

    /// <summary>One funnel per ISO week.</summary>
    public FunnelBuilder ByWeek() => By(PeriodUnit.Week);

    /// <summary>One funnel per month.</summary>
    public FunnelBuilder ByMonth() => By(PeriodUnit.Month);

    /// <summary>One funnel per year.</summary>
    public FunnelBuilder ByYear() => By(PeriodUnit.Year);

    /// <summary>Number of rows.</summary>
    public FunnelBuilder Rows(int rows) => With(Query with { Rows = rows });

    /// <summary>Starts the first row at the period containing <paramref name="date"/>.</summary>
    public FunnelBuilder From(DateTime date) => With(Query with { From = PeriodRef.Of(Period.Of(Query.By, date)) });

    /// <summary>Starts the first row <paramref name="offset"/> periods from the current one.</summary>
    public FunnelBuilder From(int offset) => With(Query with { From = PeriodRef.Relative(Query.By, offset) });

    /// <summary>Later steps may happen in any of the <paramref name="periods"/> periods from the row's on (1: the same period).</summary>
    public FunnelBuilder Within(int periods) => With(Query with { Within = periods });

    /// <summary>Computes every funnel in one batch.</summary>
    public Task<FunnelTable> RunAsync(CancellationToken ct = default) => _store.FunnelAsync(Query, ct: ct);

    /// <summary>Synchronous <see cref="RunAsync"/>.</summary>
    public FunnelTable Run() => RunAsync().GetAwaiter().GetResult();

    /// <summary>The plan document: rows, counted sets, program and commands.</summary>
    public string Explain() => _store.Explain(Query);

    /// <inheritdoc />
    public override string ToString() => Query.Text;
}

/// <summary>A builder's start when its unit changes: a date moves to the period containing it, an offset stays an offset.</summary>
internal static class SeriesStart
{
    public static PeriodRef? In(PeriodUnit unit, PeriodRef? from) => from switch
    {
        { Fixed: { } p } => PeriodRef.Of(Period.Of(unit, p.Start)),
        { } relative => PeriodRef.Relative(unit, relative.Offset),
        null => null,
    };
}
