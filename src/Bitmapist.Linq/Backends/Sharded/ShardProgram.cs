using System.Collections.Immutable;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Backends.Sharded;

/// <summary>
/// One shard's copy of a program: the same steps and reads over the shard's keys. Stored keys get the shard's
/// names; a literal set keeps only its ids in the shard, as offsets; a membership read stays only in the shard of
/// its id, and an ids read that starts at id N only in N's shard and above. A read left with nothing to read gets
/// no source (the back end answers it as the empty set without running it), and a shard left with no read at all
/// is not visited.
/// </summary>
internal static class ShardProgram
{
    /// <summary>
    /// <paramref name="program"/> in <paramref name="shard"/>, or null when the shard has nothing to answer.
    /// <paramref name="keyName"/> names a logical key in the shard (the real name, or explain's placeholder).
    /// </summary>
    public static BatchProgram? For(BatchProgram program, ShardMap map, uint shard, Func<string, string> keyName)
    {
        var reads = ImmutableArray.CreateBuilder<ProgramRead>(program.Reads.Length);
        var any = false;
        foreach (var read in program.Reads)
        {
            var local = Localize(read, map, shard, keyName);
            any |= local.Source is not null;
            reads.Add(local);
        }
        if (!any) return null;
        var steps = program.Steps.Select(s => Localize(s, map, shard, keyName)).ToImmutableArray();
        return new BatchProgram(steps, reads.MoveToImmutable(), program.TempCount, program.Profile) { Description = program.Description };
    }

    /// <summary>The shards a program must visit whatever the registry says, or null when it reads whole sets (every shard with data).</summary>
    public static IReadOnlyList<uint>? OnlyShards(BatchProgram program, ShardMap map)
    {
        // A program whose every read is a membership test visits only its ids' shards: `contains` is one shard.
        if (program.Reads.IsEmpty || program.Reads.Any(r => r.Source is not null && r.Kind != ReadKind.Contains)) return null;
        return [.. program.Reads.Where(r => r.Source is not null).Select(r => map.ShardOf(r.Id)).Distinct().Order()];
    }

    /// <summary>The shards of the ids in the program's literal sets: they hold members whatever the registry says.</summary>
    public static IEnumerable<uint> LiteralShards(BatchProgram program, ShardMap map) =>
        program.Steps.OfType<LiteralStep>().SelectMany(l => l.Ids.Select(map.ShardOf)).Distinct();

    private static ProgramRead Localize(ProgramRead read, ShardMap map, uint shard, Func<string, string> keyName)
    {
        if (read.Source is not { } source) return read;
        switch (read.Kind)
        {
            case ReadKind.Contains:
                return map.ShardOf(read.Id) == shard ? read with { Source = Localize(source, keyName), Id = map.OffsetOf(read.Id) } : read with { Source = null };
            case ReadKind.Ids:
                var first = map.ShardOf(read.Id);
                if (first > shard) return read with { Source = null };
                return read with { Source = Localize(source, keyName), Id = first == shard ? map.OffsetOf(read.Id) : 0 };
            default:
                return read with { Source = Localize(source, keyName) };
        }
    }

    private static ProgramStep Localize(ProgramStep step, ShardMap map, uint shard, Func<string, string> keyName) => step switch
    {
        BitOpStep b => b with { Sources = [.. b.Sources.Select(o => Localize(o, keyName))] },
        LiteralStep l => new LiteralStep(l.Target, [.. l.Ids.Where(id => map.ShardOf(id) == shard).Select(map.OffsetOf)]),
        _ => throw new InvalidOperationException($"Internal error: a sharded program cannot run a {step.GetType().Name}."),
    };

    private static Operand Localize(Operand operand, Func<string, string> keyName) =>
        operand.StoredKey is { } key ? Operand.Stored(keyName(key)) : operand;
}
