using System.Numerics;
using System.Runtime.InteropServices;

namespace Bitmapist.Linq.Bitmaps;

/// <summary>
/// The set algebra on one page at a time: every operator of a program (AND, OR, XOR, DIFF, ANDOR) over
/// containers of either form, written into a scratch container (<see cref="Container.Scratch"/>) whose buffers
/// are reused page after page, so evaluating a whole program allocates nothing. Sparse operands cost what they
/// hold: an AND with an array walks the smallest array and tests the others; dense words are touched only
/// when every operand is dense, or when an OR or XOR of many ids is cheaper as words than as merges.
/// </summary>
/// <remarks>
/// Results stay in the form the work produced (an AND of dense pages stays dense even when few ids survive):
/// converting costs a pass, and the next operator reads either form. <see cref="PagedBitmap"/> converts when it
/// keeps a page.
/// </remarks>
internal static class ContainerOps
{
    // An OR or XOR of arrays merges while the merges move fewer values than this; past it, the 8 KiB of words win.
    private const int MergeBudget = 8192;

    // Two arrays meet through words once both sides hold this many values together: a merge is latency-bound (each
    // step waits for the previous comparison, ~7 cycles), while setting one side's bits in a cleared page and
    // testing the other's are independent operations (~1.5 cycles each): 4x faster on 780 + 780 values.
    private const int ProbeMin = 128;

    // The page of words an array is spread into to be probed, all zeros between uses: the page evaluator lends its
    // own for the duration of a run (so pooled evaluators bring theirs to whichever thread runs them); otherwise
    // one per thread, made on first use.
    [ThreadStatic] private static ulong[]? t_probe;

    /// <summary>Makes <paramref name="probe"/> (1024 zero words) this thread's probe page until the result is disposed.</summary>
    public static ProbeLoan LendProbe(ulong[] probe)
    {
        var previous = t_probe;
        t_probe = probe;
        return new ProbeLoan(previous);
    }

    /// <summary>Gives the thread its previous probe page back.</summary>
    public readonly struct ProbeLoan(ulong[]? previous) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => t_probe = previous;
    }

    /// <summary>A cleared page of words with the bits of <paramref name="values"/> set (clear it with <see cref="Array.Clear(Array)"/> after use).</summary>
    private static ulong[] Spread(ReadOnlySpan<ushort> values)
    {
        var probe = t_probe ??= new ulong[Container.Words];
        foreach (var v in values) probe[v >> 6] |= Container.Mask(v);
        return probe;
    }

    /// <summary>into = the intersection of <paramref name="inputs"/>.</summary>
    public static void And(ReadOnlySpan<Container> inputs, ref Container into)
    {
        if (inputs.Length == 0) { SetEmpty(ref into); return; }
        if (inputs.Length == 1) { Copy(inputs[0], ref into); return; }
        var smallest = -1;
        for (var i = 0; i < inputs.Length; i++)
        {
            var c = inputs[i];
            if (c.Count == 0) { SetEmpty(ref into); return; }
            if (c.HasValues && (smallest < 0 || c.Count < inputs[smallest].Count)) smallest = i;
        }
        if (smallest >= 0)
        {
            // Walk the fewest ids and keep those every other input holds, filtering in place.
            var head = inputs[smallest];
            var values = into.Values.AsSpan();
            head.Values.AsSpan(0, head.Count).CopyTo(values);
            var n = head.Count;
            for (var i = 0; i < inputs.Length && n > 0; i++)
                if (i != smallest) n = Keep(values[..n], inputs[i], keepMembers: true);
            SetArray(ref into, n);
            return;
        }
        var d = into.Dense!;
        AndWords(inputs[0].Dense!, inputs[1].Dense!, d);
        for (var i = 2; i < inputs.Length; i++) AndInto(d, inputs[i].Dense!);
        SetDense(ref into, PopCount(d));
    }

    /// <summary>|intersection of <paramref name="inputs"/>|, without writing it anywhere.</summary>
    public static int AndCount(ReadOnlySpan<Container> inputs)
    {
        if (inputs.Length == 0) return 0;
        var smallest = -1;
        for (var i = 0; i < inputs.Length; i++)
        {
            var c = inputs[i];
            if (c.Count == 0) return 0;
            if (c.HasValues && (smallest < 0 || c.Count < inputs[smallest].Count)) smallest = i;
        }
        if (inputs.Length == 1) return inputs[0].Count;
        if (smallest >= 0)
        {
            var head = inputs[smallest];
            if (inputs.Length == 2)
            {
                var other = inputs[1 - smallest];
                return other.IsDense ? CountMembers(head.Values.AsSpan(0, head.Count), other.Dense!) : IntersectCount(head.Values.AsSpan(0, head.Count), other.Values.AsSpan(0, other.Count));
            }
            Span<ushort> values = stackalloc ushort[head.Count];
            head.Values.AsSpan(0, head.Count).CopyTo(values);
            var n = head.Count;
            for (var i = 0; i < inputs.Length && n > 0; i++)
                if (i != smallest) n = Keep(values[..n], inputs[i], keepMembers: true);
            return n;
        }
        return inputs.Length switch
        {
            2 => AndCount2(inputs[0].Dense!, inputs[1].Dense!),
            3 => AndCount3(inputs[0].Dense!, inputs[1].Dense!, inputs[2].Dense!),
            _ => AndCountN(inputs),
        };
    }

    /// <summary>
    /// The count of <paramref name="op"/> over <paramref name="inputs"/>, written nowhere when it can be derived:
    /// an AND counts its matches, and two arrays count any operator from their intersection (|a OR b| = |a| + |b| -
    /// |a AND b|, and so on). Otherwise the result is built in <paramref name="scratch"/> and counted.
    /// </summary>
    public static int Count(Backends.BitOpKind op, ReadOnlySpan<Container> inputs, ref Container scratch)
    {
        if (op == Backends.BitOpKind.And) return AndCount(inputs);
        if (inputs.Length == 2 && !inputs[0].IsDense && !inputs[1].IsDense)
        {
            var (a, b) = (inputs[0].Count, inputs[1].Count);
            var both = a == 0 || b == 0 ? 0 : IntersectCount(inputs[0].Values.AsSpan(0, a), inputs[1].Values.AsSpan(0, b));
            return op switch
            {
                Backends.BitOpKind.Or => a + b - both,
                Backends.BitOpKind.Xor => a + b - 2 * both,
                Backends.BitOpKind.Diff => a - both,
                _ => both, // ANDOR of one input to the union: an AND
            };
        }
        switch (op)
        {
            case Backends.BitOpKind.Or: Or(inputs, ref scratch); break;
            case Backends.BitOpKind.Xor: Xor(inputs, ref scratch); break;
            case Backends.BitOpKind.Diff: Diff(inputs[0], inputs[1..], ref scratch); break;
            default: AndOr(inputs[0], inputs[1..], ref scratch); break;
        }
        return scratch.Count;
    }

    /// <summary>into = the union of <paramref name="inputs"/>.</summary>
    public static void Or(ReadOnlySpan<Container> inputs, ref Container into) => Combine(inputs, ref into, xor: false);

    /// <summary>into = the ids in an odd number of <paramref name="inputs"/> (Redis BITOP XOR).</summary>
    public static void Xor(ReadOnlySpan<Container> inputs, ref Container into) => Combine(inputs, ref into, xor: true);

    /// <summary>into = <paramref name="head"/> minus every id of <paramref name="rest"/>.</summary>
    public static void Diff(in Container head, ReadOnlySpan<Container> rest, ref Container into)
    {
        if (head.Count == 0) { SetEmpty(ref into); return; }
        if (!head.IsDense)
        {
            var values = into.Values.AsSpan();
            head.Values.AsSpan(0, head.Count).CopyTo(values);
            var n = head.Count;
            foreach (var r in rest)
                if (n > 0 && r.Count > 0) n = Keep(values[..n], r, keepMembers: false);
            SetArray(ref into, n);
            return;
        }
        var d = into.Dense!;
        head.Dense.AsSpan().CopyTo(d);
        foreach (var r in rest)
        {
            if (r.Count == 0) continue;
            if (r.IsDense) AndNotInto(d, r.Dense!);
            else foreach (var v in r.Values.AsSpan(0, r.Count)) d[v >> 6] &= ~Container.Mask(v);
        }
        SetDense(ref into, PopCount(d));
    }

    /// <summary>into = <paramref name="head"/> AND the union of <paramref name="rest"/> (Redis 8.2 BITOP ANDOR).</summary>
    public static void AndOr(in Container head, ReadOnlySpan<Container> rest, ref Container into)
    {
        if (head.Count == 0) { SetEmpty(ref into); return; }
        if (!head.IsDense)
        {
            // Keep each of head's ids that some input of the union holds: cost O(head) per input.
            var values = into.Values.AsSpan();
            var n = 0;
            foreach (var v in head.Values.AsSpan(0, head.Count))
                foreach (var r in rest)
                    if (r.Count > 0 && r.Contains(v)) { values[n++] = v; break; }
            SetArray(ref into, n);
            return;
        }
        Combine(rest, ref into, xor: false);
        if (into.Count == 0) return;
        if (!into.IsDense)
        {
            var n = Keep(into.Values.AsSpan(0, into.Count), head, keepMembers: true);
            SetArray(ref into, n);
            return;
        }
        AndInto(into.Dense!, head.Dense!);
        SetDense(ref into, PopCount(into.Dense!));
    }

    /// <summary>into = a copy of <paramref name="from"/>.</summary>
    public static void Copy(in Container from, ref Container into)
    {
        if (from.IsDense)
        {
            from.Dense.AsSpan().CopyTo(into.Dense);
            SetDense(ref into, from.Count);
        }
        else
        {
            from.Values.AsSpan(0, from.Count).CopyTo(into.Values);
            SetArray(ref into, from.Count);
        }
    }

    /// <summary>OR or XOR: merges of sorted arrays while they are cheap, else words.</summary>
    private static void Combine(ReadOnlySpan<Container> inputs, ref Container into, bool xor)
    {
        int nonEmpty = 0, total = 0, last = -1;
        var allArrays = true;
        for (var i = 0; i < inputs.Length; i++)
        {
            var c = inputs[i];
            if (c.Count == 0) continue;
            nonEmpty++;
            total += c.Count;
            last = i;
            allArrays &= !c.IsDense;
        }
        if (nonEmpty == 0) { SetEmpty(ref into); return; }
        if (nonEmpty == 1) { Copy(inputs[last], ref into); return; }
        if (allArrays && total <= Container.ArrayMax && (long)total * (nonEmpty - 1) <= MergeBudget)
        {
            MergeArrays(inputs, ref into, xor);
            return;
        }
        var d = into.Dense!;
        var started = false;
        foreach (var c in inputs)
        {
            if (c.Count == 0 || !c.IsDense) continue;
            if (!started) { c.Dense.AsSpan().CopyTo(d); started = true; }
            else if (xor) XorInto(d, c.Dense!);
            else OrInto(d, c.Dense!);
        }
        if (!started) Array.Clear(d);
        foreach (var c in inputs)
        {
            if (c.Count == 0 || c.IsDense) continue;
            foreach (var v in c.Values.AsSpan(0, c.Count))
                if (xor) d[v >> 6] ^= Container.Mask(v);
                else d[v >> 6] |= Container.Mask(v);
        }
        SetDense(ref into, PopCount(d));
    }

    /// <summary>Pairwise merges of array inputs, ping-ponging between into's two buffers (its words lent as 4096 values).</summary>
    private static void MergeArrays(ReadOnlySpan<Container> inputs, ref Container into, bool xor)
    {
        var a = into.Values.AsSpan();
        var b = MemoryMarshal.Cast<ulong, ushort>(into.Dense.AsSpan());
        var n = -1;
        var inA = true;
        foreach (var c in inputs)
        {
            if (c.Count == 0) continue;
            var values = c.Values.AsSpan(0, c.Count);
            if (n < 0) { values.CopyTo(a); n = c.Count; continue; }
            var from = inA ? a : b;
            var to = inA ? b : a;
            n = xor ? SymmetricDifference(from[..n], values, to) : Union(from[..n], values, to);
            inA = !inA;
        }
        if (!inA) b[..n].CopyTo(a);
        SetArray(ref into, n);
    }

    /// <summary>
    /// Filters <paramref name="values"/> in place: keeps those <paramref name="other"/> holds (or, with
    /// <paramref name="keepMembers"/> false, those it does not); returns how many remain.
    /// </summary>
    private static int Keep(Span<ushort> values, in Container other, bool keepMembers)
    {
        var n = 0;
        if (other.IsDense)
        {
            var words = other.Dense!;
            foreach (var v in values)
                if (((words[v >> 6] & Container.Mask(v)) != 0) == keepMembers) values[n++] = v;
            return n;
        }
        var others = other.Values.AsSpan(0, other.Count);
        if (values.Length * 32 < others.Length)
        {
            // Far fewer values than the other side holds: gallop through it instead of walking every one.
            var from = 0;
            foreach (var v in values)
            {
                var i = others[from..].BinarySearch(v);
                var found = i >= 0;
                from += found ? i : ~i;
                if (found == keepMembers) values[n++] = v;
            }
            return n;
        }
        if (values.Length + others.Length >= ProbeMin)
        {
            var probe = Spread(others);
            foreach (var v in values)
                if (((probe[v >> 6] & Container.Mask(v)) != 0) == keepMembers) values[n++] = v;
            Array.Clear(probe);
            return n;
        }
        var j = 0;
        foreach (var v in values)
        {
            while (j < others.Length && others[j] < v) j++;
            var found = j < others.Length && others[j] == v;
            if (found == keepMembers) values[n++] = v;
        }
        return n;
    }

    private static int CountMembers(ReadOnlySpan<ushort> values, ulong[] words)
    {
        var n = 0;
        foreach (var v in values) n += (int)((words[v >> 6] >> (63 - (v & 63))) & 1);
        return n;
    }

    private static int IntersectCount(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b)
    {
        if (a.Length > b.Length)
        {
            var t = a;
            a = b;
            b = t;
        }
        var n = 0;
        if (a.Length * 32 < b.Length)
        {
            var from = 0;
            foreach (var v in a)
            {
                var i = b[from..].BinarySearch(v);
                if (i >= 0) { n++; from += i + 1; }
                else from += ~i;
            }
            return n;
        }
        if (a.Length + b.Length >= ProbeMin)
        {
            var probe = Spread(b);
            n = CountMembers(a, probe);
            Array.Clear(probe);
            return n;
        }
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            // Branch-light merge: advance whichever side is smaller (both on a match).
            var va = a[x];
            var vb = b[y];
            n += va == vb ? 1 : 0;
            x += va <= vb ? 1 : 0;
            y += vb <= va ? 1 : 0;
        }
        return n;
    }

    /// <summary>The sorted union of two sorted arrays into <paramref name="into"/>; returns its length.</summary>
    public static int Union(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b, Span<ushort> into) =>
        a.Length * 16 < b.Length ? Splice(a, b, into, xor: false)
        : b.Length * 16 < a.Length ? Splice(b, a, into, xor: false)
        : Merge(a, b, into);

    /// <summary>
    /// A union (or symmetric difference) of a few values into many: each few value finds its place by binary
    /// search, and the many values between two places move as one block copy, instead of a merge step each.
    /// </summary>
    private static int Splice(ReadOnlySpan<ushort> few, ReadOnlySpan<ushort> many, Span<ushort> into, bool xor)
    {
        int from = 0, n = 0;
        foreach (var v in few)
        {
            var i = many[from..].BinarySearch(v);
            var at = from + (i >= 0 ? i : ~i);
            many[from..at].CopyTo(into[n..]);
            n += at - from;
            from = at;
            if (i >= 0)
            {
                from++; // present in both: once in a union, not at all in a symmetric difference
                if (xor) continue;
            }
            into[n++] = v;
        }
        many[from..].CopyTo(into[n..]);
        return n + many.Length - from;
    }

    private static int Merge(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b, Span<ushort> into)
    {
        int x = 0, y = 0, n = 0;
        while (x < a.Length && y < b.Length)
        {
            var va = a[x];
            var vb = b[y];
            into[n++] = va <= vb ? va : vb;
            x += va <= vb ? 1 : 0;
            y += vb <= va ? 1 : 0;
        }
        a[x..].CopyTo(into[n..]);
        n += a.Length - x;
        b[y..].CopyTo(into[n..]);
        return n + b.Length - y;
    }

    private static int SymmetricDifference(ReadOnlySpan<ushort> a, ReadOnlySpan<ushort> b, Span<ushort> into)
    {
        if (a.Length * 16 < b.Length) return Splice(a, b, into, xor: true);
        if (b.Length * 16 < a.Length) return Splice(b, a, into, xor: true);
        int x = 0, y = 0, n = 0;
        while (x < a.Length && y < b.Length)
        {
            var va = a[x];
            var vb = b[y];
            if (va < vb) { into[n++] = va; x++; }
            else if (vb < va) { into[n++] = vb; y++; }
            else { x++; y++; }
        }
        a[x..].CopyTo(into[n..]);
        n += a.Length - x;
        b[y..].CopyTo(into[n..]);
        return n + b.Length - y;
    }

    private static void SetEmpty(ref Container into)
    {
        into.IsDense = false;
        into.Count = 0;
    }

    private static void SetArray(ref Container into, int count)
    {
        into.IsDense = false;
        into.Count = count;
    }

    private static void SetDense(ref Container into, int count)
    {
        into.IsDense = true;
        into.Count = count;
        if (count == 0) into.IsDense = false; // an empty page reads the same in either form; array form is the cheap one
    }

    public static int PopCount(ReadOnlySpan<ulong> words)
    {
        var n = 0;
        foreach (var w in words) n += BitOperations.PopCount(w);
        return n;
    }

    private static int AndCount2(ulong[] a, ulong[] b)
    {
        var n = 0;
        for (var w = 0; w < Container.Words; w++) n += BitOperations.PopCount(a[w] & b[w]);
        return n;
    }

    private static int AndCount3(ulong[] a, ulong[] b, ulong[] c)
    {
        var n = 0;
        for (var w = 0; w < Container.Words; w++) n += BitOperations.PopCount(a[w] & b[w] & c[w]);
        return n;
    }

    private static int AndCountN(ReadOnlySpan<Container> inputs)
    {
        var n = 0;
        for (var w = 0; w < Container.Words; w++)
        {
            var word = inputs[0].Dense![w];
            for (var k = 1; k < inputs.Length && word != 0; k++) word &= inputs[k].Dense![w];
            n += BitOperations.PopCount(word);
        }
        return n;
    }

    private static void AndWords(ulong[] a, ulong[] b, ulong[] into)
    {
        var x = MemoryMarshal.Cast<ulong, Vector<ulong>>(a.AsSpan());
        var y = MemoryMarshal.Cast<ulong, Vector<ulong>>(b.AsSpan());
        var z = MemoryMarshal.Cast<ulong, Vector<ulong>>(into.AsSpan());
        for (var i = 0; i < z.Length; i++) z[i] = x[i] & y[i];
    }

    public static void OrInto(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] |= b[i];
    }

    private static void AndInto(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] &= b[i];
    }

    private static void XorInto(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] ^= b[i];
    }

    private static void AndNotInto(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] &= ~b[i];
    }
}
