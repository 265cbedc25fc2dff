using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq;

/// <summary>
/// Entry points on the default store (bitmapist's "default system"), for queries written as
/// <c>Events.Month("active").Where(u =&gt; Events.Week("song:played").Contains(u))</c>. Configure the store
/// once with <see cref="DefaultStore"/>; with several stores use <c>store.Events.Month(...)</c> instead.
/// Relative periods (no date given) are resolved at every execution, never when the query is built.
/// </summary>
public static class Events
{
    private static BitmapStore? _default;

    /// <summary>The store the static entry points use.</summary>
    /// <exception cref="InvalidOperationException">Read before a store was configured.</exception>
    public static BitmapStore DefaultStore
    {
        get => _default ?? throw new InvalidOperationException(
            "No default store is configured. Set Events.DefaultStore = new EmbeddedStore() (or a RedisStore) at start-up, or use store.Events.Month(...).");
        set => _default = value;
    }

    /// <summary><paramref name="eventName"/> this year (the OR of its 12 month keys).</summary>
    public static UserSet Year(string eventName) => DefaultStore.Year(eventName);

    /// <summary><paramref name="eventName"/> in <paramref name="year"/>.</summary>
    public static UserSet Year(string eventName, int year) => DefaultStore.Year(eventName, year);

    /// <summary><paramref name="eventName"/> this month.</summary>
    public static UserSet Month(string eventName) => DefaultStore.Month(eventName);

    /// <summary><paramref name="eventName"/> in a given month.</summary>
    public static UserSet Month(string eventName, int year, int month) => DefaultStore.Month(eventName, year, month);

    /// <summary><paramref name="eventName"/> this ISO week.</summary>
    public static UserSet Week(string eventName) => DefaultStore.Week(eventName);

    /// <summary><paramref name="eventName"/> in a given ISO week.</summary>
    public static UserSet Week(string eventName, int isoYear, int week) => DefaultStore.Week(eventName, isoYear, week);

    /// <summary><paramref name="eventName"/> today.</summary>
    public static UserSet Day(string eventName) => DefaultStore.Day(eventName);

    /// <summary><paramref name="eventName"/> on a given day.</summary>
    public static UserSet Day(string eventName, int year, int month, int day) => DefaultStore.Day(eventName, year, month, day);

    /// <summary><paramref name="eventName"/> this hour (needs hourly tracking).</summary>
    public static UserSet Hour(string eventName) => DefaultStore.Hour(eventName);

    /// <summary><paramref name="eventName"/> in a given hour.</summary>
    public static UserSet Hour(string eventName, int year, int month, int day, int hour) => DefaultStore.Hour(eventName, year, month, day, hour);

    /// <summary>The dateless unique flag <paramref name="eventName"/>.</summary>
    public static UserSet Unique(string eventName) => DefaultStore.Unique(eventName);

    /// <summary>Users with <paramref name="eventName"/> in any (or every) period from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static UserSet Range(string eventName, PeriodRef from, PeriodRef to, RangeMode mode = RangeMode.Any) =>
        DefaultStore.Range(eventName, from, to, mode);

    /// <summary>Users with <paramref name="eventName"/> at any time from <paramref name="first"/> to <paramref name="last"/> (days, inclusive), with the fewest keys.</summary>
    public static UserSet During(string eventName, DateTime first, DateTime last) => DefaultStore.During(eventName, first, last);

    /// <summary><paramref name="eventName"/> in a fixed period.</summary>
    public static UserSet At(string eventName, Period period) => DefaultStore.At(eventName, period);

    /// <summary>A cohort table builder on the default store; templates are lambdas from a period to a set (see <see cref="BitmapStore.Cohort"/>).</summary>
    public static Cohorts.CohortBuilder Cohort(
        System.Linq.Expressions.Expression<Func<Period, UserSet>> cohort,
        System.Linq.Expressions.Expression<Func<Period, UserSet>> then) => DefaultStore.Cohort(cohort, then);

    /// <summary>A trend builder on the default store; the template is a lambda from a period to a set (see <see cref="BitmapStore.Trend"/>).</summary>
    public static Trends.TrendBuilder Trend(System.Linq.Expressions.Expression<Func<Period, UserSet>> template) => DefaultStore.Trend(template);

    /// <summary>A funnel builder on the default store; steps are lambdas from a period to a set (see <see cref="BitmapStore.Funnel"/>).</summary>
    public static Trends.FunnelBuilder Funnel(params System.Linq.Expressions.Expression<Func<Period, UserSet>>[] steps) => DefaultStore.Funnel(steps);

    /// <summary>A literal set of ids.</summary>
    public static UserSet Ids(params IEnumerable<long> ids) => DefaultStore.Ids(ids);

    /// <summary>
    /// A literal set of external ids (<c>Events.Ids("alice", "bob")</c>), looked up in the store's id map
    /// (<see cref="StoreOptions.IdMap"/>) when the query runs; an external id with no internal id adds nothing.
    /// </summary>
    public static UserSet Ids(params IEnumerable<string> externalIds) => DefaultStore.Ids(externalIds);

    /// <summary>
    /// <see cref="Ids(IEnumerable{string})"/> for a list written out: the form a LINQ predicate can hold
    /// (<c>Where(u =&gt; Events.Ids("alice", "bob").Contains(u))</c>), since C# refuses an expanded
    /// <c>params IEnumerable</c> inside an expression tree (CS9226).
    /// </summary>
    public static UserSet Ids(params string[] externalIds) => DefaultStore.Ids((IEnumerable<string>)externalIds);

    /// <summary>The configured universe.</summary>
    public static UserSet Users => DefaultStore.Users;
}
