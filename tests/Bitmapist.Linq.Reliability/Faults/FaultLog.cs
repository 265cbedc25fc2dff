namespace Bitmapist.Linq.Reliability.Faults;

/// <summary>
/// Runs the operations of one fault test. Each may succeed or fail with the library's own exception and a short
/// message without .NET internals; anything else is a problem, kept and reported at the end of the test
/// (<see cref="ShouldHaveNoProblems"/>) so that the checks that must hold (no wrong answer, no lost write) still
/// run and report on their own.
/// </summary>
internal sealed class FaultLog
{
    /// <summary>Longest message a store error may have: a few sentences (what, why, how to fix), not a client diagnostic dump.</summary>
    public const int ShortMessage = 500;

    /// <summary>Pieces of StackExchange.Redis's connection diagnostics, which belong in the inner exception, not the message.</summary>
    private static readonly string[] Diagnostics = ["outstanding:", "last-heartbeat", "IOCP:", "inst: ", "serverEndpoint:", "last-mbeat"];

    private readonly List<string> _problems = [];

    /// <summary>Distinct error messages seen (for the report).</summary>
    public SortedSet<string> Messages { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="operation"/>; returns its error, or null when it succeeded.</summary>
    public async Task<Exception?> Run(Func<Task> operation, string what)
    {
        try
        {
            // A generous bound on a hang (not a timing assertion): an operation must end, one way or the other.
            var run = operation();
            if (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(120))) != run) throw new ShouldAssertException($"{what}: neither succeeded nor failed within 120 s");
            await run;
            return null;
        }
        catch (Exception e) when (e is BitmapistStoreException or BitmapistQueryException)
        {
            lock (_problems)
            {
                // The kind of message, without the client's varying diagnostics (counters, timings).
                var cut = e.Message.IndexOfAny(['(', ':'], Math.Min(e.Message.Length, 20));
                Messages.Add($"{e.GetType().Name}: {(cut > 0 ? e.Message[..cut] + "..." : e.Message)}");
                if (e.Message.Length > ShortMessage) AddProblem($"{what}: a {e.Message.Length}-character message (at most {ShortMessage}): {e.Message}");
                else if (Diagnostics.FirstOrDefault(d => e.Message.Contains(d, StringComparison.Ordinal)) is { } dump)
                    AddProblem($"{what}: the client's diagnostics ('{dump}') in the message: {e.Message}");
                if (e.Message.Contains("   at ", StringComparison.Ordinal)) AddProblem($"{what}: a stack trace in the message: {e.Message}");
            }
            return e;
        }
        catch (Exception e) when (e is not ShouldAssertException)
        {
            lock (_problems) AddProblem($"{what}: {e.GetType().FullName}, not one of the library's exceptions: {e.Message}");
            return e;
        }
    }

    /// <summary>Records a problem found by the test itself (a message that says the opposite of what happened).</summary>
    public void Problem(string text)
    {
        lock (_problems) _problems.Insert(0, text); // first in the report, never cut by the cap below
    }

    private void AddProblem(string text)
    {
        if (_problems.Count < 20) _problems.Add(text);
    }

    /// <summary>Fails with every problem seen, when there was one.</summary>
    public void ShouldHaveNoProblems()
    {
        lock (_problems)
            if (_problems.Count > 0) throw new ShouldAssertException($"unclear or untrue errors (at most 20 shown):\n" + string.Join("\n", _problems.Distinct()));
    }
}
