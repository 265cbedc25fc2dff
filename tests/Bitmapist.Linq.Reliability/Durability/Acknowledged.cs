using System.Globalization;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Reliability.Durability;

/// <summary>
/// What the writer processes acknowledged (their printed lines), and the check that a store holds all of it:
/// every mark and import, and no event whose deletion was acknowledged. (A mark of an event whose deletion was
/// not acknowledged proves nothing: the writer may have died after the deletion, before printing it.)
/// </summary>
internal sealed class Acknowledged
{
    private readonly HashSet<long> _marks = [];
    private readonly HashSet<long> _imports = [];
    private readonly HashSet<long> _marked = [];
    private readonly HashSet<long> _deleted = [];

    /// <summary>The highest operation acknowledged, or -1.</summary>
    public long Last { get; private set; } = -1;

    public int Count => _marks.Count + _imports.Count + _marked.Count + _deleted.Count;

    public void Add(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            if (parts.Length != 2 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var op)) continue;
            var set = parts[0] switch { "m" => _marks, "b" => _imports, "d+" => _marked, "d-" => _deleted, _ => null };
            set?.Add(op);
            Last = Math.Max(Last, op);
        }
    }

    /// <summary>Null when <paramref name="store"/> holds every acknowledged write, else what is missing.</summary>
    public async Task<string?> MissingFrom(EmbeddedStore store)
    {
        var x = (await store.Month("x", 2026, 11).ToListAsync()).ToHashSet();
        var y = (await store.Month("y", 2026, 11).ToListAsync()).ToHashSet();
        var b = (await store.Month("b", 2026, 11).ToListAsync()).ToHashSet();
        var events = (await store.ListEventsAsync()).ToHashSet();
        var lost = _marks.Where(i => !x.Contains(i) || !y.Contains(i)).Select(i => $"mark {i}")
            .Concat(_imports.Where(i => Enumerable.Range(0, 10).Any(k => !b.Contains(i * 10 + k))).Select(i => $"import {i}"))
            .Concat(_deleted.Where(i => events.Contains($"d{i}z")).Select(i => $"deletion of d{i}z"))
            .Take(10).ToList();
        return lost.Count == 0 ? null : $"{lost.Count} (first 10) acknowledged writes missing: {string.Join(", ", lost)}";
    }
}
