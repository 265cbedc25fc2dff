// Mutation runner: applies each mutation of mutations.txt, one at a time, to a copy of the repository in a
// temporary directory, builds the test projects the mutation names, runs its filtered tests and reports whether
// a test failed (caught) or all passed (survived). Usage and the file format: README.md beside this file.
//
//   dotnet run tests/Mutation/mutate.cs -- [--only NAME[,NAME..]] [--rev REV | --working-tree] [--list]
//                                          [--check] [--no-baseline] [--keep] [--timeout MINUTES] [--file PATH]

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

var options = Options.Parse(args);
if (options is null) return 2;

var repo = Repo.Root();
var file = options.File ?? Path.Combine(repo, "tests", "Mutation", "mutations.txt");
List<Mutation> mutations;
try
{
    mutations = Mutation.ParseFile(file);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"{file}: {e.Message}");
    return 2;
}
if (options.Only.Count > 0)
{
    var unknown = options.Only.Where(n => mutations.All(m => m.Name != n)).ToList();
    if (unknown.Count > 0)
    {
        Console.Error.WriteLine($"No mutation named {string.Join(", ", unknown)} in {file}.");
        return 2;
    }
    mutations = [.. mutations.Where(m => options.Only.Contains(m.Name))];
}
if (options.List)
{
    foreach (var m in mutations) Console.WriteLine($"{m.Name,-34} {m.File}\n{"",-34} {m.Why}");
    return 0;
}

var work = Directory.CreateTempSubdirectory("bitmapist-mutation-").FullName;
Console.WriteLine($"Copying {(options.WorkingTree ? "the working tree" : options.Rev)} of {repo} to {work}");
try
{
    Repo.Copy(repo, work, options.Rev, options.WorkingTree);
    var results = new Runner(work, options).Run(mutations);
    if (options.CheckOnly) return results.Count > 0 ? 1 : 0;
    Report.Print(results, options.WorkingTree ? "working tree" : $"{options.Rev} ({Repo.Describe(repo, options.Rev)})");
    return results.Any(r => r.Outcome != Outcome.Caught) ? 1 : 0;
}
finally
{
    if (options.Keep) Console.WriteLine($"Kept {work}");
    else Directory.Delete(work, recursive: true);
}

sealed record Options(List<string> Only, string Rev, bool WorkingTree, bool List, bool CheckOnly, bool Baseline, bool Keep, TimeSpan Timeout, string? File)
{
    public static Options? Parse(string[] args)
    {
        var o = new Options([], "HEAD", false, false, false, true, false, TimeSpan.FromMinutes(20), null);
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            try
            {
                o = args[i] switch
                {
                    "--only" => o with { Only = [.. o.Only, .. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)] },
                    "--rev" => o with { Rev = Value() },
                    "--working-tree" => o with { WorkingTree = true },
                    "--list" => o with { List = true },
                    "--check" => o with { CheckOnly = true },
                    "--no-baseline" => o with { Baseline = false },
                    "--keep" => o with { Keep = true },
                    "--timeout" => o with { Timeout = TimeSpan.FromMinutes(double.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture)) },
                    "--file" => o with { File = Path.GetFullPath(Value()) },
                    "-h" or "--help" => throw new ArgumentException(""),
                    _ => throw new ArgumentException($"unknown option {args[i]}"),
                };
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                if (e.Message.Length > 0) Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine("usage: dotnet run tests/Mutation/mutate.cs -- [--only NAME[,NAME..]] [--rev REV | --working-tree] [--list] [--check] [--no-baseline] [--keep] [--timeout MINUTES] [--file PATH]");
                return null;
            }
        }
        return o;
    }
}

/// <summary>A test project and a VSTest filter (empty: the whole project).</summary>
sealed record TestRun(string Project, string Filter)
{
    public override string ToString() => Filter.Length == 0 ? Project : $"{Project} [{Filter}]";
}

sealed record Mutation(string Name, string File, string Why, string Original, string Replacement, List<TestRun> Tests, int Line)
{
    /// <summary>
    /// Blocks of
    /// <code>
    /// === name
    /// file: path/from/repo/root.cs
    /// why: what the mutation breaks
    /// test: tests/Project [VSTest filter]   (one or more; run in order until one fails)
    /// --- original
    /// exact text (verbatim lines, must occur exactly once in the file)
    /// --- replacement
    /// new text
    /// --- end
    /// </code>
    /// Lines starting with # outside blocks are comments.
    /// </summary>
    public static List<Mutation> ParseFile(string path)
    {
        var lines = System.IO.File.ReadAllLines(path);
        var result = new List<Mutation>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Trim().Length == 0 || line.StartsWith('#')) continue;
            if (!line.StartsWith("=== ", StringComparison.Ordinal)) throw new FormatException($"line {i + 1}: expected '=== name', found '{line}'");
            var start = i + 1;
            var name = line[4..].Trim();
            string? file = null, why = null;
            var tests = new List<TestRun>();
            for (i++; i < lines.Length && !lines[i].StartsWith("--- original", StringComparison.Ordinal); i++)
            {
                var l = lines[i];
                if (l.Trim().Length == 0 || l.StartsWith('#')) continue;
                var colon = l.IndexOf(':');
                if (colon < 0) throw new FormatException($"line {i + 1}: expected 'key: value', found '{l}'");
                var (key, value) = (l[..colon].Trim(), l[(colon + 1)..].Trim());
                switch (key)
                {
                    case "file": file = value; break;
                    case "why": why = value; break;
                    case "test":
                        var space = value.IndexOf(' ');
                        tests.Add(space < 0 ? new TestRun(value, "") : new TestRun(value[..space], value[(space + 1)..].Trim()));
                        break;
                    default: throw new FormatException($"line {i + 1}: unknown key '{key}'");
                }
            }
            string Block(string end)
            {
                var sb = new List<string>();
                for (i++; i < lines.Length && !lines[i].StartsWith(end, StringComparison.Ordinal); i++) sb.Add(lines[i]);
                if (i >= lines.Length) throw new FormatException($"mutation '{name}' (line {start}): missing '{end}'");
                return string.Join("\n", sb);
            }
            var original = Block("--- replacement");
            var replacement = Block("--- end");
            if (file is null || why is null || tests.Count == 0)
                throw new FormatException($"mutation '{name}' (line {start}): needs file, why and at least one test");
            if (original.Length == 0 || original == replacement)
                throw new FormatException($"mutation '{name}' (line {start}): the original is empty or equals the replacement");
            if (result.Any(m => m.Name == name)) throw new FormatException($"mutation '{name}' (line {start}): the name is used twice");
            result.Add(new Mutation(name, file, why, original, replacement, tests, start));
        }
        return result;
    }
}

enum Outcome { Caught, Survived, Error }

sealed record Result(Mutation Mutation, Outcome Outcome, string Detail, TimeSpan Time);

sealed class Runner(string work, Options options)
{
    private readonly Dictionary<string, string> _failedBaseline = [];

    public List<Result> Run(List<Mutation> mutations)
    {
        var results = new List<Result>();
        // A list that rots (the code moved on) is reported up front, and those mutations are not run.
        var runnable = new List<Mutation>();
        foreach (var m in mutations)
        {
            var problem = Check(m);
            if (problem is null) runnable.Add(m);
            else results.Add(new Result(m, Outcome.Error, problem, TimeSpan.Zero));
        }
        foreach (var r in results) Console.WriteLine($"ERROR {r.Mutation.Name}: {r.Detail}");
        if (options.CheckOnly)
        {
            Console.WriteLine($"{runnable.Count} of {mutations.Count} mutations apply.");
            return results;
        }

        var projects = runnable.SelectMany(m => m.Tests.Select(t => t.Project)).Distinct().ToList();
        foreach (var p in projects)
        {
            Console.WriteLine($"Building {p} (unmutated)");
            var build = Build(p);
            if (build is not null) throw new InvalidOperationException($"The unmutated copy does not build: {build}");
        }
        if (options.Baseline) Baseline(runnable);

        var n = 0;
        foreach (var m in runnable)
        {
            n++;
            Console.WriteLine($"[{n}/{runnable.Count}] {m.Name}: {m.Why}");
            var watch = Stopwatch.StartNew();
            var result = RunOne(m);
            results.Add(result with { Time = watch.Elapsed });
            Console.WriteLine($"    {result.Outcome.ToString().ToLowerInvariant()}: {result.Detail} ({watch.Elapsed:m\\:ss})");
        }
        return [.. mutations.Select(m => results.Single(r => r.Mutation == m))];
    }

    private string? Check(Mutation m)
    {
        var path = Path.Combine(work, m.File);
        if (!File.Exists(path)) return $"{m.File} does not exist";
        var text = File.ReadAllText(path);
        var count = Occurrences(text, Native(text, m.Original));
        if (count != 1) return $"the original text occurs {count} times in {m.File} (must be exactly once)";
        foreach (var t in m.Tests)
            if (!File.Exists(Path.Combine(work, t.Project, Path.GetFileName(t.Project) + ".csproj")))
                return $"no test project {t.Project}";
        return null;
    }

    /// <summary>
    /// Every filter of every mutation, run once on the unmutated copy (one run per project, the filters OR-ed):
    /// a mutation whose tests fail anyway would otherwise count as caught.
    /// </summary>
    private void Baseline(List<Mutation> mutations)
    {
        foreach (var group in mutations.SelectMany(m => m.Tests).Distinct().GroupBy(t => t.Project))
        {
            var filters = group.Select(t => t.Filter).ToList();
            var filter = filters.Any(f => f.Length == 0) ? "" : string.Join("|", filters.Select(f => $"({f})"));
            Console.WriteLine($"Baseline: {group.Key} ({filters.Count} filters)");
            var run = Test(new TestRun(group.Key, filter));
            if (run.Outcome == TestOutcome.Passed) continue;
            // Find which filters fail, so only their mutations are refused.
            foreach (var t in group)
            {
                var one = Test(t);
                if (one.Outcome != TestOutcome.Passed) _failedBaseline[t.ToString()] = one.Detail;
            }
        }
        foreach (var (t, why) in _failedBaseline) Console.WriteLine($"BASELINE FAILS {t}: {why}");
    }

    private Result RunOne(Mutation m)
    {
        var failing = m.Tests.FirstOrDefault(t => _failedBaseline.ContainsKey(t.ToString()));
        if (failing is not null) return new Result(m, Outcome.Error, $"fails without the mutation: {failing}", TimeSpan.Zero);

        var path = Path.Combine(work, m.File);
        var pristine = File.ReadAllText(path);
        File.WriteAllText(path, pristine.Replace(Native(pristine, m.Original), Native(pristine, m.Replacement), StringComparison.Ordinal));
        try
        {
            foreach (var project in m.Tests.Select(t => t.Project).Distinct())
            {
                var error = Build(project);
                if (error is not null) return new Result(m, Outcome.Error, $"does not compile: {error}", TimeSpan.Zero);
            }
            var passed = new List<string>();
            foreach (var t in m.Tests)
            {
                var run = Test(t);
                switch (run.Outcome)
                {
                    case TestOutcome.Failed: return new Result(m, Outcome.Caught, $"{Path.GetFileName(t.Project)}: {run.Detail}", TimeSpan.Zero);
                    case TestOutcome.TimedOut: return new Result(m, Outcome.Caught, $"{t}: {run.Detail}", TimeSpan.Zero);
                    case TestOutcome.NoTests: return new Result(m, Outcome.Error, $"{t}: no test matched the filter", TimeSpan.Zero);
                    default: passed.Add($"{run.Detail} in {Path.GetFileName(t.Project)}"); break;
                }
            }
            return new Result(m, Outcome.Survived, string.Join(", ", passed), TimeSpan.Zero);
        }
        finally
        {
            File.WriteAllText(path, pristine);
        }
    }

    // The copy builds without warnings-as-errors: a mutant that leaves a variable unused is still a mutant.
    private string? Build(string project)
    {
        var (code, output, _) = Proc.Run("dotnet", ["build", project, "-nologo", "-v", "q", "-nr:false", "-p:TreatWarningsAsErrors=false"], work, options.Timeout);
        if (code == 0) return null;
        var error = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains(": error ", StringComparison.Ordinal));
        return error is null ? $"dotnet build exited with {code}" : Regex.Replace(error, @"^/.*?/(src|tests|grammar)/", "$1/");
    }

    private enum TestOutcome { Passed, Failed, TimedOut, NoTests }

    private (TestOutcome Outcome, string Detail) Test(TestRun t)
    {
        List<string> args = ["test", t.Project, "--no-build", "-nologo"];
        if (t.Filter.Length > 0) args.AddRange(["--filter", t.Filter]);
        var (code, output, timedOut) = Proc.Run("dotnet", args, work, options.Timeout);
        Orphans.Stop(work);
        if (timedOut) return (TestOutcome.TimedOut, $"timed out after {options.Timeout.TotalMinutes:0} min");
        var total = Regex.Match(output, @"Total:\s+(\d+)");
        if (output.Contains("No test matches the given testcase filter", StringComparison.Ordinal) || (total.Success && total.Groups[1].Value == "0"))
            return (TestOutcome.NoTests, "");
        if (code == 0) return (TestOutcome.Passed, total.Success ? $"{total.Groups[1].Value} tests passed" : "passed");
        // Class.Method, with the number of failing cases of a theory.
        var failed = Regex.Matches(output, @"^\s*Failed ([^\s(]+)", RegexOptions.Multiline)
            .Select(x => string.Join('.', x.Groups[1].Value.Split('.').TakeLast(2)))
            .GroupBy(n => n).Select(g => g.Count() > 1 ? $"{g.Key} (x{g.Count()})" : g.Key).ToList();
        if (failed.Count == 0) return (TestOutcome.Failed, $"dotnet test exited with {code} ({LastLines(output, 3)})");
        return (TestOutcome.Failed, string.Join(", ", failed.Take(2)) + (failed.Count > 2 ? $" (+{failed.Count - 2} more)" : ""));
    }

    private static string LastLines(string s, int n) => string.Join(" / ", s.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(n));

    private static string Native(string file, string text) => file.Contains("\r\n", StringComparison.Ordinal) ? text.Replace("\n", "\r\n", StringComparison.Ordinal) : text;

    private static int Occurrences(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}

static class Proc
{
    public static (int Code, string Output, bool TimedOut) Run(string exe, IEnumerable<string> args, string dir, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Without Redis the integration tests would skip and every Redis mutant would "survive"; this makes a
        // missing Redis a failing baseline instead. BITMAPIST_REDIS, when set, passes through unchanged.
        psi.Environment["BITMAPIST_REQUIRE_REDIS"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            // A mutant that loops forever: end the test host and its redis-server with it.
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, output.ToString(), true);
        }
        p.WaitForExit();
        return (p.ExitCode, output.ToString(), false);
    }
}

/// <summary>
/// A test host that ends without running its exit handlers (a crash, a kill on timeout) leaves the redis-server
/// it started running; it runs from a directory of the copy, which is how it is found (Linux /proc).
/// </summary>
static class Orphans
{
    public static void Stop(string work)
    {
        if (!Directory.Exists("/proc")) return;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cwd = new FileInfo(Path.Combine(dir, "cwd")).LinkTarget;
                if (cwd is null || !cwd.StartsWith(work + "/", StringComparison.Ordinal)) continue;
                using var p = Process.GetProcessById(pid);
                if (p.ProcessName != "redis-server") continue;
                p.Kill();
                Console.WriteLine($"    stopped a redis-server left behind by a test host (pid {pid})");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone already, or not ours to read.
            }
        }
    }
}

static class Repo
{
    public static string Root([CallerFilePath] string thisFile = "")
    {
        var (code, output, _) = Proc.Run("git", ["rev-parse", "--show-toplevel"], Path.GetDirectoryName(thisFile)!, TimeSpan.FromMinutes(1));
        if (code != 0) throw new InvalidOperationException($"{thisFile} is not inside a git repository: {output}");
        return output.Trim();
    }

    public static string Describe(string repo, string rev)
    {
        var line = Proc.Run("git", ["log", "-1", "--format=%h %s", rev], repo, TimeSpan.FromMinutes(1)).Output.Trim();
        return line.Length > 72 ? line[..72] + "..." : line;
    }

    /// <summary>Copies the tree of <paramref name="rev"/> (or the working tree: tracked and untracked, not ignored) into <paramref name="to"/>; the repository itself is only read.</summary>
    public static void Copy(string repo, string to, string rev, bool workingTree)
    {
        if (!workingTree)
        {
            var tar = Path.Combine(to, ".source.tar");
            var (code, output, _) = Proc.Run("git", ["archive", "--format=tar", "-o", tar, rev], repo, TimeSpan.FromMinutes(5));
            if (code != 0) throw new InvalidOperationException($"git archive {rev} failed: {output}");
            (code, output, _) = Proc.Run("tar", ["-xf", tar, "-C", to], to, TimeSpan.FromMinutes(5));
            if (code != 0) throw new InvalidOperationException($"tar failed: {output}");
            File.Delete(tar);
            return;
        }
        var files = Proc.Run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], repo, TimeSpan.FromMinutes(1)).Output;
        foreach (var f in files.Split('\0', StringSplitOptions.RemoveEmptyEntries).Distinct())
        {
            var from = Path.Combine(repo, f);
            if (!File.Exists(from)) continue; // deleted in the working tree
            var dest = Path.Combine(to, f);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(from, dest);
        }
    }
}

static class Report
{
    public static void Print(List<Result> results, string what)
    {
        Console.WriteLine();
        Console.WriteLine($"Mutations on {what}:");
        Console.WriteLine();
        Console.WriteLine("| mutation | result | caught by / detail | time |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var r in results)
            Console.WriteLine($"| {r.Mutation.Name} | {r.Outcome.ToString().ToLowerInvariant()} | {r.Detail.Replace("|", "\\|", StringComparison.Ordinal)} | {r.Time:m\\:ss} |");
        Console.WriteLine();
        var caught = results.Count(r => r.Outcome == Outcome.Caught);
        var errors = results.Count(r => r.Outcome == Outcome.Error);
        Console.WriteLine($"{caught} of {results.Count} mutations caught" + (errors > 0 ? $" ({errors} could not be run: see 'error')" : ""));
        foreach (var r in results.Where(r => r.Outcome == Outcome.Survived)) Console.WriteLine($"SURVIVED {r.Mutation.Name}: {r.Mutation.Why}");
    }
}
