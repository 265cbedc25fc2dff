using System.Diagnostics;
using System.Globalization;

namespace Bitmapist.Linq.Reliability.Durability;

/// <summary>
/// One run of the writer process (tests/Bitmapist.Linq.Reliability.Writer) on a store file: its acknowledged
/// writes as it prints them, read as they come, and SIGKILL at any moment.
/// </summary>
internal sealed class WriterProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;

    private WriterProcess(Process process)
    {
        _process = process;
        _reading = Task.Run(async () =>
        {
            // Only whole lines count: a line cut by the kill is not an acknowledgement the test may rely on.
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_lines) _lines.Add(line);
                if (line == "open" || line.StartsWith("error ", StringComparison.Ordinal)) _opened.TrySetResult();
            }
            _opened.TrySetResult();
        });
    }

    /// <summary>
    /// Starts the writer: operations from <paramref name="first"/>, <paramref name="count"/> of them (0: until killed);
    /// with <paramref name="ids"/>, get-or-creates and marks by external id (the writer's "ids" mode).
    /// </summary>
    public static WriterProcess Start(string store, string sync, long compactionBytes, long first, long count = 0, int lockTimeoutMs = 30_000, bool ids = false)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Bitmapist.Linq.Reliability.Writer.dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is built next to the tests");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { dll, store, sync, Text(compactionBytes), Text(first), Text(count), Text(lockTimeoutMs) }) start.ArgumentList.Add(a);
        if (ids) start.ArgumentList.Add("ids");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the writer");
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        return new WriterProcess(process);
    }

    private static string Text(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Completes when the writer has the store open (or failed to open it, or exited).</summary>
    public Task Opened => _opened.Task;

    /// <summary>The whole lines printed so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>SIGKILL: the writer dies at once, mid-write or not. Returns the lines it printed before.</summary>
    public async Task<IReadOnlyList<string>> KillAsync()
    {
        if (!_process.HasExited) _process.Kill(); // Process.Kill is SIGKILL on Unix
        await _process.WaitForExitAsync();
        await _reading;
        return Lines;
    }

    /// <summary>Waits for the writer to end by itself.</summary>
    public async Task<IReadOnlyList<string>> ExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        await _reading;
        return Lines;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
