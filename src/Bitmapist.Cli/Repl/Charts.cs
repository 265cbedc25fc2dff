using System.Text;

namespace Bitmapist.Cli.Repl;

/// <summary>
/// Charts drawn with Unicode block characters, for the REPL's trends and funnels: a bar a row and a sparkline. Plain
/// text (no Spectre widget), so a chart sits in a table cell, shows without colours (NO_COLOR) and costs the
/// Native AOT build nothing.
/// </summary>
internal static class Charts
{
    /// <summary>Eighths of a cell, from one to eight: a bar's last cell.</summary>
    private const string Eighths = "▏▎▍▌▋▊▉█";

    /// <summary>The sparkline's eight heights, lowest first.</summary>
    private const string Heights = "▁▂▃▄▅▆▇█";

    /// <summary>
    /// A bar of <paramref name="value"/> out of <paramref name="max"/> in <paramref name="width"/> cells, to an eighth of
    /// a cell, from zero (a bar's length is its value: two bars compare as their numbers do). Empty for zero or no value.
    /// </summary>
    public static string Bar(double? value, double max, int width)
    {
        if (value is not { } v || v <= 0 || max <= 0) return "";
        var eighths = (int)Math.Round(Math.Min(v, max) / max * width * 8);
        if (eighths == 0) eighths = 1; // a value that is not zero shows
        var bar = new StringBuilder(new string('█', eighths / 8));
        if (eighths % 8 > 0) bar.Append(Eighths[eighths % 8 - 1]);
        return bar.ToString();
    }

    /// <summary>
    /// One character a value, its height from the lowest value to the highest (a space for no value): the shape of a
    /// series at a glance. All equal: the middle height.
    /// </summary>
    public static string Sparkline(IReadOnlyList<double?> values)
    {
        var known = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        if (known.Count == 0) return new string(' ', values.Count);
        var (min, max) = (known.Min(), known.Max());
        var line = new StringBuilder(values.Count);
        foreach (var v in values)
        {
            if (v is not { } x) line.Append(' ');
            else if (max == min) line.Append(Heights[Heights.Length / 2]);
            else line.Append(Heights[(int)Math.Round((x - min) / (max - min) * (Heights.Length - 1))]);
        }
        return line.ToString();
    }

    /// <summary>How wide a bar may be on a terminal of <paramref name="width"/> columns beside <paramref name="used"/> columns of table.</summary>
    public static int BarWidth(int width, int used) => Math.Clamp(width - used, 10, 40);
}
