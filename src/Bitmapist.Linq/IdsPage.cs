namespace Bitmapist.Linq;

/// <summary>One page of a set's ids (<see cref="UserSet.PageAsync"/>) and the paging of the page after it.</summary>
/// <param name="Ids">The ids, ascending.</param>
/// <param name="Next">The paging that reads on after the last id, or null when no id follows.</param>
public sealed record IdsPage(IReadOnlyList<long> Ids, Paging? Next);
