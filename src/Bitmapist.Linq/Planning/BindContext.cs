using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>Everything binding needs, taken fresh at every execution.</summary>
/// <param name="Now">"Now" on the store's clock, as a UTC wall-clock value.</param>
/// <param name="Keys">The store's key scheme.</param>
/// <param name="Universe">The configured universe, or null when none is configured.</param>
/// <param name="Parameters">Values of set-valued parameters.</param>
public sealed record BindContext(
    DateTime Now,
    KeyScheme Keys,
    SetExpr? Universe = null,
    IReadOnlyDictionary<string, SetExpr>? Parameters = null);
