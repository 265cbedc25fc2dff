using System.Collections.Immutable;

namespace Bitmapist.Linq.Backends.Redis;

/// <summary>
/// The commands of a <see cref="BatchProgram"/> of many reads for Redis: each step's BITOP (or SET) and its
/// EXPIRE, a BITCOUNT wherever the program reads a count (GETBIT for a membership, BITPOS or GET for the smallest
/// member, GET for ids and the largest member), and one DEL of every temporary at the end, all in one
/// MULTI/EXEC. One round trip for the whole table, every count taken from the same snapshot of the data
/// (nothing can change between two cells), and no temporary left behind. Used where Lua is not available
/// (bitmapist-server, a user without scripting); elsewhere <see cref="RedisCountsScript"/> runs the same program
/// and skips what it finds empty.
/// </summary>
/// <param name="Commands">The commands, in order.</param>
/// <param name="ReadIndexes">For each read of the program, the index of its command, or -1 for an empty set (count 0).</param>
/// <param name="ValueReads">For each read, true when its command is a GET whose value is decoded in the client.</param>
/// <param name="Temporaries">The temporaries the batch writes (and deletes).</param>
internal sealed record RedisCountsBatch(ImmutableArray<RedisCommand> Commands, ImmutableArray<int> ReadIndexes, ImmutableArray<bool> ValueReads, ImmutableArray<string> Temporaries)
{
    /// <summary>True when there is nothing to send (every count is of the empty set).</summary>
    public bool IsEmpty => Commands.IsEmpty;

    public static RedisCountsBatch Build(BatchProgram program, string tempPrefix, int tempTtlSeconds)
    {
        var commands = ImmutableArray.CreateBuilder<RedisCommand>();
        var readIndexes = new int[program.Reads.Length];
        var valueReads = new bool[program.Reads.Length];
        string Name(Operand o) => o.KeyName(tempPrefix);
        foreach (var item in program.InOrder())
        {
            if (item.IsRead)
            {
                var read = program.Reads[item.Read];
                if (read.Source is not { } source)
                {
                    readIndexes[item.Read] = -1;
                    continue;
                }
                readIndexes[item.Read] = commands.Count;
                // Ids and max of a batch of several reads come whole with GET, decoded in the client: a lease to page
                // with GETRANGE is for a query of one read (RedisBatch).
                valueReads[item.Read] = read.StreamsIds || (read.Kind == Query.ReadKind.Min && !program.Profile.HasBitPos);
                commands.Add(read.Kind switch
                {
                    Query.ReadKind.Count or Query.ReadKind.Any => new RedisCommand("BITCOUNT", [Name(source)]),
                    Query.ReadKind.Contains => new RedisCommand("GETBIT", [Name(source), (long)read.Id]),
                    Query.ReadKind.Min when !valueReads[item.Read] => new RedisCommand("BITPOS", [Name(source), 1]),
                    _ => new RedisCommand("GET", [Name(source)]),
                });
                continue;
            }
            var step = program.Steps[item.Step];
            var target = tempPrefix + step.Target;
            commands.Add(RedisBatch.StepCommand(step, target, Name));
            commands.Add(new RedisCommand("EXPIRE", [target, tempTtlSeconds]));
        }

        var temporaries = Enumerable.Range(0, program.TempCount).Select(t => tempPrefix + t).ToImmutableArray();
        if (!temporaries.IsEmpty) commands.Add(new RedisCommand("DEL", [.. temporaries]));
        return new RedisCountsBatch(commands.ToImmutable(), [.. readIndexes], [.. valueReads], temporaries);
    }

    /// <summary>The batch as printed lines, inside MULTI/EXEC.</summary>
    public IEnumerable<string> Lines()
    {
        if (IsEmpty)
        {
            yield return "(nothing to run: every set is empty)";
            yield break;
        }
        yield return "MULTI";
        foreach (var c in Commands) yield return c.ToString();
        yield return "EXEC";
    }

    /// <summary>True when read <paramref name="i"/>'s reply is a value to decode rather than an integer.</summary>
    public bool ReadsValue(int i) => ValueReads[i];

    /// <summary>
    /// What explain prints for a program of many reads: a heading, then the call of the counts script when it can
    /// run (and <paramref name="scripts"/>: the server has not refused scripts), else the MULTI/EXEC.
    /// </summary>
    public static IEnumerable<string> Explain(BatchProgram program, Model.KeyScheme keys, int tempTtlSeconds, bool scripts)
    {
        var lines = scripts && RedisCountsScript.CanRun(program)
            ? RedisCountsScript.Build(program, RedisBatch.TempPrefix(keys)).Explain()
            : Build(program, RedisBatch.TempPrefix(keys), tempTtlSeconds).Lines();
        return lines.Select(l => "  " + l).Prepend("commands (one round trip):");
    }
}
