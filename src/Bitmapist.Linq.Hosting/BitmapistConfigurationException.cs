using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Hosting;

/// <summary>
/// A setting of the <c>Bitmapist</c> section is wrong: an unknown or misspelt setting, a value of the wrong type,
/// two stores at once, an empty prefix, or a named query or the universe that does not parse or cannot be
/// planned. <see cref="Setting"/> names it (<c>Bitmapist:Queries:retention</c>); for a syntax error the message
/// also gives the line, the column and the source line with a caret under the problem. When several settings
/// are wrong, one exception lists them all (<see cref="Problems"/>), so a deployment is fixed in one pass.
/// </summary>
public sealed class BitmapistConfigurationException : Exception
{
    /// <summary>Creates the exception for <paramref name="setting"/>.</summary>
    public BitmapistConfigurationException(string setting, string message, Exception? inner = null) : base(message, inner)
    {
        Setting = setting;
        Problems = [this];
    }

    private BitmapistConfigurationException(IReadOnlyList<BitmapistConfigurationException> problems)
        : base($"The {problems[0].Setting.Split(':')[0]} configuration has {problems.Count} problems:\n\n" + string.Join("\n\n", problems.Select(p => p.Message)),
            problems[0].InnerException)
    {
        Setting = problems[0].Setting;
        Problems = problems;
    }

    /// <summary>The configuration path of the (first) faulty setting, e.g. <c>Bitmapist:Queries:retention</c>.</summary>
    public string Setting { get; }

    /// <summary>Every problem found, each with its own setting and message (this exception alone when there is one).</summary>
    public IReadOnlyList<BitmapistConfigurationException> Problems { get; }

    /// <summary>One exception for <paramref name="problems"/>: the problem itself when there is one.</summary>
    internal static BitmapistConfigurationException Of(IReadOnlyList<BitmapistConfigurationException> problems) =>
        problems.Count == 1 ? problems[0] : new(problems);

    /// <summary>The syntax error, when the setting does not parse.</summary>
    public QuerySyntaxException? SyntaxError => InnerException as QuerySyntaxException;

    internal static BitmapistConfigurationException DoesNotParse(string what, string setting, QuerySyntaxException e) =>
        new(setting, $"The {what} {setting} does not parse: line {e.Line}, column {e.Column}: {e.Problem}\n{e.Caret}", e);
}
