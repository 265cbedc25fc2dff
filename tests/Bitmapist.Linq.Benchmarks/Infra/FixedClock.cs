namespace Bitmapist.Linq.Benchmarks.Infra;

/// <summary>A clock stopped at <paramref name="now"/>: suites pin "now" so their periods name the keys they wrote.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
