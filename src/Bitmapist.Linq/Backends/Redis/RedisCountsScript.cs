using System.Collections.Immutable;
using System.Globalization;
using Bitmapist.Linq.Bitmaps;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>
/// A <see cref="BatchProgram"/> as one call of the counts script (<c>CountsScript.lua</c>) on a Redis that
/// runs Lua: every key in KEYS, the steps and reads as instructions in ARGV. Like the MULTI/EXEC of
/// <see cref="RedisCountsBatch"/> it is one round trip, atomic (every count from one snapshot) and deletes its
/// temporaries, after an error too. Unlike it, the server skips what it learns is empty as it goes: the BITOP
/// and BITCOUNT of every cell whose cohort or return period counted 0 (all the future cells of a table), and
/// there are no per-command replies (QUEUED) or EXPIREs to send. bitmapist-server runs no Lua and keeps the
/// MULTI/EXEC.
/// </summary>
/// <param name="Keys">KEYS: stored keys in order of first use, then the temporaries.</param>
/// <param name="Args">ARGV: the program (the index of the first temporary, then the instructions, as one MessagePack
/// array of integers), then the bytes of each literal set.</param>
/// <param name="Code">The program's integers (ARGV[1] before encoding).</param>
/// <param name="ReplyIndexes">For each read of the program, its index in the script's reply, or -1 for an empty set (count 0).</param>
/// <param name="Program">The program, for explain.</param>
/// <param name="TempPrefix">Names of the temporaries, for explain.</param>
internal sealed record RedisCountsScript(
    ImmutableArray<string> Keys,
    ImmutableArray<byte[]> Args,
    ImmutableArray<long> Code,
    ImmutableArray<int> ReplyIndexes,
    BatchProgram Program,
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
    public static bool CanRun(BatchProgram program) =>
        program.Profile.HasScripts && program.CountsOnly &&
        program.Steps.All(s => s is not BitOpStep b || b.Sources.Length is > 0 and <= MaxSourcesPerStep) &&
        program.TempCount <= MaxSourcesPerStep;

    /// <param name="program">The program.</param>
    /// <param name="tempPrefix">Names of the temporaries (the same in every call: the script is atomic and deletes them).</param>
    public static RedisCountsScript Build(BatchProgram program, string tempPrefix)
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

        var code = new List<long> { firstTemp };
        var literals = new List<byte[]>();
        var replyIndexes = new int[program.Reads.Length];
        var replies = 0;
        foreach (var item in program.InOrder())
        {
            if (item.IsRead)
            {
                if (program.Reads[item.Read].Source is not { } source)
                {
                    replyIndexes[item.Read] = -1;
                    continue;
                }
                replyIndexes[item.Read] = replies++;
                code.AddRange([1, Index(source)]);
                continue;
            }
            var step = program.Steps[item.Step];
            var target = firstTemp + step.Target;
            switch (step)
            {
                case BitOpStep b:
                    code.AddRange([2, OpCode(b.Op), target, b.Sources.Length]);
                    foreach (var source in b.Sources) code.Add(Index(source));
                    break;
                case LiteralStep l:
                    literals.Add(PagedBitmap.Of(l.Ids).ToRedisBytes());
                    code.AddRange([3, target, 1 + literals.Count]); // ARGV[1] is the program
                    break;
                default:
                    throw new InvalidOperationException(step.GetType().Name);
            }
        }
        return new RedisCountsScript([.. keys], [MessagePack(code), .. literals], [.. code], [.. replyIndexes], program, tempPrefix);
    }

    /// <summary>The script's numbers for the BITOP operators.</summary>
    private static int OpCode(BitOpKind op) => op switch
    {
        BitOpKind.And => 1,
        BitOpKind.Or => 2,
        BitOpKind.Xor => 3,
        BitOpKind.Diff => 4,
        BitOpKind.AndOr => 5,
        _ => throw new InvalidOperationException(op.ToString()),
    };

    /// <summary>
    /// Non-negative integers as one MessagePack array (the subset the script needs: array16/32 headers,
    /// positive fixint, uint8/16/32), which Redis' bundled cmsgpack decodes in C.
    /// </summary>
    internal static byte[] MessagePack(IReadOnlyList<long> values)
    {
        using var stream = new MemoryStream(values.Count * 2 + 5);
        var count = (uint)values.Count;
        if (count <= 15) stream.WriteByte((byte)(0x90 | count));
        else if (count <= ushort.MaxValue) Write(0xdc, count, 2);
        else Write(0xdd, count, 4);
        foreach (var value in values)
        {
            if (value is < 0 or > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(values), value, "The counts script takes integers in [0, 2^32).");
            var v = (uint)value;
            if (v <= 0x7f) stream.WriteByte((byte)v);
            else if (v <= byte.MaxValue) Write(0xcc, v, 1);
            else if (v <= ushort.MaxValue) Write(0xcd, v, 2);
            else Write(0xce, v, 4);
        }
        return stream.ToArray();

        void Write(byte marker, uint v, int bytes)
        {
            stream.WriteByte(marker);
            for (var shift = 8 * (bytes - 1); shift >= 0; shift -= 8) stream.WriteByte((byte)(v >> shift)); // big-endian
        }
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
            $"EVALSHA <counts script> {Keys.Length} keys, a program of {Code.Length} integers; inside, skipping a step whose set is known to be empty:");
        string Name(Operand o) => o.KeyName(TempPrefix);
        foreach (var item in Program.InOrder())
        {
            if (!item.IsRead) yield return "  " + RedisBatch.StepCommand(Program.Steps[item.Step], TempPrefix + Program.Steps[item.Step].Target, Name);
            else if (Program.Reads[item.Read].Source is { } source) yield return "  BITCOUNT " + Name(source);
        }
        if (Program.TempCount > 0)
            yield return "  DEL " + string.Join(' ', Enumerable.Range(0, Program.TempCount).Select(t => TempPrefix + t));
    }

    private static IEnumerable<string> StoredKeys(BatchProgram program)
    {
        // The same order Build meets them in.
        foreach (var item in program.InOrder())
        {
            if (item.IsRead && program.Reads[item.Read].Source is { IsTemp: false } r) yield return r.StoredKey!;
            if (!item.IsRead && program.Steps[item.Step] is BitOpStep b)
                foreach (var s in b.Sources.Where(s => !s.IsTemp)) yield return s.StoredKey!;
        }
    }

    private static string LoadSource()
    {
        var assembly = typeof(RedisCountsScript).Assembly;
        using var stream = assembly.GetManifestResourceStream("Bitmapist.Linq.Backends.Redis.CountsScript.lua")
            ?? throw new InvalidOperationException("Internal error: the counts script is not embedded in " + assembly.GetName().Name + ".");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
