using Bitmapist.Linq.Stores;
using StackExchange.Redis;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>
/// Every error text of the Redis back end, built here so they read alike: what failed, the real cause (from
/// <see cref="Describe"/>), what was and was not applied, and what to do.
/// </summary>
internal static partial class RedisErrors
{
    /// <summary>
    /// Why Redis discarded a transaction (EXECABORT): it refused a command while queuing it, and StackExchange.Redis
    /// reports only EXECABORT for each queued command, so which one and why is lost. Redis' memory figures cannot
    /// tell either: the queued request counted in its used memory and is freed once discarded, and INFO needs the
    /// client's admin mode. Paths that can run scripts avoid this (a script answers with the command's own error).
    /// </summary>
    internal const string AbortExplained = "Redis discarded the transaction (EXECABORT) because it refused one of its " +
        "commands while queuing them, and the client does not say which or why; the usual causes are OOM (used memory, " +
        "with this request, above maxmemory) and NOPERM (the ACL)";

    /// <summary>
    /// The exception for a batch that failed with <paramref name="cause"/>; <paramref name="ranPartly"/>: EXEC ran
    /// and a command failed inside it, so its other commands were applied.
    /// </summary>
    public static Exception BatchFailed(string what, Exception cause, string host, string? command, bool ranPartly = false)
    {
        var isRead = what is not ("mark batch" or "bulk import group");
        var kind = Classify(cause);
        var reason = Describe(cause, host, command);
        if (isRead && kind is RedisFailure.WrongType or RedisFailure.Other)
            return new BitmapistQueryException($"The {what} failed: {reason}.",
                "Check that every key the query reads is a bitmap (a Redis string).", cause);
        if (isRead)
            return new BitmapistStoreException($"The {what} was not answered: {reason}." + (kind == RedisFailure.Timeout
                ? " Redis may still run it (it deletes its own temporaries, which carry a TTL). Raise syncTimeout/asyncTimeout in the connection string for very large bitmaps."
                : ""), cause);
        return WriteFailed(what, cause, host, command, nothingWritten: !ranPartly && kind is not (RedisFailure.Timeout or RedisFailure.ConnectionLost));
    }

    /// <summary>
    /// The exception for a failed write (a mark batch, a group of a bulk import): the cause and what was written.
    /// A timeout or a lost connection cannot tell whether EXEC ran, but the batch is one transaction or script:
    /// all of it or none.
    /// </summary>
    public static Exception WriteFailed(string what, Exception cause, string host, string? command, bool nothingWritten)
    {
        var kind = Classify(cause);
        var reason = Describe(cause, host, command);
        var written = nothingWritten ? "Nothing of it was written"
            : kind is RedisFailure.Timeout or RedisFailure.ConnectionLost
                ? "It was applied completely or not at all (one transaction); marks are idempotent, so sending it again is safe"
                : "Its other commands were applied; marks are idempotent, so sending it again once the cause is fixed is safe";
        return new BitmapistStoreException($"The {what} failed: {reason}. {written}.", cause);
    }

    /// <summary>A bit offset Redis refuses: above its limit of proto-max-bulk-len bytes (512 MiB unless configured lower).</summary>
    public static BitmapistStoreException BadOffset(string key, string offset, string error) =>
        new($"The mark batch was not written: Redis refuses bit offset {offset} of key '{key}' ({error}). Nothing of it was written. A bit " +
            "offset must be below 8 x proto-max-bulk-len (Redis' limit on a value's size, 512 MB unless configured lower): " +
            "raise it with CONFIG SET proto-max-bulk-len, or use smaller ids.");

    public static BitmapistStoreException WrongType(string what, string key, string type) =>
        new($"The {what} was not written: key '{key}' holds a {type}, not a bitmap (a Redis string). Nothing of it " +
            $"was written. That key is not bitmapist's: delete or rename it, or use another key prefix.");

    /// <summary>A SETBIT of the mark script failed after others ran (the checks passed, then Redis refused a write).</summary>
    public static BitmapistStoreException MarkBatchPartlyApplied(string key, string error, long applied, int writes) =>
        new($"The mark batch failed: Redis refused SETBIT {key} ({error}) after {applied} of its " +
            $"{writes} writes were applied; the rest were not. Marks are idempotent, so sending it again once the cause is fixed is safe.");

    /// <summary>The WATCHed mark batch lost the race every time.</summary>
    public static BitmapistStoreException KeysKeptChanging(int attempts) =>
        new($"The mark batch was not written: its keys changed under it {attempts} times in a row (other " +
            "clients write them). Nothing of the batch was written; try again, or allow EVAL for this user so " +
            "the batch runs as one script.");

    /// <summary>A group of a bulk import failed (<paramref name="failed"/>: its keys), after <paramref name="groupsApplied"/> groups were applied.</summary>
    public static BitmapistImportException ImportFailed(BitmapistStoreException e, int groupsApplied, int keysApplied, int keysTotal, int failed)
    {
        var unknown = Classify(e.InnerException ?? e) is RedisFailure.Timeout or RedisFailure.ConnectionLost;
        return new BitmapistImportException(
            $"{e.Message} Applied before the failure: {groupsApplied} group(s) of about 32 MiB, {keysApplied} of " +
            $"{keysTotal} key(s); " +
            (unknown ? $"the failed group ({failed} key(s)) all or none, the rest not"
                : $"the failed group ({failed} key(s)) and the rest were not applied") +
            ". Marks are idempotent ORs: running the same import again is safe and gives exactly the full data.",
            keysApplied, keysTotal, groupsApplied, e.InnerException ?? e);
    }

    /// <summary>A chunk of a deletion failed; the chunks before it (<paramref name="done"/> keys) were deleted.</summary>
    public static BitmapistStoreException DeleteFailed(Exception e, string host, string command, string firstKey, int done, int total) =>
        new($"Deleting keys failed after {done} of {total} were deleted (one {command} per 500 keys): " +
            $"{Describe(e, host, $"{command} {firstKey}")}. Running the deletion again finishes it.", e);

    /// <summary>A SCAN failed while paging.</summary>
    public static BitmapistStoreException ListFailed(Exception e, string host, string pattern) =>
        new($"Listing keys failed (SCAN MATCH {pattern}): {Describe(e, host, "SCAN")}.", e);

    /// <summary>A single read command failed: a query error for a refused command, a store error for the connection.</summary>
    public static Exception ReadFailed(Exception e, string host, string name, string key)
    {
        var reason = Describe(e, host, $"{name} {key}");
        if (Classify(e) is RedisFailure.WrongType or RedisFailure.Other)
            return new BitmapistQueryException($"Redis refused {name} on '{key}': {reason}.", "Check that the key is a bitmap (a Redis string).", e);
        return new BitmapistStoreException($"The read of '{key}' failed ({name}): {reason}. It was not answered.", e);
    }

    /// <summary>A cluster opened with bitmapist's layout: what to do instead.</summary>
    public static BitmapistStoreException ClusterNeedsShardedLayout(string host, string prefix) => new(
        $"{host} is a Redis Cluster, which needs the sharded key layout: bitmapist's layout keeps each event and period in its own key, " +
        "so a mark (month, week and day keys) and any compound query span several slots, which one batch cannot. Open the store with " +
        "--layout sharded (StoreOptions.Layout = KeyLayout.Sharded()). Data already in bitmapist's layout on a single Redis is copied " +
        $"with: bitmapist migrate --from <that redis> --to {host} --layout sharded --verify" +
        (prefix == Model.KeyScheme.BitmapistPrefix ? "" : $" --prefix {prefix}") + ".");

    /// <summary>No connected primary to <paramref name="action"/>.</summary>
    public static BitmapistStoreException NoPrimary(string action) => new($"No connected Redis primary to {action}.");

    public static string WrongPasswordMessage(string host, string? user, string code, string configuration) =>
        $"Authentication failed at Redis {host}: wrong password or unknown user{(string.IsNullOrEmpty(user) ? "" : $" '{user}'")} " +
        $"({code}; Redis does not say which). Check user= and password= in the connection string '{ConnectionString.Redact(configuration)}'.";

    /// <summary>
    /// "Authentication failed", and which case, when the server refused the login (NOAUTH, WRONGPASS, or the client's
    /// authentication failure); else null. Redis answers a wrong password and an unknown user alike, so those are one
    /// case; and StackExchange.Redis may report only the NOAUTH of the command after a refused AUTH, so whether a
    /// password was given tells the cases apart. The password is never part of the message.
    /// </summary>
    public static BitmapistStoreException? AuthenticationFailed(string configuration, ConfigurationOptions config, Exception e,
        IEnumerable<ConnectionAttemptCompletedEventArgs> attempts)
    {
        var seen = attempts.Select(a => a.Exception).OfType<Exception>().Prepend(e)
            .SelectMany(x => Chain(x)).ToList();
        var refused = seen.Any(x => x is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } ||
            ClassifyMessage(x.Message) == RedisFailure.Authentication ||
            x.Message.Contains("NOAUTH", StringComparison.Ordinal) || x.Message.Contains("WRONGPASS", StringComparison.Ordinal));
        var host = config.EndPoints.Count > 0 ? Format(config.EndPoints[0]) : ConnectionString.Redact(configuration);
        if (!refused)
        {
            // Logged in, but the ACL denies a command the connection needs (its checks use ECHO, EXISTS...).
            var denied = seen.FirstOrDefault(x => ClassifyMessage(x.Message.Replace("SimpleError: ", "", StringComparison.Ordinal)) == RedisFailure.NoPermission ||
                x.Message.Contains("NOPERM", StringComparison.Ordinal));
            if (denied is null) return null;
            var reply = denied.Message[denied.Message.IndexOf("NOPERM", StringComparison.Ordinal)..].TrimEnd('.', ')');
            return new BitmapistStoreException(
                $"The Redis user{(string.IsNullOrEmpty(config.User) ? "" : $" '{config.User}'")} at {host} logged in but has no permission " +
                $"for a command the connection needs ({reply}). Grant it with ACL SETUSER (at least +@connection +@read +@write " +
                "+@bitmap and the key pattern), or connect as another user.", e);
        }
        var code = seen.Any(x => x.Message.Contains("WRONGPASS", StringComparison.Ordinal)) ? "WRONGPASS" : "NOAUTH";
        var message = string.IsNullOrEmpty(config.Password)
            ? $"Authentication failed at Redis {host}: no password was given and the server requires one ({code}). Add password=... " +
              "(and user=... for an ACL user) to the connection string."
            : WrongPasswordMessage(host, config.User, code, configuration);
        return new BitmapistStoreException(message, e);

        static IEnumerable<Exception> Chain(Exception x)
        {
            for (Exception? c = x; c is not null; c = c.InnerException) yield return c;
        }
    }

    public static BitmapistStoreException CannotConnect(string configuration, Exception e, IEnumerable<ConnectionAttemptCompletedEventArgs> attempts)
    {
        // StackExchange.Redis appends advice about abortConnect, which does not apply here: keep the first sentence,
        // and add what the attempts saw (connection refused, the server's answer), which it leaves out.
        var reason = e.Message.Split(". ", 2)[0].TrimEnd('.');
        var seen = attempts.Where(a => !a.IsSuccess).Select(a => a.Exception?.Message).OfType<string>().FirstOrDefault();
        return new BitmapistStoreException($"Cannot connect to Redis at '{ConnectionString.Redact(configuration)}': {reason}" + (seen is null ? "." : $" ({seen.TrimEnd('.')})."), e);
    }

    /// <summary>The server let a named user's connection in as another user (see <c>RedisStore.CheckLoggedInUserAsync</c>).</summary>
    public static BitmapistStoreException LoggedInAsAnother(string host, string? user, string? whoami, string configuration) =>
        new(WrongPasswordMessage(host, user, "WRONGPASS", configuration) + $" The server let the connection in as user '{whoami}' instead; it was closed.");

    /// <summary>A database other than 0 asked of bitmapist-server, which has one and would silently use it.</summary>
    public static BitmapistStoreException NoSuchDatabase(int database, string configuration) =>
        new($"Cannot use database {database} on bitmapist-server at '{ConnectionString.Redact(configuration)}': it has only database 0. Remove defaultDatabase={database}.");

    /// <summary>The profile probe got no answer.</summary>
    public static BitmapistStoreException DetectionFailed(Exception e, string host) =>
        new($"Detecting the server's capabilities failed: {Describe(e, host)}.", e);
}
