namespace Bitmapist.Linq.Model;

/// <summary>The granularity of a <see cref="Period"/>, from coarsest to finest, plus the dateless unique flag.</summary>
public enum PeriodUnit
{
    /// <summary>A calendar year. bitmapist stores no year key: a year is the OR of its 12 month keys.</summary>
    Year,
    /// <summary>A calendar month (key suffix <c>2026-11</c>).</summary>
    Month,
    /// <summary>An ISO 8601 week, Monday to Sunday, numbered within its ISO year (key suffix <c>W2026-48</c>).</summary>
    Week,
    /// <summary>A calendar day (key suffix <c>2026-11-28</c>).</summary>
    Day,
    /// <summary>An hour of a day, 0 to 23 (key suffix <c>2026-11-28-14</c>).</summary>
    Hour,
    /// <summary>No date at all: bitmapist's "unique" flag (key suffix <c>u</c>).</summary>
    Unique,
}
