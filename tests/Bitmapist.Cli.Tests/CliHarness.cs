using System.Text.Json;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Cli.Tests;

/// <summary>What one in-process run of the CLI printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    /// <summary>Stdout parsed as JSON (the run must have succeeded).</summary>
    public JsonElement Json()
    {
        ExitCode.ShouldBe(0, $"stderr: {Err}");
        using var doc = JsonDocument.Parse(Out);
        return doc.RootElement.Clone();
    }

    /// <summary>Asserts a failure reported as one sentence on stderr, nothing on stdout and no stack trace.</summary>
    public CliResult ShouldFailWith(int exitCode, string fragment)
    {
        ExitCode.ShouldBe(exitCode, $"stdout: {Out} stderr: {Err}");
        Out.ShouldBeEmpty();
        Err.ShouldContain(fragment, Case.Insensitive);
        Err.ShouldStartWith("bitmapist: ");
        Err.ShouldNotContain("   at ");
        Err.ShouldNotContain("Exception");
        return this;
    }
}

/// <summary>Runs the CLI in process.</summary>
public static class CliHarness
{
    /// <summary>The pinned "now" of every test: the sample data ends on 2026-11-28.</summary>
    public const string Now = "2026-11-28T12:00:00Z";

    public static async Task<CliResult> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await Cli.RunAsync(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A fresh temporary directory, deleted by <see cref="IDisposable.Dispose"/>.</summary>
    public static TempDir TempDir() => new();

    /// <summary>Opens a store file with the library itself, read-only (no writer lock), to compare the CLI's answers with.</summary>
    public static EmbeddedStore OpenStore(string path, string prefix = "trackist_") => EmbeddedStore.OpenReadOnly(path, new StoreOptions
    {
        Keys = new Linq.Model.KeyScheme(prefix),
        Clock = new FixedTimeProvider(DateTimeOffset.Parse(Now, System.Globalization.CultureInfo.InvariantCulture)),
    });
}

public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bitmapist-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>A store file with a small sample (2000 users over 30 days to 2026-11-28), written by `bitmapist sample`.</summary>
public sealed class SampleFile : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dir = new();

    public string Path => _dir.File("sample.bms");

    public JsonElement Summary { get; private set; }

    public async Task InitializeAsync()
    {
        var result = await CliHarness.Run("sample", "--data", Path, "--users", "2000", "--days", "30", "--now", CliHarness.Now, "--format", "json");
        Summary = result.Json();
    }

    /// <summary>The common arguments of a read against this file: the store, the pinned now and JSON output.</summary>
    public string[] Args(params string[] args) => [.. args, "--data", Path, "--now", CliHarness.Now, "--format", "json"];

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _dir.Dispose();
}
