using System.Collections.Immutable;

namespace Bitmapist.Linq.Execution;

/// <summary>
/// The commands of a <see cref="CountsProgram"/> for Redis: each step's BITOP (or SET) and its EXPIRE, a
/// BITCOUNT wherever the program reads a count, and one DEL of every temporary at the end, all in one
/// MULTI/EXEC. One round trip for the whole table, every count taken from the same snapshot of the data
/// (nothing can change between two cells), and no temporary left behind. Used where Lua is not available
/// (bitmapist-server, a user without scripting); elsewhere <see cref="RedisCountsScript"/> runs the same program
/// and skips what it finds empty.
/// </summary>
/// <param name="Commands">The commands, in order.</param>
/// <param name="ReadIndexes">For each read of the program, the index of its BITCOUNT, or -1 for an empty set (count 0).</param>
/// <param name="Temporaries">The temporaries the batch writes (and deletes).</param>
internal sealed record RedisCountsBatch(ImmutableArray<RedisCommand> Commands, ImmutableArray<int> ReadIndexes, ImmutableArray<string> Temporaries)
{
    /// <summary>True when there is nothing to send (every count is of the empty set).</summary>
    public bool IsEmpty => Commands.IsEmpty;

    public static RedisCountsBatch Build(CountsProgram program, string tempPrefix, int tempTtlSeconds)
    {
        var commands = ImmutableArray.CreateBuilder<RedisCommand>();
        var readIndexes = new int[program.Reads.Length];
        string Name(Operand o) => o.KeyName(tempPrefix);
        foreach (var item in program.InOrder())
        {
            if (item.IsRead)
            {
                if (program.Reads[item.Read].Source is not { } source)
                {
                    readIndexes[item.Read] = -1;
                    continue;
                }
                readIndexes[item.Read] = commands.Count;
                commands.Add(new RedisCommand("BITCOUNT", [Name(source)]));
                continue;
            }
            var step = program.Steps[item.Step];
            var target = tempPrefix + step.Target;
            commands.Add(RedisBatch.StepCommand(step, target, Name));
            commands.Add(new RedisCommand("EXPIRE", [target, tempTtlSeconds]));
        }

        var temporaries = Enumerable.Range(0, program.TempCount).Select(t => tempPrefix + t).ToImmutableArray();
        if (!temporaries.IsEmpty) commands.Add(new RedisCommand("DEL", [.. temporaries]));
        return new RedisCountsBatch(commands.ToImmutable(), [.. readIndexes], temporaries);
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
}
