using System.Text;
using System.Threading.Channels;
using Bitmapist.Cli.Repl;

namespace Bitmapist.Cli.Tests;

/// <summary>A terminal whose keys a test types and whose output it reads: the REPL runs in process.</summary>
internal sealed class ScriptedTerminal(int width = 100) : ITerminal
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>();
    private readonly StringWriter _out = new();

    public TextWriter Out => _out;

    public int Width { get; } = width;

    public bool Colors => false;

    /// <summary>Everything written so far.</summary>
    public string Output
    {
        get
        {
            lock (_out) return _out.ToString();
        }
    }

    /// <summary>The output with the cursor movements and the line redraws of the editor removed (what is left on screen, roughly).</summary>
    public string Screen => Clean(Output);

    public async ValueTask<ConsoleKeyInfo?> ReadKeyAsync(CancellationToken ct)
    {
        try
        {
            return await _keys.Reader.ReadAsync(ct);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Types text: '\n' is Enter, '\t' Tab, '\x03' Ctrl-C, '\x04' Ctrl-D, '\b' Backspace.</summary>
    public ScriptedTerminal Type(string text)
    {
        foreach (var c in text) Press(Key(c));
        return this;
    }

    public ScriptedTerminal Press(ConsoleKeyInfo key)
    {
        _keys.Writer.TryWrite(key);
        return this;
    }

    public ScriptedTerminal Press(ConsoleKey key, bool control = false) =>
        Press(new ConsoleKeyInfo(control ? (char)(key - ConsoleKey.A + 1) : '\0', key, false, false, control));

    /// <summary>No more keys: the REPL ends when it has read them all.</summary>
    public void Close() => _keys.Writer.TryComplete();

    public static ConsoleKeyInfo Key(char c) => c switch
    {
        '\n' => new ConsoleKeyInfo('\r', ConsoleKey.Enter, false, false, false),
        '\t' => new ConsoleKeyInfo('\t', ConsoleKey.Tab, false, false, false),
        '\b' => new ConsoleKeyInfo('\b', ConsoleKey.Backspace, false, false, false),
        '\x03' => new ConsoleKeyInfo('\x03', ConsoleKey.C, false, false, true),
        '\x04' => new ConsoleKeyInfo('\x04', ConsoleKey.D, false, false, true),
        _ when char.IsAsciiLetter(c) => new ConsoleKeyInfo(c, ConsoleKey.A + (char.ToUpperInvariant(c) - 'A'), char.IsUpper(c), false, false),
        _ when char.IsAsciiDigit(c) => new ConsoleKeyInfo(c, ConsoleKey.D0 + (c - '0'), false, false, false),
        ' ' => new ConsoleKeyInfo(' ', ConsoleKey.Spacebar, false, false, false),
        _ => new ConsoleKeyInfo(c, ConsoleKey.Oem1, false, false, false),
    };

    /// <summary>Keeps, of each redrawn line, only its last drawing; drops escape sequences.</summary>
    public static string Clean(string output)
    {
        var sb = new StringBuilder();
        foreach (var raw in output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw;
            var cr = line.LastIndexOf('\r');
            if (cr >= 0) line = line[(cr + 1)..];
            line = System.Text.RegularExpressions.Regex.Replace(line, @"\x1b\[[0-9;]*[A-Za-z]", "");
            sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }
}
