using System.Collections.Immutable;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Execution;

/// <summary>A BITOP operator as the physical plan uses it (never NOT).</summary>
public enum BitOpKind
{
    /// <summary>Intersection.</summary>
    And,
    /// <summary>Union.</summary>
    Or,
    /// <summary>Odd parity.</summary>
    Xor,
    /// <summary>First source minus the union of the rest (Redis 8.2).</summary>
    Diff,
    /// <summary>First source and the union of the rest (Redis 8.2).</summary>
    AndOr,
}

/// <summary>A source or result of a step: a stored key, or a temporary numbered within the program.</summary>
public readonly record struct Operand
{
    private Operand(string? key, int temp)
    {
        StoredKey = key;
        Temp = temp;
    }

    /// <summary>The stored key, or null for a temporary.</summary>
    public string? StoredKey { get; }

    /// <summary>The temporary's number (meaningful when <see cref="IsTemp"/>).</summary>
    public int Temp { get; }

    /// <summary>True for a temporary.</summary>
    public bool IsTemp => StoredKey is null;

    /// <summary>A stored key.</summary>
    public static Operand Stored(string key) => new(key, -1);

    /// <summary>Temporary number <paramref name="n"/>.</summary>
    public static Operand Temporary(int n) => new(null, n);

    /// <summary>The key this operand names, given the temporaries' key prefix.</summary>
    public string KeyName(string tempPrefix) => StoredKey ?? tempPrefix + Temp;

    /// <inheritdoc />
    public override string ToString() => StoredKey ?? $"tmp{Temp}";
}

/// <summary>One step of a program: it writes one temporary.</summary>
public abstract record ProgramStep(int Target);

/// <summary>BITOP <see cref="Op"/> into the target.</summary>
public sealed record BitOpStep(int Target, BitOpKind Op, ImmutableArray<Operand> Sources) : ProgramStep(Target);

/// <summary>SET the target to a literal set of ids.</summary>
public sealed record LiteralStep(int Target, ImmutableArray<uint> Ids) : ProgramStep(Target);

/// <summary>
/// The physical plan of one query: steps that write temporaries, the operand holding the result (null when
/// the result is the empty set and nothing needs to run), and what to read from it.
/// </summary>
public sealed record BitmapProgram(
    ImmutableArray<ProgramStep> Steps,
    Operand? Result,
    ReadKind Read,
    uint Id,
    int TempCount,
    CapabilityProfile Profile);
