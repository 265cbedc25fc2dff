using System.Threading.Channels;

namespace Bitmapist.Cli.Repl;

/// <summary>
/// The console as the REPL sees it: keys in, text out. The real one is <see cref="SystemTerminal"/>; tests script
/// the keys and read what was written.
/// </summary>
internal interface ITerminal
{
    /// <summary>Waits for the next key; null when there are no more (the terminal closed).</summary>
    ValueTask<ConsoleKeyInfo?> ReadKeyAsync(CancellationToken ct);

    /// <summary>Where prompts, echo and results go.</summary>
    TextWriter Out { get; }

    /// <summary>Columns of the terminal.</summary>
    int Width { get; }

    /// <summary>Whether results may use colours (cursor movement is always ANSI).</summary>
    bool Colors { get; }
}

/// <summary>
/// The process's console: a background thread reads keys (Ctrl-C arrives as a key, so it can cancel a statement
/// without ending the process) and hands them over through a channel.
/// </summary>
internal sealed class SystemTerminal : ITerminal, IDisposable
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>(new UnboundedChannelOptions { SingleReader = true });
    private readonly bool _treatControlC;

    public SystemTerminal()
    {
        _treatControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        var reader = new Thread(ReadKeys) { IsBackground = true, Name = "bitmapist keys" };
        reader.Start();
    }

    public TextWriter Out { get; } = Console.Out;

    public int Width
    {
        get
        {
            try
            {
                return Console.WindowWidth > 0 ? Console.WindowWidth : 80;
            }
            catch (IOException)
            {
                return 80;
            }
        }
    }

    public bool Colors => Environment.GetEnvironmentVariable("NO_COLOR") is null;

    public async ValueTask<ConsoleKeyInfo?> ReadKeyAsync(CancellationToken ct)
    {
        try
        {
            return await _keys.Reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    private void ReadKeys()
    {
        try
        {
            while (true) _keys.Writer.TryWrite(Console.ReadKey(intercept: true));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            _keys.Writer.TryComplete();
        }
    }

    public void Dispose() => Console.TreatControlCAsInput = _treatControlC;
}
