using System.Globalization;
using System.Numerics;

namespace Bitmapist.Linq.Cohorts.Rendering;

/// <summary>
/// Python's <c>round(x, n)</c> and <c>str(x)</c> of a float, exactly, so a report shows the numbers bitmapist's shows.
/// .NET's own differ: <c>Math.Round(x, 2)</c> multiplies by 100 first, a rounding of its own (2.675, just below 2.675 in
/// binary, times 100 is exactly 267.5, so it says 2.68; Python says 2.67), and custom formats such as <c>"0.##"</c> round 15
/// significant digits half away from zero (15.625 shows as 15.63, 14.374999999999998 as 14.38; Python says 15.62 and 14.37).
/// </summary>
internal static class PythonFloat
{
    /// <summary>
    /// <c>round(x, ndigits)</c>: the exact binary value of <paramref name="x"/> rounded to <paramref name="ndigits"/> decimals,
    /// half to even (a tie only when the double is exactly halfway, as 0.125 is; 2.675 is below 2.675 and rounds down), then
    /// read back as the nearest double. This is CPython's algorithm (correctly rounded dtoa, then strtod).
    /// </summary>
    public static double Round(double x, int ndigits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ndigits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ndigits, 340); // beyond the smallest subnormal's digits nothing changes
        if (!double.IsFinite(x) || x == 0) return x;
        var bits = BitConverter.DoubleToInt64Bits(x);
        var biased = (int)((bits >> 52) & 0x7FF);
        var fraction = bits & 0xF_FFFF_FFFF_FFFFL;
        // x = mantissa * 2^exponent exactly.
        var mantissa = biased == 0 ? fraction : fraction | (1L << 52);
        var exponent = (biased == 0 ? 1 : biased) - 1075;
        if (exponent >= 0) return x; // an integer: it has no decimals to round
        var denominator = BigInteger.One << -exponent;
        var quotient = BigInteger.DivRem(mantissa * BigInteger.Pow(10, ndigits), denominator, out var remainder);
        var half = (remainder << 1).CompareTo(denominator);
        if (half > 0 || (half == 0 && !quotient.IsEven)) quotient += 1;
        var digits = quotient.ToString(CultureInfo.InvariantCulture).PadLeft(ndigits + 1, '0');
        var text = (bits < 0 ? "-" : "") + (ndigits == 0 ? digits : digits[..^ndigits] + "." + digits[^ndigits..]);
        // .NET Core 3.0+ parses correctly rounded (IEEE), as strtod does; "-0.00" reads as -0.0, as Python's round(-0.001, 2) gives.
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// <c>str(x)</c> (= <c>repr(x)</c>): the shortest digits that read back as <paramref name="x"/>, in fixed notation with at
    /// least one decimal (<c>50.0</c>, <c>33.33</c>) unless the decimal exponent is below -4 or at least 16 (<c>1e-05</c>,
    /// <c>1e+16</c>); <c>nan</c>, <c>inf</c>, <c>-inf</c>.
    /// </summary>
    public static string Repr(double x)
    {
        if (double.IsNaN(x)) return "nan";
        if (double.IsInfinity(x)) return x > 0 ? "inf" : "-inf";
        var sign = double.IsNegative(x) ? "-" : "";
        if (x == 0) return sign + "0.0";
        // "R" is the shortest round-trip string on .NET Core 3.0+ (e.g. 14.374999999999998, 1E-05, 1.5E+20): take its digits and exponent.
        var r = Math.Abs(x).ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOf('E', StringComparison.Ordinal);
        var mantissa = e < 0 ? r : r[..e];
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var digits = point < 0 ? mantissa : mantissa.Remove(point, 1);
        // decimalPoint: where the point sits after the first digit of 'digits' (value = 0.digits * 10^decimalPoint).
        var decimalPoint = (point < 0 ? mantissa.Length : point) + (e < 0 ? 0 : int.Parse(r[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        var trimmed = digits.TrimStart('0');
        decimalPoint -= digits.Length - trimmed.Length;
        digits = trimmed.TrimEnd('0');
        if (decimalPoint is > 16 or <= -4)
        {
            var exponent = decimalPoint - 1;
            return sign + digits[0] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (exponent < 0 ? "-" : "+")
                + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        if (decimalPoint <= 0) return sign + "0." + new string('0', -decimalPoint) + digits;
        if (decimalPoint >= digits.Length) return sign + digits + new string('0', decimalPoint - digits.Length) + ".0";
        return sign + digits[..decimalPoint] + "." + digits[decimalPoint..];
    }
}
