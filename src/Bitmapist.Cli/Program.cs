using System.Text;

// The `bitmapist` tool. Everything lives in Cli.RunAsync so tests can run it in process.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// A buffered stdout: `bitmapist ids` can print millions of lines.
await using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16) { AutoFlush = false };
var code = await Bitmapist.Cli.Cli.RunAsync(args, stdout, Console.Error, Bitmapist.Cli.Repl.ReplInput.FromConsole(), cancel.Token);
await stdout.FlushAsync();
return code;
