using System.Globalization;
using System.Net;
using System.Text;

namespace Bitmapist.Linq.Trends.Rendering;

/// <summary>One point of a line chart or one bar: its label and value; a null value is a gap (a share of nobody).</summary>
/// <param name="Label">The label under the point or beside the bar (escaped when drawn).</param>
/// <param name="Value">The value, or null for none.</param>
/// <param name="Note">For a bar: a note after its value, e.g. <c>60% of the step before</c> (escaped); none when null.</param>
public readonly record struct ChartPoint(string Label, double? Value, string? Note = null);

/// <summary>
/// Inline SVG charts for the HTML reports and the web console: a line chart (a trend) and horizontal bars (a
/// funnel's steps). The markup is self-contained: colours and fonts are SVG presentation attributes, not CSS, so a
/// chart draws the same in a file and under a Content-Security-Policy that allows no inline style, and it needs no
/// script. Every label is HTML-escaped; a point's exact value is its tooltip (an SVG <c>title</c>).
/// </summary>
public static class SvgChart
{
    /// <summary>The stroke and fill of the data: the heat map's hue (200), as the cohort report draws it.</summary>
    public const string Color = "#1f78a8";

    private const int Width = 760, Height = 280, Left = 64, Right = 24, Top = 16, Bottom = 44;

    /// <summary>At most this many point markers; past it the line alone (a marker per row of a 1,000-row trend is noise).</summary>
    private const int MaxMarkers = 60;

    /// <summary>At most this many labels on the x axis: every k-th point is labelled so they never overlap.</summary>
    private const int MaxXLabels = 8;

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A value as the axes and tooltips show it: thousands separated, at most two decimals, then <paramref name="suffix"/>.</summary>
    public static string Value(double v, string suffix = "") => v.ToString("#,0.##", CultureInfo.InvariantCulture) + suffix;

    /// <summary>
    /// A line chart of <paramref name="points"/> in order, from 0 to a round maximum; a null value breaks the line.
    /// </summary>
    /// <param name="points">The points, left to right.</param>
    /// <param name="title">The chart's accessible title (escaped).</param>
    /// <param name="suffix">Written after each value on the axis and in tooltips, e.g. <c>%</c>.</param>
    public static string Line(IReadOnlyList<ChartPoint> points, string title, string suffix = "")
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(title);
        var sb = Open(Width, Height, title, "chart line");
        var (top, step) = Scale(points.Select(p => p.Value ?? 0).DefaultIfEmpty(0).Max());
        double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double X(int i) => points.Count == 1 ? Left + plotW / 2 : Left + i * plotW / (points.Count - 1);
        double Y(double v) => Top + plotH - v / top * plotH;

        // Grid lines and the y axis's labels.
        for (var k = 0; k * step <= top + step / 2; k++)
        {
            var v = k * step;
            var y = N(Y(v));
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#e3e3e3\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#555\">{E(Value(v, suffix))}</text>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Top + plotH}\" y2=\"{Top + plotH}\" stroke=\"#999\"/>\n");

        // The x axis's labels: every k-th, so at most MaxXLabels.
        var every = Math.Max(1, (points.Count + MaxXLabels - 1) / MaxXLabels);
        for (var i = 0; i < points.Count; i += every)
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(X(i))}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\" fill=\"#555\">{E(points[i].Label)}</text>\n");

        // The line: one path, a null value starting a new segment.
        var d = new StringBuilder();
        var pen = false;
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i].Value is not { } v)
            {
                pen = false;
                continue;
            }
            d.Append(pen ? " L" : (d.Length > 0 ? " M" : "M")).Append(N(X(i))).Append(' ').Append(N(Y(v)));
            pen = true;
        }
        if (d.Length > 0)
            sb.Append(CultureInfo.InvariantCulture, $"<path class=\"series\" d=\"{d}\" fill=\"none\" stroke=\"{Color}\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n");

        // Markers with the exact value as a tooltip; a lone point between gaps needs one to be seen at all.
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i].Value is not { } v) continue;
            var lone = (i == 0 || points[i - 1].Value is null) && (i == points.Count - 1 || points[i + 1].Value is null);
            if (points.Count > MaxMarkers && !lone) continue;
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(X(i))}\" cy=\"{N(Y(v))}\" r=\"3\" fill=\"{Color}\"><title>{E(points[i].Label)}: {E(Value(v, suffix))}</title></circle>");
        }
        sb.Append("\n</svg>\n");
        return sb.ToString();
    }

    /// <summary>
    /// Horizontal bars, one per point from the top, each as long as its value next to the largest, its label above
    /// it and its value (and note) after it.
    /// </summary>
    /// <param name="bars">The bars, top to bottom.</param>
    /// <param name="title">The chart's accessible title (escaped).</param>
    public static string Bars(IReadOnlyList<ChartPoint> bars, string title)
    {
        ArgumentNullException.ThrowIfNull(bars);
        ArgumentNullException.ThrowIfNull(title);
        const int Row = 46, BarHeight = 22, LabelWidth = 520;
        var height = Top + bars.Count * Row + 8;
        var sb = Open(Width, height, title, "chart bars");
        var max = bars.Select(b => b.Value ?? 0).DefaultIfEmpty(0).Max();
        for (var i = 0; i < bars.Count; i++)
        {
            var y = Top + i * Row;
            var value = bars[i].Value ?? 0;
            var length = max > 0 ? value / max * LabelWidth : 0;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"8\" y=\"{y + 10}\" fill=\"#222\">{E(bars[i].Label)}</text>");
            // A bar of a few users still shows: at least a hairline.
            sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"8\" y=\"{y + 16}\" width=\"{N(Math.Max(length, value > 0 ? 1 : 0))}\" height=\"{BarHeight}\" fill=\"{Color}\"><title>{E(bars[i].Label)}: {E(Value(value))}</title></rect>");
            var text = bars[i].Value is { } v ? Value(v) : "";
            if (bars[i].Note is { } note) text += " (" + note + ")";
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(8 + length + 6)}\" y=\"{y + 16 + BarHeight / 2}\" dominant-baseline=\"middle\" fill=\"#222\">{E(text)}</text>\n");
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static StringBuilder Open(int width, int height, string title, string cssClass)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{cssClass}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"{E(title)}\" font-family=\"system-ui, sans-serif\" font-size=\"12\">");
        sb.Append(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>\n");
        return sb;
    }

    /// <summary>
    /// The top of the y axis and the distance between its grid lines: 4 or 5 steps of 1, 2 or 5 times a power of ten
    /// (below 1 only for a maximum under 4, a small percentage), with <paramref name="max"/> at or under the top.
    /// </summary>
    internal static (double Top, double Step) Scale(double max)
    {
        if (!(max > 0)) return (1, 1);
        var raw = max / 4;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = (raw / magnitude) switch
        {
            <= 1 => 1,
            <= 2 => 2,
            <= 5 => 5,
            _ => 10,
        } * magnitude;
        return (Math.Ceiling(max / step) * step, step);
    }
}
