using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Stores;

/// <summary>
/// What a store holds of one event (<see cref="BitmapStore.DescribeEventAsync"/>): how many keys of each unit,
/// the first and last period of each, and how many users it has this month.
/// </summary>
/// <param name="Event">The event name.</param>
/// <param name="Units">One entry per unit that has at least one key (month, week, day, hour, unique), in that order.</param>
/// <param name="ThisMonth">The current month (store clock).</param>
/// <param name="CountThisMonth">Users with the event this month.</param>
public sealed record EventDescription(string Event, IReadOnlyList<EventPeriods> Units, Period ThisMonth, long CountThisMonth)
{
    /// <summary>True when the event has no key at all (a misspelt name, or no data yet).</summary>
    public bool IsEmpty => Units.Count == 0;
}

/// <summary>The keys an event has in one unit: how many, and the first and last period.</summary>
/// <param name="Unit">The unit.</param>
/// <param name="Keys">How many keys (periods) of this unit exist.</param>
/// <param name="First">The earliest period with a key.</param>
/// <param name="Last">The latest period with a key.</param>
public sealed record EventPeriods(PeriodUnit Unit, int Keys, Period First, Period Last);
