using System.Collections.Immutable;
using System.Text;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>One Redis command of a batch, as sent and as explain prints it.</summary>
/// <param name="Name">The command name (<c>BITOP</c>, <c>EXPIRE</c>...).</param>
/// <param name="Args">Arguments: strings, numbers, or bytes for a literal bitmap.</param>
internal sealed record RedisCommand(string Name, ImmutableArray<object> Args)
{
    /// <summary>
    /// The arguments as sent: key names typed as <see cref="StackExchange.Redis.RedisKey"/>, which is how the client
    /// knows a command's slot. On Redis Cluster a transaction whose keys are plain strings may go to any node, which
    /// refuses it; with typed keys it goes to the node that owns the slot (every key of a batch shares one).
    /// </summary>
    public object[] WireArgs()
    {
        // A fresh object[]: the arguments may sit in a string[] (array covariance), which refuses a RedisKey.
        var args = new object[Args.Length];
        Args.CopyTo(args);
        // BITOP's first argument is the operator; DEL, UNLINK and EXISTS take only keys; the others one key first.
        var (from, to) = Name switch
        {
            "BITOP" => (1, args.Length),
            "DEL" or "UNLINK" or "EXISTS" => (0, args.Length),
            _ => (0, Math.Min(1, args.Length)),
        };
        for (var i = from; i < to; i++)
            if (args[i] is string key) args[i] = (StackExchange.Redis.RedisKey)key;
        return args;
    }

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
