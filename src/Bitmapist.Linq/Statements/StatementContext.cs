using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Statements;

/// <summary>What a statement runs with: the store, and the values of its <c>@name</c> parameters.</summary>
/// <param name="Store">The store the statement runs on.</param>
/// <param name="Parameters">Values of the statement's parameters, or null when it has none.</param>
public sealed record StatementContext(BitmapStore Store, IReadOnlyDictionary<string, SetExpr>? Parameters)
{
    /// <summary><paramref name="set"/> on the store, its parameters given their values.</summary>
    public UserSet Set(SetExpr set) => Store.Set(Parameters is null ? set : set.WithParameters(Parameters));
}
