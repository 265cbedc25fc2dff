using System.Collections.Immutable;
using System.Text;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>One Redis command of a batch, as sent and as explain prints it.</summary>
/// <param name="Name">The command name (<c>BITOP</c>, <c>EXPIRE</c>...).</param>
/// <param name="Args">Arguments: strings, numbers, or bytes for a literal bitmap.</param>
internal sealed record RedisCommand(string Name, ImmutableArray<object> Args)
{
    /// <summary>The command as a line, e.g. <c>BITOP AND tmp0 a b</c>; bitmap bytes print as their length.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Name);
        foreach (var arg in Args)
        {
            sb.Append(' ');
            sb.Append(arg switch
            {
                byte[] bytes => $"<bitmap of {bytes.Length} bytes>",
                string s when s.Length == 0 || s.Any(char.IsWhiteSpace) => "\"" + s.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"",
                _ => Convert.ToString(arg, System.Globalization.CultureInfo.InvariantCulture),
            });
        }
        return sb.ToString();
    }
}
