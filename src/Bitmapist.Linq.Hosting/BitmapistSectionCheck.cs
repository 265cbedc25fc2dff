using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Bitmapist.Linq.Hosting;

/// <summary>
/// Checks the raw <c>Bitmapist</c> section before it is bound: a misspelt setting (<c>Querys</c>) would be
/// ignored by the binder, and a value of the wrong type (<c>SampleData=maybe</c>) would throw the binder's
/// own exception from deep inside the host; both become one clear problem each.
/// </summary>
internal static class BitmapistSectionCheck
{
    private static readonly string[] Settings = ["Redis", "DataFile", "SampleData", "SampleUsers", "SampleDays", "Prefix", "Layout", "Universe", "IdMap", "Tracking", "Queries"];
    private static readonly string[] TrackingSettings = ["Hourly", "Unique"];
    private static readonly string[] Booleans = ["SampleData", "Tracking:Hourly", "Tracking:Unique"];
    private static readonly string[] Integers = ["SampleUsers", "SampleDays"];

    public static List<BitmapistConfigurationException> Problems(IConfiguration section, string path)
    {
        var problems = new List<BitmapistConfigurationException>();
        Unknown(section, path, Settings, problems);
        Unknown(section.GetSection("Tracking"), $"{path}:Tracking", TrackingSettings, problems);
        foreach (var key in Booleans)
            if (section[key] is { } value && !bool.TryParse(value, out _))
                problems.Add(new($"{path}:{key}", $"{path}:{key} is '{value}': write true or false."));
        foreach (var key in Integers)
            if (section[key] is { } value && !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                problems.Add(new($"{path}:{key}", $"{path}:{key} is '{value}': write a whole number."));
        return problems;
    }

    /// <summary>The checks that need the bound options: one store at most, a prefix, a positive sample size.</summary>
    public static void Validate(BitmapistOptions options, List<BitmapistConfigurationException> problems)
    {
        var p = options.SectionPath;
        var sources = new[] { (p + ":Redis", !string.IsNullOrWhiteSpace(options.Redis)), (p + ":DataFile", !string.IsNullOrWhiteSpace(options.DataFile)), (p + ":SampleData", options.SampleData) }
            .Where(s => s.Item2).Select(s => s.Item1).ToList();
        if (sources.Count > 1)
            problems.Add(new(sources[0], $"{string.Join(" and ", sources)} are set together: choose one store."));
        if (string.IsNullOrEmpty(options.Prefix))
            problems.Add(new(p + ":Prefix", $"{p}:Prefix is empty: give the key prefix, e.g. trackist_ (the default) or bitmapist_."));
        if (options.SampleData && (options.SampleUsers < 1 || options.SampleDays < 1))
            problems.Add(new(p + ":SampleUsers", $"{p}:SampleUsers and {p}:SampleDays must be positive."));
        if (Layout(options, problems) is { IsSharded: true } layout && !string.IsNullOrWhiteSpace(options.DataFile))
            problems.Add(new(p + ":Layout",
                $"{p}:Layout is {layout} and {p}:DataFile is set: an embedded store file keeps bitmapist's layout (it stores large ids " +
                "compactly already, so shards would only add work). Remove Layout, or use it with Redis, where a cluster needs it."));
    }

    /// <summary>The configured layout (bitmapist's when unset); a problem with the library's own message when it names none.</summary>
    public static Model.KeyLayout Layout(BitmapistOptions options, List<BitmapistConfigurationException>? problems = null)
    {
        if (string.IsNullOrWhiteSpace(options.Layout)) return Model.KeyLayout.Bitmapist;
        if (Model.KeyLayout.TryParse(options.Layout, out var layout, out var error)) return layout;
        problems?.Add(new($"{options.SectionPath}:Layout", $"{options.SectionPath}:Layout: {error}"));
        return Model.KeyLayout.Bitmapist;
    }

    private static void Unknown(IConfiguration section, string path, string[] known, List<BitmapistConfigurationException> problems)
    {
        foreach (var child in section.GetChildren())
        {
            if (known.Contains(child.Key, StringComparer.OrdinalIgnoreCase)) continue;
            var nearest = Text.TextQuery.Nearest(child.Key, known.Select(k => k.ToLowerInvariant()));
            var hint = nearest is null ? "" : $" (did you mean {known.First(k => k.Equals(nearest, StringComparison.OrdinalIgnoreCase))}?)";
            problems.Add(new($"{path}:{child.Key}",
                $"{path}:{child.Key} is not a setting{hint}: the settings are {string.Join(", ", known)}."));
        }
    }
}
