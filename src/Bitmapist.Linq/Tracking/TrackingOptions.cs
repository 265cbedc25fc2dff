using Bitmapist.Linq.Backends;
namespace Bitmapist.Linq.Tracking;

/// <summary>Which extra keys a mark writes besides month, ISO week and day (bitmapist 3's defaults: neither).</summary>
/// <param name="Hourly">Also write the hour key (<c>{event}_2026-11-28-14</c>).</param>
/// <param name="Unique">Also write the dateless unique key (<c>{event}_u</c>).</param>
public sealed record TrackingOptions(bool Hourly = false, bool Unique = false)
{
    /// <summary>bitmapist 3's defaults: no hourly, no unique.</summary>
    public static TrackingOptions Bitmapist3 { get; } = new();

    /// <summary>bitmapist4's defaults: unique tracking on.</summary>
    public static TrackingOptions Bitmapist4 { get; } = new(Hourly: false, Unique: true);
}
