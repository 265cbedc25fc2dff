namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// The commands an explain document lists, read back from its text: what the tests compare the wire and the
/// server's statistics against, so explain is held to "the exact commands".
/// </summary>
/// <param name="Sent">The commands of the one batch as the client sends them (MULTI ... EXEC, a single command, or the EVALSHA).</param>
/// <param name="InScript">The commands the counts script runs inside its EVALSHA (empty for a MULTI/EXEC).</param>
/// <param name="PagedKey">The key paged with GETRANGE after the batch (ids and max read in pages), or null.</param>
/// <param name="Leased">The paged key is a lease, deleted when the enumeration is disposed.</param>
internal sealed record ExplainedCommands(IReadOnlyList<string> Sent, IReadOnlyList<string> InScript, string? PagedKey, bool Leased)
{
    /// <summary>The command sections of <paramref name="explain"/>: one per document (a percent query's explain holds two).</summary>
    public static IReadOnlyList<ExplainedCommands> ParseAll(string explain)
    {
        var all = new List<ExplainedCommands>();
        List<string>? sent = null;
        List<string> inScript = [];
        string? paged = null;
        var leased = false;
        void Flush()
        {
            if (sent is not null) all.Add(new ExplainedCommands(sent, inScript, paged, leased));
            (sent, inScript, paged, leased) = (null, [], null, false);
        }
        foreach (var line in explain.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.StartsWith("query:", StringComparison.Ordinal)) Flush();
            else if (line.StartsWith("commands", StringComparison.Ordinal)) sent = [];
            else if (sent is null || line.Length == 0) continue;
            else if (line.StartsWith("    ", StringComparison.Ordinal)) inScript.Add(Wire(line.Trim()));
            else if (line.StartsWith("  then page ", StringComparison.Ordinal))
            {
                paged = line["  then page ".Length..].Split(' ')[0];
                leased = line.Contains("DEL it when the lease is disposed", StringComparison.Ordinal);
            }
            else if (line.StartsWith("  (nothing to run", StringComparison.Ordinal)) continue;
            else if (line.StartsWith("  ", StringComparison.Ordinal)) sent.Add(Wire(line.Trim()));
        }
        Flush();
        return all;
    }

    public static ExplainedCommands Parse(string explain) => ParseAll(explain).ShouldHaveSingleItem();

    /// <summary>Calls per command name that running this batch makes the server count (INFO commandstats names).</summary>
    public Dictionary<string, long> ServerCalls() => Count(Sent.Concat(InScript));

    public static Dictionary<string, long> Count(IEnumerable<string> commands) =>
        commands.GroupBy(c => c.Split(' ')[0].ToLowerInvariant()).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);

    // Explain prints a literal bitmap as its length; the proxy shows a binary argument the same way.
    private static string Wire(string line) =>
        System.Text.RegularExpressions.Regex.Replace(line, @"<bitmap of (\d+) bytes>", "<$1 bytes>");
}
