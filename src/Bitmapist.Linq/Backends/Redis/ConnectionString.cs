using System.Text.RegularExpressions;

namespace Bitmapist.Linq.Stores;

/// <summary>Connection strings as messages may show them: never with a secret in them.</summary>
public static partial class ConnectionString
{
    /// <summary>
    /// <paramref name="configuration"/> with its secrets replaced by <c>***</c>: a StackExchange.Redis
    /// <c>password=</c> option, and the password of a <c>redis://user:password@host</c> address. Everything a
    /// message prints about where it connects goes through this (stdout after <c>mark</c>, errors, logs).
    /// </summary>
    public static string Redact(string configuration) =>
        UrlPassword().Replace(PasswordOption().Replace(configuration, "${lead}password=***"), "${scheme}${user}:***@");

    [GeneratedRegex(@"(?<lead>(^|,)\s*)password\s*=[^,]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordOption();

    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.-]*://)(?<user>[^:/@,]*):[^@/,]*@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();
}
