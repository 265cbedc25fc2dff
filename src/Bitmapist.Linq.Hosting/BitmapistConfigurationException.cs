using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Hosting;

/// <summary>
/// A setting of the <c>Bitmapist</c> section is wrong: a named query or the universe does not parse or cannot be
/// planned. <see cref="Setting"/> names it (<c>Bitmapist:Queries:retention</c>); for a syntax error the message
/// also gives the line, the column and the source line with a caret under the problem.
/// </summary>
public sealed class BitmapistConfigurationException : Exception
{
    /// <summary>Creates the exception for <paramref name="setting"/>.</summary>
    public BitmapistConfigurationException(string setting, string message, Exception? inner = null) : base(message, inner)
    {
        Setting = setting;
    }

    /// <summary>The configuration path of the faulty setting, e.g. <c>Bitmapist:Queries:retention</c>.</summary>
    public string Setting { get; }

    /// <summary>The syntax error, when the setting does not parse.</summary>
    public QuerySyntaxException? SyntaxError => InnerException as QuerySyntaxException;

    internal static BitmapistConfigurationException DoesNotParse(string what, string setting, QuerySyntaxException e) =>
        new(setting, $"The {what} {setting} does not parse: line {e.Line}, column {e.Column}: {e.Problem}\n{e.Caret}", e);
}
