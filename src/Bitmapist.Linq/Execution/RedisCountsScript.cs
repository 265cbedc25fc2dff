using System.Collections.Immutable;
using System.Globalization;
using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Execution;

/// <summary>
/// A <see cref="CountsProgram"/> as one call of the counts script (<c>CountsScript.lua</c>) on a Redis that
/// runs Lua: every key in KEYS, the steps and reads as instructions in ARGV. Like the MULTI/EXEC of
/// <see cref="RedisCountsBatch"/> it is one round trip, atomic (every count from one snapshot) and deletes its
/// temporaries, after an error too. Unlike it, the server skips what it learns is empty as it goes: the BITOP
/// and BITCOUNT of every cell whose cohort or return period counted 0 (all the future cells of a table), and
/// there are no per-command replies (QUEUED) or EXPIREs to send. bitmapist-server runs no Lua and keeps the
/// MULTI/EXEC.
/// </summary>
/// <param name="Keys">KEYS: stored keys in order of first use, then the temporaries.</param>
/// <param name="Args">ARGV: the index of the first temporary, then the instructions.</param>
/// <param name="ReplyIndexes">For each read of the program, its index in the script's reply, or -1 for an empty set (count 0).</param>
/// <param name="Program">The program, for explain.</param>
/// <param name="TempPrefix">Names of the temporaries, for explain.</param>
internal sealed record RedisCountsScript(
    ImmutableArray<string> Keys,
    ImmutableArray<object> Args,
    ImmutableArray<int> ReplyIndexes,
    CountsProgram Program,
    string TempPrefix)
{
    /// <summary>
    /// Lua's <c>unpack</c> stops near 8,000 values, and the script unpacks a step's sources into one BITOP; a
    /// program with a wider step (only possible with the 8.2 profile, which does not chunk) runs as MULTI/EXEC.
    /// </summary>
    internal const int MaxSourcesPerStep = 7000;

    /// <summary>The script's source, embedded in the assembly.</summary>
    public static string Source { get; } = LoadSource();

    /// <summary>True when nothing needs to run (every read is of the empty set).</summary>
    public bool IsEmpty => ReplyIndexes.All(i => i < 0);

    /// <summary>Whether <paramref name="program"/> can run as the script on its profile.</summary>
    public static bool CanRun(CountsProgram program) =>
        program.Profile.HasScripts &&
        program.Steps.All(s => s is not BitOpStep b || b.Sources.Length <= MaxSourcesPerStep) &&
        program.TempCount <= MaxSourcesPerStep;

    /// <param name="program">The program.</param>
    /// <param name="tempPrefix">Names of the temporaries (the same in every call: the script is atomic and deletes them).</param>
    public static RedisCountsScript Build(CountsProgram program, string tempPrefix)
    {
        var stored = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = new List<string>();
        foreach (var key in StoredKeys(program))
        {
            if (stored.ContainsKey(key)) continue;
            keys.Add(key);
            stored[key] = keys.Count; // Lua indexes from 1
        }
        var firstTemp = keys.Count + 1;
        for (var t = 0; t < program.TempCount; t++) keys.Add(tempPrefix + t);
        int Index(Operand o) => o.IsTemp ? firstTemp + o.Temp : stored[o.StoredKey!];

        var args = new List<object> { (long)firstTemp };
        var replyIndexes = new int[program.Reads.Length];
        var replies = 0;
        var read = 0;
        void ReadsAt(int position)
        {
            for (; read < program.Reads.Length && program.Reads[read].Position == position; read++)
            {
                if (program.Reads[read].Source is not { } source)
                {
                    replyIndexes[read] = -1;
                    continue;
                }
                replyIndexes[read] = replies++;
                args.Add("C");
                args.Add((long)Index(source));
            }
        }

        for (var i = 0; i < program.Steps.Length; i++)
        {
            ReadsAt(i);
            var step = program.Steps[i];
            var target = firstTemp + step.Target;
            switch (step)
            {
                case BitOpStep b:
                    args.Add("B");
                    args.Add(b.Op.ToString().ToUpperInvariant());
                    args.Add((long)target);
                    args.Add((long)b.Sources.Length);
                    foreach (var s in b.Sources) args.Add((long)Index(s));
                    break;
                case LiteralStep l:
                    args.Add("S");
                    args.Add((long)target);
                    args.Add(PagedBitmap.Of(l.Ids).ToRedisBytes());
                    break;
                default:
                    throw new InvalidOperationException(step.GetType().Name);
            }
        }
        ReadsAt(program.Steps.Length);
        if (read != program.Reads.Length) throw new InvalidOperationException("Internal error: the program's reads are not in step order.");
        return new RedisCountsScript([.. keys], [.. args], [.. replyIndexes], program, tempPrefix);
    }

    /// <summary>The call as printed lines: the EVALSHA, then the commands it may run, indented.</summary>
    public IEnumerable<string> Explain()
    {
        if (IsEmpty)
        {
            yield return "(nothing to run: every set is empty)";
            yield break;
        }
        yield return string.Create(CultureInfo.InvariantCulture,
            $"EVALSHA <counts script> {Keys.Length} keys, {Args.Length} arguments; inside, skipping a step whose set is known to be empty:");
        string Name(Operand o) => o.KeyName(TempPrefix);
        var read = 0;
        for (var i = 0; i <= Program.Steps.Length; i++)
        {
            for (; read < Program.Reads.Length && Program.Reads[read].Position == i; read++)
                if (Program.Reads[read].Source is { } source) yield return "  BITCOUNT " + Name(source);
            if (i < Program.Steps.Length) yield return "  " + RedisBatch.StepCommand(Program.Steps[i], TempPrefix + Program.Steps[i].Target, Name);
        }
        if (Program.TempCount > 0)
            yield return "  DEL " + string.Join(' ', Enumerable.Range(0, Program.TempCount).Select(t => TempPrefix + t));
    }

    private static IEnumerable<string> StoredKeys(CountsProgram program)
    {
        // The same order Build meets them in: reads and steps interleaved.
        var read = 0;
        for (var i = 0; i <= program.Steps.Length; i++)
        {
            for (; read < program.Reads.Length && program.Reads[read].Position == i; read++)
                if (program.Reads[read].Source is { IsTemp: false } r) yield return r.StoredKey!;
            if (i < program.Steps.Length && program.Steps[i] is BitOpStep b)
                foreach (var s in b.Sources.Where(s => !s.IsTemp)) yield return s.StoredKey!;
        }
    }

    private static string LoadSource()
    {
        var assembly = typeof(RedisCountsScript).Assembly;
        using var stream = assembly.GetManifestResourceStream("Bitmapist.Linq.Execution.CountsScript.lua")
            ?? throw new InvalidOperationException("Internal error: the counts script is not embedded in " + assembly.GetName().Name + ".");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
