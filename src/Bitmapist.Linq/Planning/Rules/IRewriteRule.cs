using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning.Rules;

/// <summary>
/// One optimizer rewrite. A rule looks at a single node whose children are already rewritten and returns
/// an equivalent node, or null when its pattern does not match. Every rule has a property test that
/// evaluates random formulas before and after it on plain sets.
/// </summary>
internal interface IRewriteRule
{
    /// <summary>The rule's name as explain prints it in its <c>rewrites:</c> lines: the class name (and file name) without <c>Rule</c>, in kebab case (<c>LiftComplementRule</c> prints <c>lift-complement</c>); RuleNameTests keeps the three agreeing.</summary>
    string Name { get; }

    /// <summary>The rewrite as <c>pattern =&gt; result</c>.</summary>
    string Pattern { get; }

    /// <summary>The rewritten node, or null when the rule does not apply.</summary>
    SetExpr? TryRewrite(SetExpr node);
}
