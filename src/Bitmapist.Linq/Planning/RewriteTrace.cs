using System.Collections;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Planning;

/// <summary>
/// The optimizer's rule applications for explain (<c>rule: before =&gt; after</c>), printed only when read. Each
/// entry keeps its two sets, which share their subtrees with the plan; printing every rewrite up front forced the
/// full text of every intermediate set: a 2,000-step <c>let</c> chain planned 1 GB of trace strings nobody read,
/// and the plan was then too large to cache (docs/performance.md, "large inputs").
/// </summary>
internal sealed class RewriteTrace : IReadOnlyList<string>
{
    private readonly List<(string Rule, SetExpr Before, SetExpr After)> _entries = [];

    /// <summary>Records one rule application.</summary>
    public void Add(string rule, SetExpr before, SetExpr after) => _entries.Add((rule, before, after));

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public string this[int index] => $"{_entries[index].Rule}: {_entries[index].Before} => {_entries[index].After}";

    /// <inheritdoc />
    public IEnumerator<string> GetEnumerator()
    {
        for (var i = 0; i < _entries.Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
