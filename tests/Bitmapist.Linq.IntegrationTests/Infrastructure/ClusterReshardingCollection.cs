namespace Bitmapist.Linq.IntegrationTests.Infrastructure;

/// <summary>
/// Tests that move slots of the shared Redis Cluster (<see cref="ClusterResharding"/>) run alone: while a slot
/// migrates, every multi-key command on it is refused (TRYAGAIN, EXECABORT), which would fail another test's batch
/// that happens to hash to that slot. xUnit runs a collection without parallelization after all the others.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterReshardingCollection
{
    /// <summary>The collection's name, for <c>[Collection(ClusterReshardingCollection.Name)]</c>.</summary>
    public const string Name = "redis cluster resharding, one test at a time";
}
