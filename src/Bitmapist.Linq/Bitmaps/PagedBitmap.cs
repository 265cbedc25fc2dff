using System.Buffers.Binary;
using System.Numerics;

namespace Bitmapist.Linq.Bitmaps;

/// <summary>
/// A set of 32-bit ids stored as dense pages of 2^16 bits, only for the pages that hold an id. This is the
/// embedded store's bitmap and the bulk importer's client-side builder. Dense pages keep AND/OR/popcount a
/// plain ulong loop with no native dependency, and skipping empty pages keeps a lone id near 2^32 from
/// costing 512 MiB. Measured against Roaring.Net (docs/performance.md, suite 3), Roaring is smaller on the
/// sparse sample data and as fast or faster at AND+count: a Roaring-backed page is the known next step.
/// </summary>
/// <remarks>
/// Words use Redis's bit order: id n is bit (63 - n % 64) of word n / 64, so a word is the big-endian
/// reading of 8 bytes of a Redis string and conversion to and from Redis is a byte swap per word.
/// Not thread-safe; the embedded store guards its bitmaps with a lock.
/// </remarks>
internal sealed class PagedBitmap
{
    internal const int PageShift = 16;
    internal const int WordsPerPage = (1 << PageShift) / 64;

    // Sorted page numbers and their pages, parallel arrays (a page number is id >> 16).
    private int[] _pageNumbers;
    private ulong[][] _pages;
    private int _pageCount;

    public PagedBitmap()
    {
        _pageNumbers = [];
        _pages = [];
    }

    private PagedBitmap(int[] numbers, ulong[][] pages, int count)
    {
        _pageNumbers = numbers;
        _pages = pages;
        _pageCount = count;
    }

    /// <summary>A bitmap holding <paramref name="ids"/> (any order, duplicates allowed).</summary>
    public static PagedBitmap Of(IEnumerable<uint> ids)
    {
        var b = new PagedBitmap();
        foreach (var id in ids) b.Set(id);
        return b;
    }

    public int PageCount => _pageCount;

    /// <summary>Bytes held by pages and their index, for memory reports.</summary>
    public long MemoryBytes => (long)_pageCount * (WordsPerPage * 8 + 4 + 8) + 64;

    public static ulong Mask(uint id) => 1UL << (63 - (int)(id & 63));

    public bool Contains(uint id)
    {
        var p = Find((int)(id >> PageShift));
        return p >= 0 && (_pages[p][(id >> 6) & (WordsPerPage - 1)] & Mask(id)) != 0;
    }

    /// <summary>Sets the bit of <paramref name="id"/>; returns whether it was clear before.</summary>
    public bool Set(uint id)
    {
        var page = PageFor((int)(id >> PageShift), create: true)!;
        ref var word = ref page[(id >> 6) & (WordsPerPage - 1)];
        var before = word;
        word |= Mask(id);
        return before != word;
    }

    /// <summary>Clears the bit of <paramref name="id"/>; returns whether it was set before.</summary>
    public bool Clear(uint id)
    {
        var page = PageFor((int)(id >> PageShift), create: false);
        if (page is null) return false;
        ref var word = ref page[(id >> 6) & (WordsPerPage - 1)];
        var before = word;
        word &= ~Mask(id);
        return before != word;
    }

    public long Count()
    {
        long n = 0;
        for (var i = 0; i < _pageCount; i++) n += PopCount(_pages[i]);
        return n;
    }

    public bool IsEmpty()
    {
        for (var i = 0; i < _pageCount; i++)
            if (_pages[i].AsSpan().IndexOfAnyExcept(0UL) >= 0) return false;
        return true;
    }

    /// <summary>Ids in ascending order, starting at <paramref name="from"/> (inclusive), decoded a word at a time.</summary>
    public IEnumerable<uint> Ids(uint from = 0)
    {
        for (var i = LowerBound((int)(from >> PageShift)); i < _pageCount; i++)
        {
            var page = _pages[i];
            var pageBase = (uint)_pageNumbers[i] << PageShift;
            var firstWord = _pageNumbers[i] == (int)(from >> PageShift) ? (int)((from >> 6) & (WordsPerPage - 1)) : 0;
            for (var w = firstWord; w < WordsPerPage; w++)
            {
                var word = page[w];
                while (word != 0)
                {
                    var bit = BitOperations.LeadingZeroCount(word);
                    var id = pageBase + (uint)(w * 64 + bit);
                    word &= ~(1UL << (63 - bit));
                    if (id >= from) yield return id;
                }
            }
        }
    }

    public uint? Min() => Ids().Select(i => (uint?)i).FirstOrDefault();

    public uint? Max()
    {
        for (var i = _pageCount - 1; i >= 0; i--)
        {
            var page = _pages[i];
            for (var w = WordsPerPage - 1; w >= 0; w--)
                if (page[w] != 0)
                    return ((uint)_pageNumbers[i] << PageShift) + (uint)(w * 64 + 63 - BitOperations.TrailingZeroCount(page[w]));
        }
        return null;
    }

    public PagedBitmap Clone()
    {
        var pages = new ulong[_pageCount][];
        for (var i = 0; i < _pageCount; i++) pages[i] = (ulong[])_pages[i].Clone();
        return new PagedBitmap(_pageNumbers[.._pageCount], pages, _pageCount);
    }

    /// <summary>this |= other, in place.</summary>
    public void UnionWith(PagedBitmap other)
    {
        for (var j = 0; j < other._pageCount; j++)
        {
            var mine = PageFor(other._pageNumbers[j], create: true)!;
            Or(mine, other._pages[j]);
        }
    }

    /// <summary>The intersection of all <paramref name="inputs"/> (empty when there are none).</summary>
    public static PagedBitmap And(IReadOnlyList<PagedBitmap> inputs)
    {
        if (inputs.Count == 0) return new PagedBitmap();
        // Walk the pages of the input with the fewest pages; a page survives only if every input has it.
        var smallest = inputs.MinBy(b => b._pageCount)!;
        var result = new PagedBitmap();
        for (var i = 0; i < smallest._pageCount; i++)
        {
            var number = smallest._pageNumbers[i];
            var page = (ulong[])smallest._pages[i].Clone();
            var alive = true;
            foreach (var other in inputs)
            {
                if (ReferenceEquals(other, smallest)) continue;
                var p = other.Find(number);
                if (p < 0) { alive = false; break; }
                AndInto(page, other._pages[p]);
            }
            if (alive) result.Append(number, page);
        }
        return result;
    }

    /// <summary>The union of all <paramref name="inputs"/>.</summary>
    public static PagedBitmap Or(IReadOnlyList<PagedBitmap> inputs)
    {
        if (inputs.Count == 0) return new PagedBitmap();
        // Start from a copy of the input with the most pages so the fewest pages get inserted.
        var largest = inputs.MaxBy(b => b._pageCount)!;
        var result = largest.Clone();
        foreach (var b in inputs)
            if (!ReferenceEquals(b, largest)) result.UnionWith(b);
        return result;
    }

    /// <summary>Ids in an odd number of <paramref name="inputs"/> (Redis BITOP XOR).</summary>
    public static PagedBitmap Xor(IReadOnlyList<PagedBitmap> inputs)
    {
        var result = new PagedBitmap();
        foreach (var b in inputs)
            for (var j = 0; j < b._pageCount; j++)
            {
                var mine = result.PageFor(b._pageNumbers[j], create: true)!;
                XorInto(mine, b._pages[j]);
            }
        return result;
    }

    /// <summary><paramref name="head"/> minus every id in any of <paramref name="subtract"/>.</summary>
    public static PagedBitmap Difference(PagedBitmap head, IReadOnlyList<PagedBitmap> subtract)
    {
        var result = head.Clone();
        foreach (var b in subtract)
            for (var i = 0; i < result._pageCount; i++)
            {
                var p = b.Find(result._pageNumbers[i]);
                if (p >= 0) AndNotInto(result._pages[i], b._pages[p]);
            }
        return result;
    }

    /// <summary>|a AND b AND ...| without materialising the intersection: one fused pass per page.</summary>
    /// <remarks>
    /// Copy-then-AND-then-count made three trips over each page; fusing them brought the embedded store's
    /// AND+count from 1.6x to about 1x of a plain ulong[] loop (docs/performance.md, suite 7).
    /// </remarks>
    public static long AndCount(IReadOnlyList<PagedBitmap> inputs)
    {
        if (inputs.Count == 0) return 0;
        var smallest = inputs.MinBy(b => b._pageCount)!;
        var pages = new ulong[inputs.Count][];
        long n = 0;
        for (var i = 0; i < smallest._pageCount; i++)
        {
            var number = smallest._pageNumbers[i];
            var alive = true;
            for (var k = 0; k < inputs.Count && alive; k++)
            {
                var p = inputs[k].Find(number);
                if (p < 0) alive = false;
                else pages[k] = inputs[k]._pages[p];
            }
            if (!alive) continue;
            n += pages.Length switch
            {
                1 => PopCount(pages[0]),
                2 => AndCount2(pages[0], pages[1]),
                3 => AndCount3(pages[0], pages[1], pages[2]),
                _ => AndCountN(pages),
            };
        }
        return n;
    }

    private static long AndCount2(ulong[] a, ulong[] b)
    {
        long n = 0;
        for (var w = 0; w < WordsPerPage; w++) n += BitOperations.PopCount(a[w] & b[w]);
        return n;
    }

    private static long AndCount3(ulong[] a, ulong[] b, ulong[] c)
    {
        long n = 0;
        for (var w = 0; w < WordsPerPage; w++) n += BitOperations.PopCount(a[w] & b[w] & c[w]);
        return n;
    }

    private static long AndCountN(ulong[][] pages)
    {
        long n = 0;
        for (var w = 0; w < WordsPerPage; w++)
        {
            var word = pages[0][w];
            for (var k = 1; k < pages.Length && word != 0; k++) word &= pages[k][w];
            n += BitOperations.PopCount(word);
        }
        return n;
    }

    /// <summary>The bitmap as a Redis string: byte n/8 holds id n under mask 0x80 >> (n % 8); trailing zero bytes trimmed.</summary>
    public byte[] ToRedisBytes()
    {
        var max = Max();
        if (max is null) return [];
        var length = (int)Math.Min((long)max.Value / 8 + 1, int.MaxValue);
        var bytes = new byte[length];
        for (var i = 0; i < _pageCount; i++)
        {
            var offset = (long)_pageNumbers[i] << (PageShift - 3);
            if (offset >= length) break;
            WritePage(_pages[i], bytes.AsSpan((int)offset, (int)Math.Min(WordsPerPage * 8, length - offset)));
        }
        return bytes;
    }

    /// <summary>ORs a Redis string (or a slice of one starting at byte <paramref name="byteOffset"/>) into this bitmap.</summary>
    public void OrRedisBytes(ReadOnlySpan<byte> bytes, long byteOffset = 0)
    {
        if (byteOffset % 8 != 0) throw new ArgumentException("Slices must start on a word boundary.", nameof(byteOffset));
        var pageBytes = WordsPerPage * 8;
        Span<byte> tail = stackalloc byte[8];
        var pos = 0;
        while (pos < bytes.Length)
        {
            var absolute = byteOffset + pos;
            var number = (int)(absolute / pageBytes);
            var inPage = (int)(absolute % pageBytes);
            var take = Math.Min(pageBytes - inPage, bytes.Length - pos);
            var slice = bytes.Slice(pos, take);
            if (slice.IndexOfAnyExcept((byte)0) >= 0)
            {
                var page = PageFor(number, create: true)!;
                var w = inPage / 8;
                var full = take / 8 * 8;
                for (var b = 0; b < full; b += 8, w++) page[w] |= BinaryPrimitives.ReadUInt64BigEndian(slice[b..]);
                if (full < take)
                {
                    tail.Clear();
                    slice[full..].CopyTo(tail);
                    page[w] |= BinaryPrimitives.ReadUInt64BigEndian(tail);
                }
            }
            pos += take;
        }
    }

    public static PagedBitmap FromRedisBytes(ReadOnlySpan<byte> bytes)
    {
        var b = new PagedBitmap();
        b.OrRedisBytes(bytes);
        return b;
    }

    /// <summary>The pages, for persistence: (page number, 1024 words).</summary>
    public IEnumerable<(int Number, ulong[] Words)> Pages()
    {
        for (var i = 0; i < _pageCount; i++) yield return (_pageNumbers[i], _pages[i]);
    }

    /// <summary>Adds a page read from persistence; page numbers must arrive in ascending order.</summary>
    public void AppendPage(int number, ulong[] words)
    {
        if (words.Length != WordsPerPage) throw new ArgumentException($"A page has {WordsPerPage} words.", nameof(words));
        if (number < 0 || number > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(number));
        if (_pageCount > 0 && _pageNumbers[_pageCount - 1] >= number)
            throw new ArgumentException("Pages must be appended in ascending order.", nameof(number));
        Append(number, words);
    }

    private static void WritePage(ulong[] page, Span<byte> dest)
    {
        var full = dest.Length / 8;
        for (var w = 0; w < full; w++) BinaryPrimitives.WriteUInt64BigEndian(dest[(w * 8)..], page[w]);
        if (full * 8 < dest.Length)
        {
            Span<byte> tail = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(tail, page[full]);
            tail[..(dest.Length - full * 8)].CopyTo(dest[(full * 8)..]);
        }
    }

    private static long PopCount(ReadOnlySpan<ulong> words)
    {
        long n = 0;
        foreach (var w in words) n += BitOperations.PopCount(w);
        return n;
    }

    private static void Or(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] |= b[i];
    }

    private static void AndInto(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] &= b[i];
    }

    private static void XorInto(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] ^= b[i];
    }

    private static void AndNotInto(Span<ulong> into, ReadOnlySpan<ulong> from)
    {
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(into);
        var b = System.Runtime.InteropServices.MemoryMarshal.Cast<ulong, Vector<ulong>>(from);
        for (var i = 0; i < a.Length; i++) a[i] &= ~b[i];
    }

    private int Find(int number) => Array.BinarySearch(_pageNumbers, 0, _pageCount, number);

    private int LowerBound(int number)
    {
        var i = Find(number);
        return i >= 0 ? i : ~i;
    }

    private ulong[]? PageFor(int number, bool create)
    {
        var i = Find(number);
        if (i >= 0) return _pages[i];
        if (!create) return null;
        var page = new ulong[WordsPerPage];
        Insert(~i, number, page);
        return page;
    }

    private void Append(int number, ulong[] page) => Insert(_pageCount, number, page);

    private void Insert(int at, int number, ulong[] page)
    {
        if (_pageCount == _pageNumbers.Length)
        {
            var capacity = Math.Max(4, _pageCount * 2);
            Array.Resize(ref _pageNumbers, capacity);
            Array.Resize(ref _pages, capacity);
        }
        Array.Copy(_pageNumbers, at, _pageNumbers, at + 1, _pageCount - at);
        Array.Copy(_pages, at, _pages, at + 1, _pageCount - at);
        _pageNumbers[at] = number;
        _pages[at] = page;
        _pageCount++;
    }
}
