using System.Text;

namespace Bitmapist.Cli.Repl;

/// <summary>How a read of one line ended.</summary>
internal enum ReadStatus
{
    /// <summary>Enter: <see cref="ReadResult.Text"/> is the line.</summary>
    Line,
    /// <summary>Ctrl-C: <see cref="ReadResult.Text"/> is what had been typed (discarded).</summary>
    Interrupted,
    /// <summary>Ctrl-D on an empty line, or the terminal closed.</summary>
    EndOfInput,
}

internal readonly record struct ReadResult(ReadStatus Status, string Text);

/// <summary>
/// Reads one line from an <see cref="ITerminal"/> with editing (emacs-style keys), history (up and down, Ctrl-R
/// reverse search) and tab completion. The line is drawn on one row; a line wider than the terminal scrolls
/// sideways around the cursor.
/// </summary>
internal sealed class LineEditor(ITerminal terminal, History history, Completer? completer)
{
    private readonly Queue<ConsoleKeyInfo> _pending = new();
    private bool _closed;
    private readonly StringBuilder _line = new();
    private int _cursor;
    private string _prompt = "";
    private HistorySearch? _search;

    /// <summary>The prompt of a reverse search (as bash's): what is searched for, then the entry found.</summary>
    internal const string SearchPrompt = "(reverse-i-search)";

    /// <summary>The prompt when no entry holds what is typed.</summary>
    internal const string FailedSearchPrompt = "(failed reverse-i-search)";

    /// <summary>Keys read while a statement ran (typed ahead): read before the terminal's.</summary>
    public void TypeAhead(ConsoleKeyInfo key) => _pending.Enqueue(key);

    /// <summary>The terminal closed while a statement ran.</summary>
    public void Close() => _closed = true;

    public async Task<ReadResult> ReadLineAsync(string prompt, CancellationToken ct)
    {
        _prompt = prompt;
        _line.Clear();
        _cursor = 0;
        _search = null;
        var index = history.Entries.Count; // the history entry shown; Count is the line being typed
        var draft = "";
        Redraw();
        while (true)
        {
            ConsoleKeyInfo key;
            if (_pending.Count > 0) key = _pending.Dequeue();
            else if (_closed || await terminal.ReadKeyAsync(ct).ConfigureAwait(false) is not { } read)
            {
                _closed = true;
                terminal.Out.WriteLine();
                return new ReadResult(_line.Length == 0 ? ReadStatus.EndOfInput : ReadStatus.Line, _line.ToString());
            }
            else key = read;

            var control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            if (_search is { } search)
            {
                // Keys of the search; any other key takes the entry found into the line and then does what it does.
                if (Search(search, key, control)) continue;
                if (search.Found >= 0) index = search.Found;
                _search = null;
                if (key.Key == ConsoleKey.Escape)
                {
                    Redraw();
                    continue;
                }
            }
            switch (key.Key)
            {
                case ConsoleKey.R when control:
                    if (index == history.Entries.Count) draft = _line.ToString();
                    _search = new HistorySearch(_line.ToString(), _cursor);
                    DrawSearch();
                    continue;
                case ConsoleKey.Enter:
                case ConsoleKey.J when control:
                    MoveToEnd();
                    terminal.Out.WriteLine();
                    return new ReadResult(ReadStatus.Line, _line.ToString());
                case ConsoleKey.C when control:
                    MoveToEnd();
                    terminal.Out.WriteLine("^C");
                    return new ReadResult(ReadStatus.Interrupted, _line.ToString());
                case ConsoleKey.D when control:
                    if (_line.Length == 0)
                    {
                        terminal.Out.WriteLine();
                        return new ReadResult(ReadStatus.EndOfInput, "");
                    }
                    if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                    break;
                case ConsoleKey.Backspace:
                case ConsoleKey.H when control:
                    if (_cursor > 0) _line.Remove(--_cursor, 1);
                    break;
                case ConsoleKey.Delete:
                    if (_cursor < _line.Length) _line.Remove(_cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when control:
                    while (_cursor > 0 && _line[_cursor - 1] == ' ') _cursor--;
                    while (_cursor > 0 && _line[_cursor - 1] != ' ') _cursor--;
                    break;
                case ConsoleKey.RightArrow when control:
                    while (_cursor < _line.Length && _line[_cursor] == ' ') _cursor++;
                    while (_cursor < _line.Length && _line[_cursor] != ' ') _cursor++;
                    break;
                case ConsoleKey.LeftArrow:
                case ConsoleKey.B when control:
                    if (_cursor > 0) _cursor--;
                    break;
                case ConsoleKey.RightArrow:
                case ConsoleKey.F when control:
                    if (_cursor < _line.Length) _cursor++;
                    break;
                case ConsoleKey.Home:
                case ConsoleKey.A when control:
                    _cursor = 0;
                    break;
                case ConsoleKey.End:
                case ConsoleKey.E when control:
                    _cursor = _line.Length;
                    break;
                case ConsoleKey.U when control:
                    _line.Remove(0, _cursor);
                    _cursor = 0;
                    break;
                case ConsoleKey.K when control:
                    _line.Remove(_cursor, _line.Length - _cursor);
                    break;
                case ConsoleKey.W when control:
                    var start = _cursor;
                    while (start > 0 && _line[start - 1] == ' ') start--;
                    while (start > 0 && _line[start - 1] != ' ') start--;
                    _line.Remove(start, _cursor - start);
                    _cursor = start;
                    break;
                case ConsoleKey.L when control:
                    terminal.Out.Write("\x1b[2J\x1b[H");
                    break;
                case ConsoleKey.UpArrow:
                case ConsoleKey.P when control:
                    if (index > 0)
                    {
                        if (index == history.Entries.Count) draft = _line.ToString();
                        Replace(history.Entries[--index]);
                    }
                    break;
                case ConsoleKey.DownArrow:
                case ConsoleKey.N when control:
                    if (index < history.Entries.Count)
                    {
                        index++;
                        Replace(index == history.Entries.Count ? draft : history.Entries[index]);
                    }
                    break;
                case ConsoleKey.Tab:
                    await CompleteAsync(ct).ConfigureAwait(false);
                    break;
                default:
                    if (!control && key.KeyChar >= ' ' && key.KeyChar != '\x7f')
                    {
                        _line.Insert(_cursor, key.KeyChar);
                        _cursor++;
                    }
                    break;
            }
            Redraw();
        }
    }

    /// <summary>A Ctrl-R search under way: what is typed, the entry found (-1: none yet) and the line to restore on Ctrl-G.</summary>
    private sealed class HistorySearch(string line, int cursor)
    {
        public StringBuilder Query { get; } = new();
        public int Found { get; set; } = -1;
        public bool Failed { get; set; }
        public string Line { get; } = line;
        public int Cursor { get; } = cursor;
    }

    /// <summary>
    /// One key of a reverse search: a character narrows it (from the entry found, back), Ctrl-R finds the next older
    /// entry, Backspace widens it (from the newest again), Ctrl-G gives it up (the line as it was). True when the
    /// key was the search's; false for any other key, which ends the search with the entry found in the line.
    /// </summary>
    private bool Search(HistorySearch search, ConsoleKeyInfo key, bool control)
    {
        switch (key.Key)
        {
            case ConsoleKey.R when control:
                if (search.Query.Length > 0) Find(search, search.Found >= 0 ? search.Found - 1 : history.Entries.Count - 1);
                break;
            case ConsoleKey.G when control:
                _search = null;
                Replace(search.Line);
                _cursor = search.Cursor;
                Redraw();
                return true;
            case ConsoleKey.Backspace:
            case ConsoleKey.H when control:
                if (search.Query.Length > 0) search.Query.Length--;
                if (search.Query.Length == 0)
                {
                    search.Found = -1;
                    search.Failed = false;
                    Replace(search.Line);
                }
                else Find(search, history.Entries.Count - 1);
                break;
            default:
                if (control || key.KeyChar < ' ' || key.KeyChar == '\x7f') return false;
                search.Query.Append(key.KeyChar);
                Find(search, search.Found >= 0 ? search.Found : history.Entries.Count - 1);
                break;
        }
        DrawSearch();
        return true;
    }

    /// <summary>The newest entry at or before <paramref name="from"/> holding the query (ignoring case) goes into the line; none: the search fails and the line stays.</summary>
    private void Find(HistorySearch search, int from)
    {
        var query = search.Query.ToString();
        for (var i = Math.Min(from, history.Entries.Count - 1); i >= 0; i--)
        {
            var at = history.Entries[i].IndexOf(query, StringComparison.OrdinalIgnoreCase);
            if (at < 0) continue;
            search.Found = i;
            search.Failed = false;
            _line.Clear().Append(history.Entries[i]);
            _cursor = at;
            return;
        }
        search.Failed = true;
    }

    /// <summary>Draws <c>(reverse-i-search)'query': entry</c>, the cursor on the match.</summary>
    private void DrawSearch()
    {
        var search = _search!;
        var head = $"{(search.Failed ? FailedSearchPrompt : SearchPrompt)}'{search.Query}': ";
        var text = _line.ToString();
        var room = Math.Max(10, terminal.Width - head.Length - 1);
        var from = text.Length > room ? Math.Clamp(_cursor - room / 2, 0, text.Length - room) : 0;
        text = text.Substring(from, Math.Min(room, text.Length - from));
        var back = from + text.Length - _cursor;
        terminal.Out.Write("\r" + head + text + "\x1b[K" + (back > 0 ? $"\x1b[{back}D" : ""));
        terminal.Out.Flush();
    }

    private void Replace(string text)
    {
        _line.Clear().Append(text);
        _cursor = _line.Length;
    }

    private void MoveToEnd()
    {
        _cursor = _line.Length;
        Redraw();
    }

    private async Task CompleteAsync(CancellationToken ct)
    {
        if (completer is null) return;
        var text = _line.ToString();
        var start = Completer.WordStart(text, _cursor);
        var word = text[start.._cursor];
        var candidates = await completer.CompleteAsync(text[..start], word, ct).ConfigureAwait(false);
        if (candidates.Count == 0) return;
        string insert;
        if (candidates.Count == 1) insert = candidates[0].Insert;
        else
        {
            // Insert what all candidates share; when that adds nothing, list them.
            insert = Completer.CommonPrefix([.. candidates.Select(c => c.Insert)]);
            if (insert.Length <= word.Length)
            {
                var ci = Completer.CommonPrefix([.. candidates.Select(c => c.Insert.ToLowerInvariant())]);
                if (ci.Length > word.Length) insert = word + ci[word.Length..];
            }
            if (insert.Length <= word.Length)
            {
                MoveToEnd();
                terminal.Out.WriteLine();
                terminal.Out.WriteLine(Columns(candidates.Select(c => c.Display).ToList()));
                _cursor = start + word.Length;
                return;
            }
        }
        _line.Remove(start, word.Length).Insert(start, insert);
        _cursor = start + insert.Length;
    }

    private string Columns(IReadOnlyList<string> items)
    {
        var width = items.Max(i => i.Length) + 2;
        var perRow = Math.Max(1, (terminal.Width - 1) / width);
        var sb = new StringBuilder();
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0 && i % perRow == 0) sb.Append('\n');
            sb.Append(i % perRow == perRow - 1 || i == items.Count - 1 ? items[i] : items[i].PadRight(width));
        }
        return sb.ToString();
    }

    /// <summary>Draws the prompt and the line on the current row and puts the cursor in place.</summary>
    private void Redraw()
    {
        var room = Math.Max(10, terminal.Width - _prompt.Length - 1);
        var text = _line.ToString();
        var from = 0;
        if (text.Length > room)
        {
            // Scroll sideways so the cursor stays visible.
            from = Math.Clamp(_cursor - room + 1, 0, text.Length - room);
            text = text.Substring(from, Math.Min(room, text.Length - from));
        }
        var back = from + text.Length - _cursor;
        terminal.Out.Write("\r" + _prompt + text + "\x1b[K" + (back > 0 ? $"\x1b[{back}D" : ""));
        terminal.Out.Flush();
    }
}
