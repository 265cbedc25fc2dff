using System.Text;

// The `bitmapist` tool. Everything lives in Cli.RunAsync so tests can run it in process.

// A command that reads the query language (query, cohort, the REPL) builds the parser's tables on another core
// while this one parses the command line and opens the store. Only a guess from the words: a wrong guess costs
// a few milliseconds of a background thread, nothing else.
if (args.Length == 0 || args.Any(a => a is "query" or "cohort" or "repl")) _ = Bitmapist.Linq.Text.TextQuery.Prepare();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// A buffered stdout: `bitmapist ids` can print millions of lines.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
int code;
try
{
    code = await Bitmapist.Cli.Cli.RunAsync(args, stdout, Console.Error, Bitmapist.Cli.Repl.ReplInput.FromConsole(), cancel.Token,
        Bitmapist.Cli.Config.CliEnvironment.FromProcess());
    await stdout.FlushAsync();
}
catch (IOException e)
{
    // The last of the output could not be written (a full disk): one line, as every other error, not a crash.
    await Console.Error.WriteLineAsync("bitmapist: cannot write the output: " + e.Message);
    code = Bitmapist.Cli.Cli.Failed;
}
finally
{
    // Disposing flushes what is still buffered: after a failed write it fails the same way, and that was said above.
    try { await stdout.DisposeAsync(); } catch (IOException) { }
}
return code;
