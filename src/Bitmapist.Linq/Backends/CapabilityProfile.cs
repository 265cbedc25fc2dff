namespace Bitmapist.Linq.Backends;

/// <summary>
/// What a back end can do, which decides the program the planner emits for it: the operators, the fan-in, the
/// reads. The Redis store detects it from the server at connect (a BITPOS probe and the version the client's
/// handshake read: <see cref="Stores.RedisStore.DetectProfileAsync"/>); <see cref="Stores.StoreOptions.Profile"/>
/// forces one; a back end of one's own declares its own.
/// </summary>
/// <param name="Name">The profile's name as explain prints it.</param>
/// <param name="MaxSources">The most sources one BITOP may take before it is split into chunks.</param>
/// <param name="HasDiff">BITOP DIFF (Redis 8.2+): X and not (Y1 or ... or Yn) in one command.</param>
/// <param name="HasAndOr">BITOP ANDOR (Redis 8.2+): X and (Y1 or ... or Yn) in one command.</param>
/// <param name="HasBitPos">BITPOS, to find the smallest member on the server.</param>
/// <param name="HasGetRange">GETRANGE and STRLEN, to page through a result instead of one GET.</param>
/// <param name="HasScripts">EVAL/EVALSHA (Lua): a cohort table runs as one call of the counts script, which skips
/// the cells it finds empty on the way, instead of a MULTI/EXEC that must run every queued command.</param>
public sealed record CapabilityProfile(string Name, int MaxSources, bool HasDiff, bool HasAndOr, bool HasBitPos, bool HasGetRange, bool HasScripts = false)
{
    /// <summary>
    /// Redis before 8.2 (Debian 12 ships 7.0.15): AND/OR/XOR only. BITOP with 17 or more sources leaves
    /// the word-at-a-time path (measured 11x slower), so wide operations are chunked to 16 sources.
    /// </summary>
    public static CapabilityProfile Redis7 { get; } = new("redis7", 16, HasDiff: false, HasAndOr: false, HasBitPos: true, HasGetRange: true, HasScripts: true);

    /// <summary>Redis 8.2 and later: DIFF and ANDOR, no fan-in cliff.</summary>
    public static CapabilityProfile Redis8 { get; } = new("redis8", int.MaxValue, HasDiff: true, HasAndOr: true, HasBitPos: true, HasGetRange: true, HasScripts: true);

    /// <summary>Doist's bitmapist-server: AND/OR/XOR with at least 2 sources, GET for reads, no BITPOS, GETRANGE or Lua.</summary>
    public static CapabilityProfile BitmapistServer { get; } = new("bitmapist-server", int.MaxValue, HasDiff: false, HasAndOr: false, HasBitPos: false, HasGetRange: false);

    /// <summary>The embedded store: every operator natively, in process.</summary>
    public static CapabilityProfile Embedded { get; } = new("embedded", int.MaxValue, HasDiff: true, HasAndOr: true, HasBitPos: true, HasGetRange: true);

    /// <summary>Every named profile.</summary>
    public static IReadOnlyList<CapabilityProfile> All { get; } = [Redis7, Redis8, BitmapistServer, Embedded];

    /// <summary>The profile called <paramref name="name"/> (case-insensitive).</summary>
    public static CapabilityProfile Parse(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown capability profile '{name}'. Known: {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));

    /// <summary>The profile of a Redis server of version <paramref name="version"/>; null (unknown) gets <see cref="Redis7"/>, which every Redis runs.</summary>
    public static CapabilityProfile ForRedisVersion(Version? version) => version is not null && version >= new Version(8, 2) ? Redis8 : Redis7;

    /// <inheritdoc />
    public override string ToString() => Name;
}
