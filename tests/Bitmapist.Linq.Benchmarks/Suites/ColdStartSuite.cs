using System.Diagnostics;
using System.Globalization;
using Bitmapist.Linq.Benchmarks.Infra;
using Bitmapist.Linq.Sample;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Benchmarks.Suites;

/// <summary>
/// Issue 14, "a fast first query", side by side in one run: (1) the first query of a fresh process through the
/// library (tests/Bitmapist.Linq.ColdStart, started once per sample), on Redis and embedded, as text and as
/// operators; (2) one <c>bitmapist query "count ..."</c> process start to exit, with <c>redis-cli</c> for scale.
/// Both programs run as JIT, ReadyToRun and Native AOT builds, which the suite publishes into
/// <c>tests/Bitmapist.Linq.Benchmarks/bin/coldstart/</c> (BITMAPIST_COLDSTART_REUSE=1 reuses them).
/// </summary>
internal sealed class ColdStartSuite : ISuite
{
    private const string Prefix = BenchContext.Root + "coldstart:";

    public string Name => "coldstart";
    public string Description => "first query in a fresh process (Redis/embedded, text/operators) and the CLI process start to exit (JIT, R2R, AOT, redis-cli)";

    public async Task RunAsync(BenchContext ctx)
    {
        var work = Directory.CreateTempSubdirectory("bitmapist-coldstart-");
        try
        {
            var file = Path.Combine(work.FullName, "sample.bmdb");
            await WriteDataAsync(ctx, file);
            await FirstQueries(ctx, file);
            await CliProcesses(ctx, file);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The sample data (20,000 users, 60 days to 2026-11-28) on Redis under the suite's prefix, and in an embedded store file.</summary>
    private static async Task WriteDataAsync(BenchContext ctx, string file)
    {
        var sample = new SampleDataOptions(Users: 20_000, Days: 60, End: new DateTime(2026, 11, 28));
        await using (var redis = await ctx.StoreAsync(Prefix)) await SampleData.GenerateAsync(redis, sample);
        await using var embedded = EmbeddedStore.Open(file);
        await SampleData.GenerateAsync(embedded, sample);
        embedded.Save();
    }

    /// <summary>The three builds, as the names of their output folders and what the tables call them.</summary>
    private static readonly (string Folder, string Name)[] Builds = [("jit", "JIT"), ("r2r", "ReadyToRun"), ("aot", "Native AOT")];

    /// <summary>The first query, as text (the harness's twin in operators is the same set).</summary>
    private const string FirstText = "count month(active, 2026-11) & week(active, 2026-W48)";

    private const string SecondText = "count day(active, 2026-11-01..2026-11-28) - month(signup, 2026-11)";

    private static async Task FirstQueries(BenchContext ctx, string file)
    {
        var harness = await PublishAsync("tests/Bitmapist.Linq.ColdStart", "Bitmapist.Linq.ColdStart");
        var runs = ctx.Reps(9);
        var cases = (
            from build in Builds
            from c in new (string Name, string[] Args)[]
            {
                ("Redis, operators", ["redis", ctx.Redis.Endpoint, Prefix, "operators"]),
                ("Redis, text", ["redis", ctx.Redis.Endpoint, Prefix, "text"]),
                ("Redis, text, TextQuery.Prepare() at start", ["redis", ctx.Redis.Endpoint, Prefix, "prepared"]),
                ("embedded, operators", ["embedded", file, "operators"]),
                ("embedded, text", ["embedded", file, "text"]),
                ("embedded, text, TextQuery.Prepare() at start", ["embedded", file, "prepared"]),
            }
            select (Name: $"{build.Name}: {c.Name}", Program: Command(harness, build.Folder, "Bitmapist.Linq.ColdStart"), c.Args)).ToArray();
        var samples = cases.Select(_ => new List<double[]>()).ToArray();
        for (var r = 0; r < runs; r++)
            for (var k = 0; k < cases.Length; k++)
            {
                var i = (k + r) % cases.Length; // no case always goes first
                var line = await RunAsync(cases[i].Program, cases[i].Args);
                samples[i].Add([.. line.Output.Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture))]);
            }
        var t = new Table("first query in a fresh process", "open ms", "first query ms", "of which parse ms", "second query ms", "target <= 5 ms");
        for (var i = 0; i < cases.Length; i++)
        {
            double Median(int column) => Stats.Median([.. samples[i].Select(s => s[column])]);
            var first = Median(1);
            t.Row(cases[i].Name, Ms(Median(0)), Ms(first), cases[i].Name.Contains("text", StringComparison.Ordinal) ? Ms(Median(3)) : "-",
                Ms(Median(2)), Fmt.Verdict(first <= 5));
        }
        t.Print($"medians of {runs} processes each (tests/Bitmapist.Linq.ColdStart; Stopwatch around each call; open = connect or open the file; " +
            $"first: '{FirstText}' or its operators twin; second: '{SecondText}' or its twin)");
    }

    private static async Task CliProcesses(BenchContext ctx, string file)
    {
        var cli = await PublishAsync("src/Bitmapist.Cli", "bitmapist");
        var redisCli = File.Exists("/usr/bin/redis-cli") ? "/usr/bin/redis-cli" : "redis-cli";
        var (host, port) = (ctx.Redis.Endpoint.Split(':')[0], ctx.Redis.Endpoint.Split(':')[1]);
        string[] query = ["query", "--prefix", Prefix, "--format", "json", FirstText];
        (string Name, string[] Program, string[] Args)[] cases =
        [
            ("JIT (dotnet bitmapist.dll)", Command(cli, "jit", "bitmapist"), ["--redis", ctx.Redis.Endpoint, .. query]),
            ("ReadyToRun", Command(cli, "r2r", "bitmapist"), ["--redis", ctx.Redis.Endpoint, .. query]),
            ("Native AOT", Command(cli, "aot", "bitmapist"), ["--redis", ctx.Redis.Endpoint, .. query]),
            ("Native AOT, embedded file (--data)", Command(cli, "aot", "bitmapist"), ["--data", file, "query", .. query[3..]]),
            ("redis-cli BITCOUNT (for scale)", [redisCli], ["-h", host, "-p", port, "BITCOUNT", Prefix + "active_2026-11"]),
        ];
        var expected = (await RunAsync(cases[0].Program, cases[0].Args)).Output;
        var runs = ctx.Reps(11);
        var wall = cases.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r < runs; r++)
            for (var k = 0; k < cases.Length; k++)
            {
                var i = (k + r) % cases.Length;
                var run = await RunAsync(cases[i].Program, cases[i].Args);
                if (i < 4 && run.Output != expected)
                    throw new InvalidOperationException($"{cases[i].Name} printed '{run.Output}', the JIT build '{expected}'");
                wall[i].Add(run.Seconds);
            }
        var jit = Stats.Median(wall[0]);
        var t = new Table("one process, start to exit", "median ms", "min ms", "x faster than JIT", "peak RSS", "target <= 60 ms (Redis)");
        for (var i = 0; i < cases.Length; i++)
        {
            var median = Stats.Median(wall[i]);
            t.Row(cases[i].Name, Ms(median * 1000), Ms(wall[i].Min() * 1000), Fmt.Ratio(jit / median), await PeakRssAsync(cases[i].Program, cases[i].Args),
                i is 0 or 1 or 2 ? Fmt.Verdict(median <= 0.060) : "-");
        }
        t.Print($"medians of {runs} runs each, interleaved: bitmapist {string.Join(' ', query.Select(a => a.Contains(' ') ? $"\"{a}\"" : a))} (same output checked); " +
            "peak RSS from one more run under /usr/bin/time");
    }

    /// <summary>
    /// Publishes the three builds of a program (or reuses them with BITMAPIST_COLDSTART_REUSE=1); returns their
    /// parent directory, which holds one folder per build.
    /// </summary>
    private static async Task<string> PublishAsync(string projectPath, string assembly)
    {
        var root = RepoRoot();
        var builds = Path.Combine(root, "tests", "Bitmapist.Linq.Benchmarks", "bin", "coldstart", assembly);
        var project = Path.Combine(root, projectPath);
        (string Name, string[] Args)[] flavours =
        [
            ("jit", []),
            ("r2r", ["-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true"]),
            ("aot", ["-r", "linux-x64", "-p:PublishAot=true"]),
        ];
        var reuse = Environment.GetEnvironmentVariable("BITMAPIST_COLDSTART_REUSE") == "1";
        foreach (var (name, args) in flavours)
        {
            var output = Path.Combine(builds, name);
            if (reuse && File.Exists(Command(builds, name, assembly)[^1])) continue; // a failed publish leaves no program
            var sw = Stopwatch.StartNew();
            var run = await RunAsync(["dotnet"], ["publish", project, "-c", "Release", "-o", output, "--nologo", "-v", "quiet", .. args]);
            if (run.ExitCode != 0) throw new InvalidOperationException($"dotnet publish ({name}) failed:\n{run.Output}\n{run.Error}");
            Console.WriteLine($"published the {name} build of {assembly} in {sw.Elapsed.TotalSeconds:0} s ({output})");
        }
        return builds;
    }

    private static async Task<string> PeakRssAsync(string[] program, string[] args)
    {
        if (!File.Exists("/usr/bin/time")) return "n/a";
        var run = await RunAsync("/usr/bin/time", ["-f", "%M", .. program, .. args]);
        var last = run.Error.TrimEnd().Split('\n')[^1];
        return long.TryParse(last, out var kb) ? Fmt.Bytes(kb * 1024) : "n/a";
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Bitmapist.Linq.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Bitmapist.Linq.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>How to start one build: the JIT build as <c>dotnet X.dll</c> (as a dotnet tool starts), the others by their executable.</summary>
    private static string[] Command(string builds, string folder, string assembly) =>
        folder == "jit" ? ["dotnet", Path.Combine(builds, folder, assembly + ".dll")] : [Path.Combine(builds, folder, assembly)];

    private static Task<(string Output, string Error, int ExitCode, double Seconds)> RunAsync(string[] command, string[] args) =>
        RunAsync(command[0], [.. command[1..], .. args]);

    /// <summary>Runs a process to its end; Seconds is start to exit.</summary>
    private static async Task<(string Output, string Error, int ExitCode, double Seconds)> RunAsync(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var seconds = sw.Elapsed.TotalSeconds;
        var (o, e) = (await output, await error);
        if (process.ExitCode != 0 && args is not ["publish", ..])
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {e}");
        return (o, e, process.ExitCode, seconds);
    }

    private static string Ms(double ms) => ms.ToString(ms >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
}
