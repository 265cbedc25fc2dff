using Bitmapist.Linq.Model;

namespace Bitmapist.Linq.Tests.Model;

/// <summary>bitmapist's exact key layout: building keys, parsing them back, SCAN patterns and the temporary namespace.</summary>
public class KeySchemeTests
{
    private static readonly KeyScheme Keys = KeyScheme.Default;
    private static readonly DateTime ActiveAt = new(2026, 11, 28, 14, 5, 0);

    // ---- Building keys ----

    [Fact]
    public void Default_scheme_uses_the_bitmapist_3_prefix()
    {
        KeyScheme.BitmapistPrefix.ShouldBe("trackist_");
        KeyScheme.Default.Prefix.ShouldBe("trackist_");
        KeyScheme.Bitmapist4Prefix.ShouldBe("bitmapist_");
    }

    [Fact]
    public void Active_at_2026_11_28_14_05_has_the_documented_keys()
    {
        Keys.Key("active", Period.Of(PeriodUnit.Month, ActiveAt)).ShouldBe("trackist_active_2026-11");
        Keys.Key("active", Period.Of(PeriodUnit.Week, ActiveAt)).ShouldBe("trackist_active_W2026-48");
        Keys.Key("active", Period.Of(PeriodUnit.Day, ActiveAt)).ShouldBe("trackist_active_2026-11-28");
        Keys.Key("active", Period.Of(PeriodUnit.Hour, ActiveAt)).ShouldBe("trackist_active_2026-11-28-14");
        Keys.Key("active", Period.Unique).ShouldBe("trackist_active_u");
    }

    [Fact]
    public void Early_january_keys_are_not_zero_padded()
    {
        var t = new DateTime(2026, 1, 5, 9, 7, 0);
        Keys.Key("active", Period.Of(PeriodUnit.Month, t)).ShouldBe("trackist_active_2026-1");
        Keys.Key("active", Period.Of(PeriodUnit.Day, t)).ShouldBe("trackist_active_2026-1-5");
        Keys.Key("active", Period.Of(PeriodUnit.Hour, t)).ShouldBe("trackist_active_2026-1-5-9");
        Keys.Key("active", Period.Of(PeriodUnit.Week, t)).ShouldBe("trackist_active_W2026-2");
    }

    [Fact]
    public void Bitmapist4_scheme_uses_its_prefix()
    {
        var keys = new KeyScheme(KeyScheme.Bitmapist4Prefix);
        keys.Key("active", Period.Day(2026, 11, 28)).ShouldBe("bitmapist_active_2026-11-28");
        keys.Key("active", Period.Unique).ShouldBe("bitmapist_active_u");
        keys.TemporaryNamespace.ShouldBe("bitmapist_bitop_tmp:");
    }

    [Fact]
    public void Custom_and_empty_prefixes_are_used_verbatim()
    {
        new KeyScheme("app:").Key("signup", Period.Month(2026, 3)).ShouldBe("app:signup_2026-3");
        new KeyScheme("").Key("signup", Period.Month(2026, 3)).ShouldBe("signup_2026-3");
        Should.Throw<ArgumentNullException>(() => new KeyScheme(null!));
    }

    [Theory]
    [InlineData("song:played")]
    [InlineData("song_played")]
    [InlineData("sign-up")]
    [InlineData("added to cart")]
    [InlineData("a_b:c-d e")]
    [InlineData("u")]
    [InlineData("x_2026-1")]
    [InlineData("ünïcødé ☃")]
    public void Event_names_are_inserted_verbatim(string eventName)
    {
        Keys.Key(eventName, Period.Day(2026, 1, 5)).ShouldBe($"trackist_{eventName}_2026-1-5");
    }

    [Fact]
    public void Empty_or_null_event_names_are_rejected()
    {
        Should.Throw<ArgumentException>(() => Keys.Key("", Period.Day(2026, 1, 5)));
        Should.Throw<ArgumentNullException>(() => Keys.Key(null!, Period.Day(2026, 1, 5)));
    }

    [Fact]
    public void A_year_has_no_single_key_but_twelve_month_keys()
    {
        Should.Throw<InvalidOperationException>(() => Keys.Key("active", Period.Year(2026)));
        Keys.KeysFor("active", Period.Year(2026)).ShouldBe(Enumerable.Range(1, 12).Select(m => $"trackist_active_2026-{m}"));
    }

    [Fact]
    public void KeysFor_any_other_period_is_its_one_key()
    {
        Keys.KeysFor("active", Period.Week(2026, 53)).ShouldBe(["trackist_active_W2026-53"]);
        Keys.KeysFor("active", Period.Hour(2026, 1, 1, 0)).ShouldBe(["trackist_active_2026-1-1-0"]);
        Keys.KeysFor("active", Period.Unique).ShouldBe(["trackist_active_u"]);
    }

    // ---- Parsing keys ----

    public static TheoryData<string, string, int, int[]> ParseCases() => new()
    {
        { "trackist_active_2026-11", "active", (int)PeriodUnit.Month, [2026, 11] },
        { "trackist_active_W2026-48", "active", (int)PeriodUnit.Week, [2026, 48] },
        { "trackist_active_W2026-53", "active", (int)PeriodUnit.Week, [2026, 53] },
        { "trackist_active_2026-11-28", "active", (int)PeriodUnit.Day, [2026, 11, 28] },
        { "trackist_active_2026-11-28-14", "active", (int)PeriodUnit.Hour, [2026, 11, 28, 14] },
        { "trackist_active_2026-1-5-0", "active", (int)PeriodUnit.Hour, [2026, 1, 5, 0] },
        { "trackist_active_u", "active", (int)PeriodUnit.Unique, [] },
        { "trackist_song:played_2026-1", "song:played", (int)PeriodUnit.Month, [2026, 1] },
        { "trackist_song_played_2026-1-5", "song_played", (int)PeriodUnit.Day, [2026, 1, 5] },
        { "trackist_sign-up_W2025-1", "sign-up", (int)PeriodUnit.Week, [2025, 1] },
        { "trackist_added to cart_u", "added to cart", (int)PeriodUnit.Unique, [] },
        { "trackist_a_b:c-d e_2026-12-31-23", "a_b:c-d e", (int)PeriodUnit.Hour, [2026, 12, 31, 23] },
        { "trackist_x_2026-1_2026-2", "x_2026-1", (int)PeriodUnit.Month, [2026, 2] },
        { "trackist_x_u_u", "x_u", (int)PeriodUnit.Unique, [] },
        { "trackist_a__2026-2", "a_", (int)PeriodUnit.Month, [2026, 2] },
        { "trackist__a_2026-2", "_a", (int)PeriodUnit.Month, [2026, 2] },
        { "trackist_bitopx_2026-2", "bitopx", (int)PeriodUnit.Month, [2026, 2] },
    };

    private static Period Expected(PeriodUnit unit, int[] n) => unit switch
    {
        PeriodUnit.Month => Period.Month(n[0], n[1]),
        PeriodUnit.Week => Period.Week(n[0], n[1]),
        PeriodUnit.Day => Period.Day(n[0], n[1], n[2]),
        PeriodUnit.Hour => Period.Hour(n[0], n[1], n[2], n[3]),
        _ => Period.Unique,
    };

    [Theory]
    [MemberData(nameof(ParseCases))]
    public void TryParse_splits_event_name_and_period(string key, string eventName, int unit, int[] fields)
    {
        Keys.TryParse(key, out var e, out var p).ShouldBeTrue(key);
        e.ShouldBe(eventName);
        p.ShouldBe(Expected((PeriodUnit)unit, fields));
        Keys.Key(e, p).ShouldBe(key); // and it is the key this scheme builds
    }

    [Theory]
    [InlineData("bitmapist_active_2026-11")]        // another prefix
    [InlineData("Trackist_active_2026-11")]         // prefixes are case-sensitive
    [InlineData("active_2026-11")]                  // no prefix
    [InlineData("trackist_bitop_AND_trackist_a_2026-1-trackist_b_2026-1")] // bitmapist's own results
    [InlineData("trackist_bitop_OR_trackist_active_2026-11")]
    [InlineData("trackist_bitop_tmp:42")]           // our temporaries
    [InlineData("trackist_bitop_tmp:abc_2026-1")]
    [InlineData("trackist_bitop_tmp:lease_u")]
    [InlineData("trackist_active")]                 // no suffix at all
    [InlineData("trackist_active_")]                // empty suffix
    [InlineData("trackist__2026-11")]               // empty event name
    [InlineData("trackist_active_2026")]            // there is no year key
    [InlineData("trackist_active_W2026")]
    [InlineData("trackist_active_2026-13")]         // no month 13
    [InlineData("trackist_active_2026-0")]
    [InlineData("trackist_active_2026-2-29")]       // 2026 is not a leap year
    [InlineData("trackist_active_2026-1-1-24")]     // hours are 0-23
    [InlineData("trackist_active_2026-1-1-1-1")]    // too many fields
    [InlineData("trackist_active_W2025-53")]        // 2025 has 52 ISO weeks
    [InlineData("trackist_active_W2026-0")]
    [InlineData("trackist_active_W2026-1-1")]       // weeks have two fields
    [InlineData("trackist_active_0-1")]             // year 0 does not exist
    [InlineData("trackist_active_10000-1")]         // nor does year 10000 in DateTime
    [InlineData("trackist_active_999999999-1-1")]
    [InlineData("trackist_active_2026-11x")]
    [InlineData("trackist_active_2026--11")]
    [InlineData("trackist_active_-2026-11")]
    [InlineData("trackist_active_2026-11 ")]
    [InlineData("trackist_active_ 2026-11")]
    [InlineData("trackist_active_U")]
    [InlineData("trackist_active_uu")]
    [InlineData("trackist_active_w2026-1")]         // the week marker is an upper-case W
    [InlineData("trackist_active_2026-11_")]
    [InlineData("trackist_")]
    [InlineData("")]
    public void TryParse_rejects_keys_that_are_not_event_keys_of_the_scheme(string key)
    {
        Keys.TryParse(key, out var e, out _).ShouldBeFalse(key);
        e.ShouldBe("");
    }

    [Theory]
    [InlineData("trackist_active_2026-01")]
    [InlineData("trackist_active_2026-1-05")]
    [InlineData("trackist_active_2026-1-5-09")]
    [InlineData("trackist_active_W2026-02")]
    [InlineData("trackist_active_02026-1")]
    public void TryParse_rejects_zero_padded_suffixes_because_bitmapist_never_writes_them(string key)
    {
        // bitmapist never zero-pads, so "2026-01" is not the key of January 2026 ("2026-1" is). Accepting it would
        // map two different Redis keys to one (event, period), and Key(event, period) would then name another key.
        var parsed = Keys.TryParse(key, out var e, out var p);
        if (parsed) Keys.Key(e, p).ShouldBe(key, $"TryParse accepted {key} as ({e}, {p})");
    }

    [Theory]
    [InlineData("trackist_active_٢٠٢٦-١١")]  // Arabic-Indic digits match \d in .NET regexes
    [InlineData("trackist_active_２０２６-１")] // full-width digits
    [InlineData("trackist_active_W२०२६-१")]   // Devanagari digits
    public void TryParse_returns_false_and_does_not_throw_on_non_ascii_digits(string key)
    {
        var parsed = true;
        Should.NotThrow(() => parsed = Keys.TryParse(key, out _, out _));
        parsed.ShouldBeFalse();
    }

    [Fact]
    public void TryParse_with_the_bitmapist4_scheme_rejects_bitmapist_3_keys_and_vice_versa()
    {
        var b4 = new KeyScheme(KeyScheme.Bitmapist4Prefix);
        b4.TryParse("bitmapist_active_2026-11", out var e, out var p).ShouldBeTrue();
        e.ShouldBe("active");
        p.ShouldBe(Period.Month(2026, 11));
        b4.TryParse("trackist_active_2026-11", out _, out _).ShouldBeFalse();
        b4.TryParse("bitmapist_bitop_tmp:1", out _, out _).ShouldBeFalse();
        Keys.TryParse("bitmapist_active_2026-11", out _, out _).ShouldBeFalse();
    }

    [Fact]
    public void TryParse_with_an_empty_prefix_still_skips_bitop_keys()
    {
        var bare = new KeyScheme("");
        bare.TryParse("active_2026-11", out var e, out var p).ShouldBeTrue();
        e.ShouldBe("active");
        p.ShouldBe(Period.Month(2026, 11));
        bare.TryParse("bitop_tmp:1", out _, out _).ShouldBeFalse();
        bare.TryParse("bitop_AND_a_2026-1", out _, out _).ShouldBeFalse();
    }

    [Fact]
    public void Every_unit_round_trips_for_awkward_event_names()
    {
        string[] names = ["active", "song:played", "song_played", "sign-up", "added to cart", "a_b:c-d e", "_", "-", ":", " ", "x_u", "x_W2026-1", "ünïcødé ☃"];
        Period[] periods =
        [
            Period.Month(2026, 11), Period.Month(1, 1), Period.Month(9999, 12),
            Period.Week(2026, 53), Period.Week(2025, 1), Period.Week(2014, 1),
            Period.Day(2024, 2, 29), Period.Hour(2026, 11, 28, 0), Period.Hour(2026, 11, 28, 23), Period.Unique,
        ];
        foreach (var prefix in new[] { KeyScheme.BitmapistPrefix, KeyScheme.Bitmapist4Prefix, "x:", "" })
        {
            var keys = new KeyScheme(prefix);
            foreach (var name in names)
                foreach (var period in periods)
                {
                    var key = keys.Key(name, period);
                    keys.TryParse(key, out var e, out var p).ShouldBeTrue(key);
                    e.ShouldBe(name, key);
                    p.ShouldBe(period, key);
                }
        }
    }

    // ---- SCAN patterns and the temporary namespace ----

    [Fact]
    public void ScanPattern_lists_every_key_under_the_prefix()
    {
        Keys.ScanPattern().ShouldBe("trackist_*");
        Keys.ScanPattern("sign").ShouldBe("trackist_sign*");
        new KeyScheme(KeyScheme.Bitmapist4Prefix).ScanPattern().ShouldBe("bitmapist_*");
    }

    [Fact]
    public void ScanPattern_escapes_glob_characters_in_prefix_and_name_prefix()
    {
        Keys.ScanPattern("a*b?c[d]e\\f").ShouldBe(@"trackist_a\*b\?c\[d\]e\\f*");
        new KeyScheme("app[1]:").ScanPattern().ShouldBe(@"app\[1\]:*");
        Keys.ScanPattern("song:played-x y_z").ShouldBe("trackist_song:played-x y_z*"); // nothing else is special
    }

    [Fact]
    public void Temporaries_live_in_the_bitop_tmp_namespace_that_bitmapist_listing_skips()
    {
        Keys.TemporaryNamespace.ShouldBe("trackist_bitop_tmp:");
        Keys.TemporaryPattern.ShouldBe("trackist_bitop_tmp:*");
        new KeyScheme("a*").TemporaryPattern.ShouldBe(@"a\*bitop_tmp:*");
        Keys.TemporaryNamespace.ShouldStartWith(Keys.Prefix + "bitop_");
    }

    [Fact]
    public void Schemes_are_equal_by_prefix()
    {
        new KeyScheme("trackist_").ShouldBe(KeyScheme.Default);
        new KeyScheme("trackist_").GetHashCode().ShouldBe(KeyScheme.Default.GetHashCode());
        new KeyScheme("bitmapist_").ShouldNotBe(KeyScheme.Default);
        KeyScheme.Default.Equals(null).ShouldBeFalse();
        KeyScheme.Default.ToString().ShouldContain("trackist_");
    }

    [Theory]
    [InlineData("bitop")]
    [InlineData("bitop_AND")]
    public void Event_names_that_would_look_like_result_keys_are_refused(string name)
    {
        Should.Throw<ArgumentException>(() => KeyScheme.Default.Key(name, Period.Month(2026, 11))).Message.ShouldContain("reserved");
    }
}
