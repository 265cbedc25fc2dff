using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>What kind of failure a Redis error is, so that every message names the real cause.</summary>
internal enum RedisFailure
{
    /// <summary>OOM: Redis is above its maxmemory and may not evict.</summary>
    OutOfMemory,

    /// <summary>NOPERM: the ACL user may not run the command or touch the key.</summary>
    NoPermission,

    /// <summary>WRONGTYPE: a key holds a list, hash, set... where a bitmap (string) is expected.</summary>
    WrongType,

    /// <summary>NOAUTH / WRONGPASS: the connection is not authenticated.</summary>
    Authentication,

    /// <summary>READONLY: a replica refuses writes.</summary>
    ReadOnly,

    /// <summary>The connection was lost or could not be used.</summary>
    ConnectionLost,

    /// <summary>No answer within the client's timeout.</summary>
    Timeout,

    /// <summary>CLUSTERDOWN, or a slot still moving when the retries ran out (TRYAGAIN, MOVED, ASK).</summary>
    ClusterUnavailable,

    /// <summary>Any other error Redis answered.</summary>
    Other,
}

/// <summary>
/// One classifier of Redis errors. StackExchange.Redis reports a transaction that Redis refused at queue time
/// (OOM, NOPERM) as EXECABORT, and the cause only in the queued command's own task; connection failures carry a
/// long diagnostic dump. This finds the cause and says it in one sentence, the client's detail kept as the inner
/// exception.
/// </summary>
internal static partial class RedisErrors
{
    /// <summary>
    /// Whether <paramref name="e"/> is a failure of Redis or of the connection to it, which the store turns into its
    /// own exceptions: a server error, a lost connection, a closed client, or a timeout (the client's timeout
    /// exception derives from <see cref="TimeoutException"/>, not from <see cref="RedisException"/>).
    /// </summary>
    public static bool IsClientFailure(Exception e) => e is RedisException or RedisTimeoutException or ObjectDisposedException;

    /// <summary>
    /// Whether <paramref name="e"/> (or a cause inside it) is Redis Cluster turning a batch away because its slot is
    /// moving or just moved: MOVED and ASK (which a transaction only shows as EXECABORT), TRYAGAIN (a multi-key command
    /// while the slot migrates), CLUSTERDOWN. None of them ran the batch, so it may be sent again.
    /// </summary>
    public static bool IsClusterRedirect(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 8; depth++, e = e.InnerException)
        {
            if (e is AggregateException a && a.InnerExceptions.Any(IsClusterRedirect)) return true;
            if (e is RedisServerException s && RedirectCodes.Any(c => s.Message.StartsWith(c, StringComparison.Ordinal))) return true;
        }
        return false;
    }

    private static readonly string[] RedirectCodes = ["MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN", "EXECABORT"];

    /// <summary>The kind of <paramref name="e"/>.</summary>
    public static RedisFailure Classify(Exception e) => e switch
    {
        RedisTimeoutException => RedisFailure.Timeout,
        RedisConnectionException c when c.FailureType == ConnectionFailureType.AuthenticationFailure => RedisFailure.Authentication,
        RedisConnectionException or ObjectDisposedException => RedisFailure.ConnectionLost,
        RedisServerException s => ClassifyMessage(s.Message),
        _ => RedisFailure.Other,
    };

    /// <summary>The kind of an error reply, from its code (the first word).</summary>
    public static RedisFailure ClassifyMessage(string message) =>
        message.StartsWith("OOM", StringComparison.Ordinal) ? RedisFailure.OutOfMemory :
        message.StartsWith("NOPERM", StringComparison.Ordinal) ||
            message.Contains("can't run this command", StringComparison.Ordinal) ? RedisFailure.NoPermission :
        message.StartsWith("WRONGTYPE", StringComparison.Ordinal) ? RedisFailure.WrongType :
        message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal) ? RedisFailure.Authentication :
        message.StartsWith("READONLY", StringComparison.Ordinal) ? RedisFailure.ReadOnly :
        RedirectCodes.Any(c => c != "EXECABORT" && message.StartsWith(c, StringComparison.Ordinal)) ? RedisFailure.ClusterUnavailable :
        RedisFailure.Other;

    /// <summary>
    /// The real cause of a failed transaction: the first queued command whose own error is not the EXECABORT that
    /// only says "discarded", with its index; else <paramref name="e"/> itself.
    /// </summary>
    public static (Exception Cause, int Index) RealCause(Exception e, IReadOnlyList<Task> queued)
    {
        for (var i = 0; i < queued.Count; i++)
        {
            if (queued[i] is { IsFaulted: true, Exception.InnerException: RedisServerException s } &&
                !s.Message.StartsWith("EXECABORT", StringComparison.Ordinal))
                return (s, i);
        }
        return (e, -1);
    }

    /// <summary>
    /// The cause in words, one clause without the client's dump: what Redis said (or that the connection was lost)
    /// and, for the kinds that have one, what to do about it. <paramref name="command"/> is the command that failed,
    /// as "NAME key", when known.
    /// </summary>
    public static string Describe(Exception cause, string host, string? command = null)
    {
        var kind = Classify(cause);
        var reply = cause is RedisServerException ? FirstLine(cause.Message) : null;
        var on = command is null ? "" : $" ({command})";
        return kind switch
        {
            RedisFailure.OutOfMemory =>
                $"Redis at {host} is out of memory{on}: {reply}. Raise maxmemory, free memory, or choose an eviction policy other than noeviction",
            RedisFailure.NoPermission =>
                $"the Redis user has no permission for {command ?? "a command of the batch"}: {reply}. Grant it with ACL SETUSER (the command and the key pattern), or connect as another user",
            RedisFailure.WrongType =>
                $"a key is not a bitmap{on}: {reply}",
            RedisFailure.Authentication =>
                $"authentication failed at {host}: {reply ?? "the server refused the credentials"}",
            RedisFailure.ReadOnly =>
                $"Redis at {host} is a read-only replica{on}: {reply}. Connect to the primary",
            RedisFailure.ConnectionLost => $"the connection to Redis at {host} was lost",
            RedisFailure.Timeout => $"Redis at {host} gave no answer in time",
            RedisFailure.ClusterUnavailable => reply is not null && reply.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
                ? $"Redis at {host} is down{on}: {reply} (a primary failed and has no replica to take over, or slots are " +
                  "not assigned; CLUSTER INFO on any node says which). Retried until the client's timeout"
                : $"Redis at {host} kept sending the batch elsewhere{on}: {reply} (a slot was still moving when the " +
                  "retries ran out at the client's timeout). Try again once resharding has finished",
            _ => reply is null ? cause.Message : $"Redis refused a command{on}: {reply}",
        };
    }

    /// <summary>
    /// The host (and port) a connection talks to, for messages; never a password. A cluster is named by its nodes: which
    /// one failed is not known where the message is made.
    /// </summary>
    public static string Host(IConnectionMultiplexer connection) => connection.GetEndPoints() switch
    {
        [] => "(no endpoint)",
        [var only] => Format(only),
        var several => string.Join(", ", several.Select(Format)) + (connection.GetServers().Any(s => s.ServerType == ServerType.Cluster) ? " (a Redis Cluster)" : ""),
    };

    /// <summary>An endpoint as host:port.</summary>
    public static string Format(System.Net.EndPoint endPoint) => endPoint switch
    {
        System.Net.DnsEndPoint d => $"{d.Host}:{d.Port}",
        System.Net.IPEndPoint ip => ip.ToString(),
        _ => endPoint.ToString() ?? "(unknown)",
    };

    // An error raised inside a script ends with where ("script: SHA, on @user_script:7."): the store's own script,
    // of no use to the reader, so it is cut.
    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0];
        var script = line.IndexOf(" script: ", StringComparison.Ordinal);
        if (script > 0) line = line[..script];
        return line.TrimEnd('\r', '.', ' ');
    }
}
