using System.Buffers.Binary;
using System.Numerics;

namespace Bitmapist.Linq.Bitmaps;

/// <summary>
/// A set of 32-bit ids in pages of 2^16 ids, only for the pages that hold an id, each page a
/// <see cref="Container"/> in the form its density suits: a sorted array up to 4096 ids, 1024 dense words
/// above (Roaring's layout). This is the embedded store's bitmap, the bulk importer's client-side builder and
/// the buffer Redis strings are decoded into. Sparse data costs 2 bytes an id instead of whole 8 KiB pages;
/// skipping empty pages keeps a lone id near 2^32 from costing 512 MiB.
/// </summary>
/// <remarks>
/// Dense words use Redis's bit order: id n is bit (63 - n % 64) of word n / 64, so a word is the big-endian
/// reading of 8 bytes of a Redis string and conversion to and from Redis is a byte swap per word.
/// Not thread-safe; the embedded store guards its bitmaps with a lock. Own code rather than Roaring.Net
/// (CRoaring): the embedded evaluator runs whole programs page by page over these containers without
/// allocating, which a library that only combines whole bitmaps cannot do (docs/performance.md, issue 14).
/// </remarks>
internal sealed class PagedBitmap
{
    internal const int PageShift = 16;
    internal const int WordsPerPage = Container.Words;

    // Sorted page numbers and their containers, parallel arrays (a page number is id >> 16).
    private int[] _pageNumbers;
    private Container[] _pages;
    private int _pageCount;

    public PagedBitmap()
    {
        _pageNumbers = [];
        _pages = [];
    }

    /// <summary>A bitmap holding <paramref name="ids"/> (any order, duplicates allowed).</summary>
    public static PagedBitmap Of(IEnumerable<uint> ids)
    {
        var b = new PagedBitmap();
        foreach (var id in ids) b.Set(id);
        b.TrimExcess();
        return b;
    }

    /// <summary>Releases the spare capacity arrays keep while ids are added one at a time (up to half of them).</summary>
    public void TrimExcess()
    {
        for (var i = 0; i < _pageCount; i++) _pages[i].TrimExcess();
        if (_pageNumbers.Length > _pageCount)
        {
            _pageNumbers = _pageNumbers[.._pageCount];
            _pages = _pages[.._pageCount];
        }
    }

    /// <summary>Pages that hold at least one id.</summary>
    public int PageCount => _pageCount;

    /// <summary>Heap bytes of this bitmap (object, page index, containers and their buffers), for memory reports.</summary>
    public long MemoryBytes
    {
        get
        {
            // The object (header, two references, the count), then the two page arrays (24-byte header each).
            long n = 40 + 24 + _pageNumbers.Length * 4L + 24 + _pages.Length * (long)Container.InlineBytes;
            for (var i = 0; i < _pageCount; i++) n += _pages[i].BufferBytes;
            return n;
        }
    }

    public static ulong Mask(uint id) => 1UL << (63 - (int)(id & 63));

    public bool Contains(uint id)
    {
        var p = Find((int)(id >> PageShift));
        return p >= 0 && _pages[p].Contains((ushort)id);
    }

    /// <summary>Sets the bit of <paramref name="id"/>; returns whether it was clear before.</summary>
    public bool Set(uint id)
    {
        var number = (int)(id >> PageShift);
        // Ids mostly arrive ascending (imports, generators): check the last page before searching.
        if (_pageCount > 0 && _pageNumbers[_pageCount - 1] == number) return _pages[_pageCount - 1].Add((ushort)id);
        var i = Find(number);
        if (i < 0)
        {
            i = ~i;
            Insert(i, number, new Container());
        }
        return _pages[i].Add((ushort)id);
    }

    /// <summary>Clears the bit of <paramref name="id"/>; returns whether it was set before.</summary>
    public bool Clear(uint id)
    {
        var i = Find((int)(id >> PageShift));
        if (i < 0 || !_pages[i].Remove((ushort)id)) return false;
        if (_pages[i].Count == 0) RemoveAt(i);
        return true;
    }

    public long Count()
    {
        long n = 0;
        for (var i = 0; i < _pageCount; i++) n += _pages[i].Count;
        return n;
    }

    public bool IsEmpty() => _pageCount == 0;

    /// <summary>Ids in ascending order, starting at <paramref name="from"/> (inclusive).</summary>
    public IEnumerable<uint> Ids(uint from = 0)
    {
        for (var i = LowerBound((int)(from >> PageShift)); i < _pageCount; i++)
        {
            var page = _pages[i];
            var pageBase = (uint)_pageNumbers[i] << PageShift;
            if (!page.IsDense)
            {
                for (var k = 0; k < page.Count; k++)
                {
                    var id = pageBase + page.Values[k];
                    if (id >= from) yield return id;
                }
                continue;
            }
            var firstWord = _pageNumbers[i] == (int)(from >> PageShift) ? (int)((from >> 6) & (WordsPerPage - 1)) : 0;
            for (var w = firstWord; w < WordsPerPage; w++)
            {
                var word = page.Dense![w];
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

    public uint? Min() => _pageCount == 0 ? null : ((uint)_pageNumbers[0] << PageShift) + (uint)_pages[0].Min();

    public uint? Max() => _pageCount == 0 ? null : ((uint)_pageNumbers[_pageCount - 1] << PageShift) + (uint)_pages[_pageCount - 1].Max();

    public PagedBitmap Clone()
    {
        var copy = new PagedBitmap { _pageNumbers = _pageNumbers[.._pageCount], _pages = new Container[_pageCount], _pageCount = _pageCount };
        for (var i = 0; i < _pageCount; i++) copy._pages[i] = _pages[i].Clone();
        return copy;
    }

    /// <summary>this |= other, in place.</summary>
    public void UnionWith(PagedBitmap other)
    {
        for (var j = 0; j < other._pageCount; j++)
        {
            var number = other._pageNumbers[j];
            var i = Find(number);
            if (i >= 0) _pages[i].UnionWith(other._pages[j]);
            else Insert(~i, number, other._pages[j].Clone());
        }
    }

    /// <summary>The intersection of all <paramref name="inputs"/> (empty when there are none).</summary>
    public static PagedBitmap And(IReadOnlyList<PagedBitmap> inputs) => PageByPage(inputs, ContainerOps.And, intersect: true);

    /// <summary>The union of all <paramref name="inputs"/>.</summary>
    public static PagedBitmap Or(IReadOnlyList<PagedBitmap> inputs) => PageByPage(inputs, ContainerOps.Or, intersect: false);

    /// <summary>Ids in an odd number of <paramref name="inputs"/> (Redis BITOP XOR).</summary>
    public static PagedBitmap Xor(IReadOnlyList<PagedBitmap> inputs) => PageByPage(inputs, ContainerOps.Xor, intersect: false);

    /// <summary><paramref name="head"/> minus every id in any of <paramref name="subtract"/>.</summary>
    public static PagedBitmap Difference(PagedBitmap head, IReadOnlyList<PagedBitmap> subtract) =>
        PageByPage([head, .. subtract], static (pages, ref into) => ContainerOps.Diff(pages[0], pages[1..], ref into), intersect: false, headOnly: true);

    /// <summary>|a AND b AND ...| without materialising the intersection: one pass per page.</summary>
    public static long AndCount(IReadOnlyList<PagedBitmap> inputs)
    {
        if (inputs.Count == 0) return 0;
        var smallest = inputs.MinBy(b => b._pageCount)!;
        var pages = new Container[inputs.Count];
        long n = 0;
        for (var i = 0; i < smallest._pageCount; i++)
        {
            if (!Gather(inputs, smallest._pageNumbers[i], pages)) continue;
            n += ContainerOps.AndCount(pages);
        }
        return n;
    }

    private delegate void PageOp(ReadOnlySpan<Container> pages, ref Container into);

    /// <summary>
    /// An operator applied page by page: over the pages of the input with the fewest (AND), the head's pages
    /// (DIFF), or every input's (OR, XOR); each result page kept in the form its count suits.
    /// </summary>
    private static PagedBitmap PageByPage(IReadOnlyList<PagedBitmap> inputs, PageOp op, bool intersect, bool headOnly = false)
    {
        var result = new PagedBitmap();
        if (inputs.Count == 0) return result;
        var scratch = Container.Scratch();
        var pages = new Container[inputs.Count];
        IEnumerable<int> numbers = intersect ? inputs.MinBy(b => b._pageCount)!.PageNumbers()
            : headOnly ? inputs[0].PageNumbers()
            : inputs.SelectMany(b => b.PageNumbers()).Distinct().Order();
        foreach (var number in numbers)
        {
            for (var k = 0; k < inputs.Count; k++)
            {
                var p = inputs[k].Find(number);
                pages[k] = p >= 0 ? inputs[k]._pages[p] : Container.Empty;
            }
            op(pages, ref scratch);
            if (scratch.Count > 0) result.Append(number, Stored(scratch));
        }
        return result;
    }

    /// <summary>The pages numbered <paramref name="number"/> of every input into <paramref name="into"/>; false when one has none.</summary>
    private static bool Gather(IReadOnlyList<PagedBitmap> inputs, int number, Container[] into)
    {
        for (var k = 0; k < inputs.Count; k++)
        {
            var p = inputs[k].Find(number);
            if (p < 0) return false;
            into[k] = inputs[k]._pages[p];
        }
        return true;
    }

    private IEnumerable<int> PageNumbers()
    {
        for (var i = 0; i < _pageCount; i++) yield return _pageNumbers[i];
    }

    /// <summary>A stored copy of a scratch result, in the form its count suits and sized to it.</summary>
    internal static Container Stored(in Container scratch)
    {
        if (!scratch.IsDense) return Container.OfSorted(scratch.Values[..scratch.Count], scratch.Count);
        return Container.OfWords(scratch.Dense);
    }

    /// <summary>The bitmap as a Redis string: byte n/8 holds id n under mask 0x80 >> (n % 8); trailing zero bytes trimmed.</summary>
    public byte[] ToRedisBytes()
    {
        var max = Max();
        if (max is null) return [];
        var length = (int)Math.Min((long)max.Value / 8 + 1, int.MaxValue);
        var bytes = new byte[length];
        var words = new ulong[WordsPerPage];
        for (var i = 0; i < _pageCount; i++)
        {
            var offset = (long)_pageNumbers[i] << (PageShift - 3);
            if (offset >= length) break;
            _pages[i].CopyWordsTo(words);
            WritePage(words, bytes.AsSpan((int)offset, (int)Math.Min(WordsPerPage * 8, length - offset)));
        }
        return bytes;
    }

    /// <summary>ORs a Redis string (or a slice of one starting at byte <paramref name="byteOffset"/>) into this bitmap.</summary>
    public void OrRedisBytes(ReadOnlySpan<byte> bytes, long byteOffset = 0)
    {
        if (byteOffset % 8 != 0) throw new ArgumentException("Slices must start on a word boundary.", nameof(byteOffset));
        var pageBytes = WordsPerPage * 8;
        Span<byte> tail = stackalloc byte[8];
        ulong[]? words = null;
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
                words ??= new ulong[WordsPerPage];
                Array.Clear(words);
                var w = inPage / 8;
                var full = take / 8 * 8;
                for (var b = 0; b < full; b += 8, w++) words[w] = BinaryPrimitives.ReadUInt64BigEndian(slice[b..]);
                if (full < take)
                {
                    tail.Clear();
                    slice[full..].CopyTo(tail);
                    words[w] = BinaryPrimitives.ReadUInt64BigEndian(tail);
                }
                OrPage(number, words);
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

    /// <summary>The pages, for persistence: (page number, 1024 words), each a fresh array.</summary>
    public IEnumerable<(int Number, ulong[] Words)> Pages()
    {
        for (var i = 0; i < _pageCount; i++)
        {
            var words = new ulong[WordsPerPage];
            _pages[i].CopyWordsTo(words);
            yield return (_pageNumbers[i], words);
        }
    }

    /// <summary>Adds a page read from persistence; page numbers must arrive in ascending order. An all-zero page adds nothing.</summary>
    public void AppendPage(int number, ulong[] words)
    {
        if (words.Length != WordsPerPage) throw new ArgumentException($"A page has {WordsPerPage} words.", nameof(words));
        CheckAppendable(number);
        var page = Container.OfWords(words);
        if (page.Count > 0) Append(number, page);
    }

    /// <summary>
    /// Adds a page of sorted ids read from persistence (at most 4096 low values, strictly ascending); page numbers must
    /// arrive in ascending order. The array is kept, not copied.
    /// </summary>
    public void AppendSortedPage(int number, ushort[] values)
    {
        if (values.Length is 0 or > Container.ArrayMax) throw new ArgumentException($"A sorted page holds 1 to {Container.ArrayMax} ids.", nameof(values));
        CheckAppendable(number);
        for (var i = 1; i < values.Length; i++)
            if (values[i] <= values[i - 1]) throw new ArgumentException($"The ids of page {number} are not in ascending order.", nameof(values));
        Append(number, Container.OfSorted(values, values.Length));
    }

    /// <summary>Refuses a page number out of range, or not after every page held (persistence appends in order).</summary>
    private void CheckAppendable(int number)
    {
        if (number < 0 || number > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(number));
        if (_pageCount > 0 && _pageNumbers[_pageCount - 1] >= number)
            throw new ArgumentException("Pages must be appended in ascending order.", nameof(number));
    }

    /// <summary>The number and container of the i-th page (ascending), for the evaluator.</summary>
    internal int PageNumberAt(int i) => _pageNumbers[i];

    /// <inheritdoc cref="PageNumberAt"/>
    internal ref readonly Container PageAt(int i) => ref _pages[i];

    /// <summary>Appends a non-empty container after every page held (the evaluator's results arrive in page order).</summary>
    internal void Append(int number, Container page) => Insert(_pageCount, number, page);

    private void OrPage(int number, ReadOnlySpan<ulong> words)
    {
        var i = Find(number);
        if (i >= 0)
        {
            _pages[i].OrWords(words);
            return;
        }
        var page = Container.OfWords(words);
        if (page.Count > 0) Insert(~i, number, page);
    }

    private static void WritePage(ReadOnlySpan<ulong> page, Span<byte> dest)
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

    private int Find(int number) => Array.BinarySearch(_pageNumbers, 0, _pageCount, number);

    private int LowerBound(int number)
    {
        var i = Find(number);
        return i >= 0 ? i : ~i;
    }

    private void Insert(int at, int number, Container page)
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

    private void RemoveAt(int at)
    {
        Array.Copy(_pageNumbers, at + 1, _pageNumbers, at, _pageCount - at - 1);
        Array.Copy(_pages, at + 1, _pages, at, _pageCount - at - 1);
        _pageCount--;
        _pages[_pageCount] = default;
    }
}
