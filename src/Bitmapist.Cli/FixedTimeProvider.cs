namespace Bitmapist.Cli;

/// <summary>A clock stopped at one instant (<c>--now</c>), so that "this month" and the sample data are reproducible.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
