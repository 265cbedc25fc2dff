using System.Globalization;
using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Query;

/// <summary>
/// A period as a query names it: either a fixed period (<c>2026-11</c>) or an offset from the period that
/// contains "now" (<c>0</c> = current, <c>-1</c> = previous). Relative periods are resolved at every
/// execution from the store's clock, never when the query is built, so a cached query never freezes "now".
/// </summary>
public readonly record struct PeriodRef
{
    private PeriodRef(PeriodUnit unit, Period? fixedPeriod, int offset)
    {
        Unit = unit;
        Fixed = fixedPeriod;
        Offset = offset;
    }

    /// <summary>The granularity.</summary>
    public PeriodUnit Unit { get; }

    /// <summary>The fixed period, or null for a relative one.</summary>
    public Period? Fixed { get; }

    /// <summary>For a relative reference: periods after (positive) or before (negative) the current one.</summary>
    public int Offset { get; }

    /// <summary>True when the period depends on "now".</summary>
    public bool IsRelative => Fixed is null;

    /// <summary>A fixed period.</summary>
    public static PeriodRef Of(Period period) => new(period.Unit, period, 0);

    /// <summary>The current period of <paramref name="unit"/> moved by <paramref name="offset"/> periods.</summary>
    public static PeriodRef Relative(PeriodUnit unit, int offset = 0) => new(unit, null, offset);

    /// <summary>The concrete period at <paramref name="now"/>.</summary>
    public Period Resolve(DateTime now) => Fixed ?? Period.Of(Unit, now).Delta(Offset);

    /// <summary>This reference moved by <paramref name="n"/> periods (stays relative when relative).</summary>
    public PeriodRef Delta(int n) => Fixed is { } p ? Of(p.Delta(n)) : Relative(Unit, Offset + n);

    /// <summary>The argument as the text language writes it: <c>2026-11</c>, <c>2026-W48</c>, <c>-1</c>, or empty for "current".</summary>
    public string ArgumentText => Fixed is { } p
        ? p.ToString()
        : Offset == 0 ? "" : Offset.ToString("+0;-0", CultureInfo.InvariantCulture);

    /// <summary>The text language's function name for the unit: <c>month</c>, <c>week</c>...</summary>
    public static string FunctionName(PeriodUnit unit) => unit.ToString().ToLowerInvariant();

    /// <inheritdoc />
    public override string ToString() => IsRelative ? $"{FunctionName(Unit)}{ArgumentText}" : ArgumentText;
}
