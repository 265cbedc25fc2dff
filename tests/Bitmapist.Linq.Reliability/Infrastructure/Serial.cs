namespace Bitmapist.Linq.Reliability.Infrastructure;

/// <summary>
/// The suite's tests run one at a time: each measures (throughput, latency, per-input time) or stops and starts
/// servers, and two at once on a 2-core machine would only measure each other.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Serial
{
    public const string Name = "reliability, one test at a time";
}
