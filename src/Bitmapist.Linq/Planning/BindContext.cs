using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>Everything binding needs, taken fresh at every execution.</summary>
/// <param name="Now">"Now" on the store's clock, as a UTC wall-clock value.</param>
/// <param name="Keys">The store's key scheme.</param>
/// <param name="Universe">The configured universe, or null when none is configured.</param>
/// <param name="Parameters">Values of set-valued parameters.</param>
/// <param name="HourlyTracked">
/// The store's marks write hour keys (<see cref="Tracking.TrackingOptions.Hourly"/>), so a day key holds exactly
/// the OR of its 24 hour keys and an hour range may cover its whole days with day, week and month keys.
/// Without it an hour range reads hour keys only: a day key would count marks that have no hour key.
/// </param>
/// <param name="ExternalIds">
/// The internal id of each external id the statement names (<see cref="Query.ExternalIdsNode"/>), looked up by the store
/// before planning; an external id missing here has no internal id. Null when nothing was looked up.
/// </param>
public sealed record BindContext(
    DateTime Now,
    KeyScheme Keys,
    SetExpr? Universe = null,
    IReadOnlyDictionary<string, SetExpr>? Parameters = null,
    bool HourlyTracked = false,
    IReadOnlyDictionary<string, uint>? ExternalIds = null);
