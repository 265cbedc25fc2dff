using System.Numerics;

namespace Bitmapist.Linq.Bitmaps;

/// <summary>
/// The ids of one page (2^16 consecutive ids) held the way their density suits, as Roaring does: a sorted
/// array of the low 16 bits while the page holds at most <see cref="ArrayMax"/> ids (2 bytes an id), 1024
/// dense words above that (8 KiB, whatever the count). At 4096 ids both cost 8 KiB, so neither form is ever
/// the bigger one. The cardinality is kept exact in both forms, so a count is a sum, not a popcount.
/// </summary>
/// <remarks>
/// One type with two forms rather than a type per form: the evaluator's scratch containers switch form
/// per page without allocating, and the algebra in <see cref="ContainerOps"/> reads both forms directly.
/// A struct, held inline in <see cref="PagedBitmap"/>'s page array: an object per page would add 16 bytes of
/// header and an 8-byte reference to every page, a third of a 65-id page (the 0.1%-density case). Mutate it
/// only in place (<c>pages[i].Add(...)</c>), never through a copy.
/// Dense words use Redis's bit order, as <see cref="PagedBitmap"/> explains.
/// </remarks>
internal struct Container
{
    /// <summary>The largest count held as a sorted array; one more id makes the page dense.</summary>
    public const int ArrayMax = 4096;

    /// <summary>Words in a dense page.</summary>
    public const int Words = 1024;

    /// <summary>The sorted low 16 bits of the ids, in array form (capacity may exceed <see cref="Count"/>).</summary>
    public ushort[] Values = [];

    /// <summary>The page as 1024 words, in dense form; null in array form (scratch containers keep both buffers).</summary>
    public ulong[]? Dense;

    /// <summary>True in dense form.</summary>
    public bool IsDense;

    /// <summary>
    /// In dense form, <see cref="Values"/> holds the same ids sorted too: the evaluator's words expanded from a
    /// stored array keep that array, so an AND can still walk the smaller side. Fits in the struct's padding.
    /// </summary>
    public bool SortedToo;

    /// <summary>True when <see cref="Values"/> lists the ids (array form, or dense with <see cref="SortedToo"/>).</summary>
    public readonly bool HasValues => !IsDense || SortedToo;

    /// <summary>How many ids the page holds.</summary>
    public int Count;

    /// <summary>The empty page.</summary>
    public static Container Empty => default;

    /// <summary>An empty array-form page.</summary>
    public Container()
    {
    }

    /// <summary>Bytes a container takes inline in its page array.</summary>
    public static int InlineBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<Container>();

    /// <summary>A page holding exactly <paramref name="count"/> sorted values (the array is kept, not copied).</summary>
    public static Container OfSorted(ushort[] values, int count) => new() { Values = values, Count = count };

    /// <summary>A page from 1024 words (copied), in the form its count suits.</summary>
    public static Container OfWords(ReadOnlySpan<ulong> words)
    {
        var page = new Container();
        page.OrWords(words);
        return page;
    }

    /// <summary>A scratch page for the evaluator: both buffers allocated once, reused for every page.</summary>
    public static Container Scratch() => new() { Values = new ushort[ArrayMax], Dense = new ulong[Words] };

    /// <summary>Id n's mask in its word (Redis's bit order: the first id is the word's high bit).</summary>
    public static ulong Mask(int low) => 1UL << (63 - (low & 63));

    public readonly bool Contains(ushort low) =>
        IsDense ? (Dense![low >> 6] & Mask(low)) != 0 : Values.AsSpan(0, Count).BinarySearch(low) >= 0;

    /// <summary>Adds <paramref name="low"/>; returns whether it was absent. An array that would pass <see cref="ArrayMax"/> turns dense.</summary>
    public bool Add(ushort low)
    {
        if (IsDense)
        {
            ref var word = ref Dense![low >> 6];
            if ((word & Mask(low)) != 0) return false;
            word |= Mask(low);
            Count++;
            return true;
        }
        var i = Values.AsSpan(0, Count).BinarySearch(low);
        if (i >= 0) return false;
        i = ~i;
        if (Count == ArrayMax)
        {
            ToDense();
            return Add(low);
        }
        if (Count == Values.Length) Array.Resize(ref Values, Math.Max(4, Math.Min(ArrayMax, Count * 2)));
        Array.Copy(Values, i, Values, i + 1, Count - i);
        Values[i] = low;
        Count++;
        return true;
    }

    /// <summary>Removes <paramref name="low"/>; returns whether it was present. A dense page that falls to <see cref="ArrayMax"/> turns back into an array.</summary>
    public bool Remove(ushort low)
    {
        if (IsDense)
        {
            ref var word = ref Dense![low >> 6];
            if ((word & Mask(low)) == 0) return false;
            word &= ~Mask(low);
            if (--Count <= ArrayMax) ToArray();
            return true;
        }
        var i = Values.AsSpan(0, Count).BinarySearch(low);
        if (i < 0) return false;
        Array.Copy(Values, i + 1, Values, i, Count - i - 1);
        Count--;
        return true;
    }

    /// <summary>this |= the 1024 <paramref name="words"/>, then the form the new count suits.</summary>
    public void OrWords(ReadOnlySpan<ulong> words)
    {
        if (!IsDense)
        {
            // Few ids on both sides: merge without going through 8 KiB.
            var incoming = 0;
            foreach (var w in words) incoming += BitOperations.PopCount(w);
            if (incoming == 0) return;
            if (Count + incoming <= ArrayMax)
            {
                var merged = new ushort[Count + incoming];
                var n = ContainerOps.Union(Values.AsSpan(0, Count), Decode(words, stackalloc ushort[incoming]), merged);
                Values = n == merged.Length ? merged : merged[..n];
                Count = n;
                return;
            }
            ToDense();
        }
        var dense = Dense!;
        for (var w = 0; w < Words; w++) dense[w] |= words[w];
        Count = ContainerOps.PopCount(dense);
        if (Count <= ArrayMax) ToArray(); // overlapping ids: the union still fits an array
    }

    /// <summary>this |= <paramref name="other"/>, then the form the new count suits.</summary>
    public void UnionWith(in Container other)
    {
        if (other.Count == 0) return;
        if (other.IsDense) { OrWords(other.Dense); return; }
        if (!IsDense && Count + other.Count <= ArrayMax)
        {
            var merged = new ushort[Count + other.Count];
            var n = ContainerOps.Union(Values.AsSpan(0, Count), other.Values.AsSpan(0, other.Count), merged);
            Values = n == merged.Length ? merged : merged[..n];
            Count = n;
            return;
        }
        if (!IsDense) ToDense();
        foreach (var v in other.Values.AsSpan(0, other.Count))
        {
            ref var word = ref Dense![v >> 6];
            if ((word & Mask(v)) == 0) { word |= Mask(v); Count++; }
        }
        if (Count <= ArrayMax) ToArray(); // overlapping ids: the union still fits an array
    }

    /// <summary>The values of <paramref name="words"/>, ascending, written into <paramref name="into"/> (sized to their count).</summary>
    public static ReadOnlySpan<ushort> Decode(ReadOnlySpan<ulong> words, Span<ushort> into)
    {
        var n = 0;
        for (var w = 0; w < words.Length; w++)
        {
            var word = words[w];
            while (word != 0)
            {
                var bit = BitOperations.LeadingZeroCount(word);
                into[n++] = (ushort)((w << 6) + bit);
                word &= ~(1UL << (63 - bit));
            }
        }
        return into[..n];
    }

    /// <summary>The page's words written into <paramref name="into"/> (1024 words; cleared first).</summary>
    public readonly void CopyWordsTo(Span<ulong> into)
    {
        if (IsDense) { Dense.AsSpan().CopyTo(into); return; }
        into.Clear();
        foreach (var v in Values.AsSpan(0, Count)) into[v >> 6] |= Mask(v);
    }

    /// <summary>A copy sized to its contents (what stored bitmaps keep: no spare capacity).</summary>
    public readonly Container Clone() => IsDense
        ? new Container { Dense = (ulong[])Dense!.Clone(), IsDense = true, Count = Count }
        : OfSorted(Values[..Count], Count);

    /// <summary>Sizes an array to its count (a dense page has no spare capacity).</summary>
    public void TrimExcess()
    {
        if (!IsDense && Values.Length > Count) Values = Values[..Count];
    }

    /// <summary>The smallest low value (the page must not be empty).</summary>
    public readonly int Min()
    {
        if (!IsDense) return Values[0];
        var w = Dense.AsSpan().IndexOfAnyExcept(0UL);
        return (w << 6) + BitOperations.LeadingZeroCount(Dense![w]);
    }

    /// <summary>The largest low value (the page must not be empty).</summary>
    public readonly int Max()
    {
        if (!IsDense) return Values[Count - 1];
        var w = Dense.AsSpan().LastIndexOfAnyExcept(0UL);
        return (w << 6) + 63 - BitOperations.TrailingZeroCount(Dense![w]);
    }

    /// <summary>Heap bytes of the buffer its form uses, array header included (the container itself is inline; see <see cref="InlineBytes"/>).</summary>
    public readonly long BufferBytes => IsDense ? 24 + Words * 8L : Values is { Length: > 0 } v ? 24 + 2L * v.Length : 0;

    /// <summary>Switches to dense form, keeping the ids.</summary>
    public void ToDense()
    {
        if (IsDense) return;
        var dense = Dense ?? new ulong[Words];
        CopyWordsTo(dense);
        Dense = dense;
        IsDense = true;
    }

    /// <summary>Switches to a sorted array sized to the count (the count must be at most <see cref="ArrayMax"/>).</summary>
    private void ToArray()
    {
        var values = new ushort[Count];
        Decode(Dense, values);
        Values = values;
        Dense = null;
        IsDense = false;
    }
}
