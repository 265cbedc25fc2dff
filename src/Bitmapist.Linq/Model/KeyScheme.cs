using System.Text.RegularExpressions;

namespace Bitmapist.Linq.Model;

/// <summary>
/// bitmapist's key layout, exactly: <c>{prefix}{event}_{suffix}</c>, e.g. <c>trackist_active_2026-11</c>.
/// The event name is inserted verbatim; the suffix comes from <see cref="Period.KeySuffix"/>.
/// Temporary keys of this library live in a reserved namespace under the same prefix
/// (<c>{prefix}bitop_tmp:</c>) that bitmapist's own event listing already skips.
/// </summary>
public sealed partial class KeyScheme : IEquatable<KeyScheme>
{
    /// <summary>bitmapist 3's fixed prefix, and this library's default.</summary>
    public const string BitmapistPrefix = "trackist_";

    /// <summary>bitmapist4's default prefix.</summary>
    public const string Bitmapist4Prefix = "bitmapist_";

    /// <summary>The default scheme (<c>trackist_</c>).</summary>
    public static KeyScheme Default { get; } = new(BitmapistPrefix);

    /// <summary>Creates a scheme with any prefix (may be empty).</summary>
    public KeyScheme(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
        TemporaryNamespace = prefix + "bitop_tmp:";
    }

    /// <summary>The prefix of every key.</summary>
    public string Prefix { get; }

    /// <summary>Where temporaries and result leases live: <c>{prefix}bitop_tmp:</c>.</summary>
    public string TemporaryNamespace { get; }

    /// <summary>The single key of <paramref name="eventName"/> in a month, week, day, hour or unique period.</summary>
    /// <exception cref="InvalidOperationException">The period is a year (use <see cref="KeysFor"/>).</exception>
    public string Key(string eventName, Period period)
    {
        ValidateEventName(eventName);
        return $"{Prefix}{eventName}_{period.KeySuffix}";
    }

    /// <summary>The stored keys whose OR is the event's set in <paramref name="period"/>: the 12 months of a year, else one key.</summary>
    public IReadOnlyList<string> KeysFor(string eventName, Period period) =>
        period.StoredPeriods().Select(p => Key(eventName, p)).ToArray();

    /// <summary>The keys one mark of <paramref name="eventName"/> at <paramref name="at"/> writes: month, ISO week and day, plus hour and unique when <paramref name="tracking"/> says so.</summary>
    public IReadOnlyList<string> KeysForMark(string eventName, DateTime at, Tracking.TrackingOptions tracking) =>
        [.. Tracking.MarkKeys.For(this, eventName, at, tracking)];

    /// <summary>The SCAN pattern matching every key of the events whose names start with <paramref name="namePrefix"/>.</summary>
    public string ScanPattern(string namePrefix = "") => EscapeGlob(Prefix + namePrefix) + "*";

    /// <summary>The SCAN pattern of this scheme's temporary keys.</summary>
    public string TemporaryPattern => EscapeGlob(TemporaryNamespace) + "*";

    /// <summary>
    /// Splits a stored key into its event name and period, or returns false for keys that are not event
    /// keys of this scheme (other prefixes, bitmapist's <c>bitop_</c> results, our temporaries).
    /// </summary>
    public bool TryParse(string key, out string eventName, out Period period)
    {
        eventName = "";
        period = default;
        if (!key.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = key.AsSpan(Prefix.Length);
        if (rest.StartsWith("bitop_", StringComparison.Ordinal)) return false;
        var sep = rest.LastIndexOf('_');
        if (sep <= 0) return false;
        var suffix = rest[(sep + 1)..].ToString();
        if (!TryParseSuffix(suffix, out period)) return false;
        eventName = rest[..sep].ToString();
        // Only keys this scheme would write: bitmapist never zero-pads, so "2026-01" is someone else's key.
        return string.Equals(Key(eventName, period), key, StringComparison.Ordinal);
    }

    private static bool TryParseSuffix(string suffix, out Period period)
    {
        period = default;
        if (suffix == "u")
        {
            period = Period.Unique;
            return true;
        }
        var m = SuffixPattern().Match(suffix);
        if (!m.Success) return false;
        try
        {
            var n = m.Groups["n"].Captures.Select(c => int.Parse(c.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            if (m.Groups["w"].Success)
            {
                if (n.Length != 2) return false;
                period = Period.Week(n[0], n[1]);
                return true;
            }
            period = n.Length switch
            {
                2 => Period.Month(n[0], n[1]),
                3 => Period.Day(n[0], n[1], n[2]),
                4 => Period.Hour(n[0], n[1], n[2], n[3]),
                _ => default,
            };
            return n.Length is >= 2 and <= 4;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // looks like a suffix but names no real date: not one of our keys
        }
    }

    internal static void ValidateEventName(string eventName)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (eventName.Length == 0) throw new ArgumentException("An event name cannot be empty.", nameof(eventName));
        // Listing prints one event per line: a newline in a name would list as two events that do not exist.
        if (Printable.FirstUnprintable(eventName) is var at and >= 0)
            throw new ArgumentException(
                $"The event name '{Printable.Escape(eventName)}' holds a control character (at position {at + 1}); event names cannot contain newlines or other control characters.",
                nameof(eventName));
        // Its keys would start with {prefix}bitop_, which bitmapist and this library treat as result keys:
        // the event would be invisible to listing and could be taken for a temporary.
        if (eventName == "bitop" || eventName.StartsWith("bitop_", StringComparison.Ordinal))
            throw new ArgumentException($"The event name '{eventName}' is reserved: keys starting with 'bitop_' are bit-operation results. Choose another name.", nameof(eventName));
    }

    /// <summary><paramref name="s"/> with Redis' glob characters escaped, so a pattern matches it literally.</summary>
    internal static string EscapeGlob(string s) => GlobSpecial().Replace(s, @"\$0");

    [GeneratedRegex(@"^(?<w>W)?(?<n>[0-9]{1,9})(-(?<n>[0-9]{1,9})){1,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex SuffixPattern();

    [GeneratedRegex(@"[\\*?\[\]]")]
    private static partial Regex GlobSpecial();

    /// <inheritdoc />
    public bool Equals(KeyScheme? other) => other is not null && other.Prefix == Prefix;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as KeyScheme);

    /// <inheritdoc />
    public override int GetHashCode() => Prefix.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => $"KeyScheme({Prefix})";
}
