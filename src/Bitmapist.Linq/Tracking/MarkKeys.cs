using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Tracking;

/// <summary>The keys one mark writes, exactly as bitmapist writes them.</summary>
internal static class MarkKeys
{
    /// <summary>Month, ISO week and day keys of <paramref name="at"/>'s wall clock, plus hour and unique when enabled.</summary>
    public static IEnumerable<string> For(KeyScheme keys, string eventName, DateTime at, TrackingOptions tracking)
    {
        yield return keys.Key(eventName, Period.Of(PeriodUnit.Month, at));
        yield return keys.Key(eventName, Period.Of(PeriodUnit.Week, at));
        yield return keys.Key(eventName, Period.Of(PeriodUnit.Day, at));
        if (tracking.Hourly) yield return keys.Key(eventName, Period.Of(PeriodUnit.Hour, at));
        if (tracking.Unique) yield return keys.Key(eventName, Period.Unique);
    }
}
