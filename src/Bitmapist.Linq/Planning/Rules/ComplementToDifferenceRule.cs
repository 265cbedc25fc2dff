using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// ~x => diff(users, x)
/// Side condition: runs only in the last phase, after every other rule had its chance to absorb the
/// complement. What is left needs the configured universe (a bare NOT, an all-negative conjunction, a
/// complement inside a union); without one the optimizer reports a clear error. Bare BITOP NOT is never
/// emitted: it flips padding bits and misses ids past the string's end.
/// </summary>
internal sealed class ComplementToDifferenceRule : IRewriteRule
{
    public string Name => "complement-to-difference";
    public string Pattern => "~x => diff(users, x)";

    public SetExpr? TryRewrite(SetExpr node) => node is NotNode not ? SetExpr.Diff(SetExpr.Universe, not.Operand) : null;
}
