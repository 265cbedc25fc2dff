namespace Bitmapist.Cli.Repl;

/// <summary>
/// The statements entered, oldest first, kept across sessions in a file (one entry a line, appended as entered,
/// so two sessions at once both keep theirs). Without a file it lives only in memory.
/// </summary>
internal sealed class History
{
    /// <summary>Entries kept (the oldest are dropped beyond this).</summary>
    public const int MaxEntries = 1000;

    /// <summary>The environment variable naming the history file; set to an empty string to keep no file.</summary>
    public const string EnvironmentVariable = "BITMAPIST_HISTORY";

    private readonly List<string> _entries = [];

    public History(string? path)
    {
        Path = path;
        if (path is null) return;
        try
        {
            if (File.Exists(path))
            {
                var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
                _entries.AddRange(lines.Skip(Math.Max(0, lines.Count - MaxEntries)));
                if (lines.Count > 2 * MaxEntries) File.WriteAllLines(path, _entries); // keep the file small
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Path = null; // history is a convenience: never fail the session for it
        }
    }

    /// <summary>The history file, or null.</summary>
    public string? Path { get; private set; }

    public IReadOnlyList<string> Entries => _entries;

    /// <summary>The default file: <c>$BITMAPIST_HISTORY</c> (empty: none), else <c>~/.bitmapist_history</c>.</summary>
    public static string? DefaultPath()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (env is not null) return env.Length == 0 ? null : env;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length == 0 ? null : System.IO.Path.Combine(home, ".bitmapist_history");
    }

    /// <summary>Adds an entry (one line; a repeat of the last entry is not added again).</summary>
    public void Add(string entry)
    {
        entry = entry.Trim();
        if (entry.Length == 0 || entry.Contains('\n') || (_entries.Count > 0 && _entries[^1] == entry)) return;
        _entries.Add(entry);
        if (_entries.Count > MaxEntries) _entries.RemoveAt(0);
        if (Path is null) return;
        try
        {
            File.AppendAllText(Path, entry + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Path = null;
        }
    }
}
