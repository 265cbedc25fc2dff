using System.Diagnostics;
using System.Globalization;

namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// One run of the id map worker (<c>writer idmap ...</c>, tests/Bitmapist.Linq.Reliability.Writer/IdMapWorker.cs) in
/// its own process: started, told to go, and its output read whole once it exits.
/// </summary>
internal sealed class IdMapWorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;
    private volatile bool _sawReady;
    private readonly Task<string> _stderr;

    private IdMapWorkerProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
        _reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line == "ready")
                {
                    _sawReady = true;
                    _ready.TrySetResult();
                }
                else _lines.Add(line);
            }
            _ready.TrySetResult(); // exited without getting ready: ReadyAsync says so
        });
    }

    /// <summary>Starts a worker; see IdMapWorker.cs for the arguments.</summary>
    public static IdMapWorkerProcess Start(string kind, string target, string prefix, int shardBits, int worker, int tasks, int shared, int own, int seed)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Bitmapist.Linq.Reliability.Writer.dll");
        File.Exists(dll).ShouldBeTrue($"{dll} is built next to the tests (a project reference)");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new object[] { dll, "idmap", kind, target, prefix, shardBits, worker, tasks, shared, own, seed })
            start.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture)!);
        return new IdMapWorkerProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start the id map worker"));
    }

    /// <summary>Waits until the worker printed "ready" (its store is open); fails with its errors when it exited instead.</summary>
    public async Task ReadyAsync(TimeSpan timeout)
    {
        await _ready.Task.WaitAsync(timeout);
        if (!_sawReady) throw new InvalidOperationException($"the id map worker ended before it was ready: {await _stderr} {string.Join(" | ", _lines.Take(5))}");
    }

    /// <summary>Lets a Redis worker start its calls.</summary>
    public async Task GoAsync()
    {
        await _process.StandardInput.WriteLineAsync("go");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits for the worker to end; returns its output lines, or fails with its exit status and errors.</summary>
    public async Task<string[]> OutputAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        await _reading;
        if (_process.ExitCode != 0)
            throw new InvalidOperationException($"the id map worker exited with {_process.ExitCode}: {await _stderr} {string.Join(" | ", _lines.Take(5))}");
        return [.. _lines];
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
