using System.Globalization;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Cohorts;

/// <summary>
/// Cohort percentages are the numbers bitmapist computes, <c>(n / size) * 100</c>, shown as it rounds them, Python's
/// <c>round(p, 2)</c>; bitmapist's CSV comes out byte for byte. The expected values were worked out from the exact binary
/// value of each double (written next to it), and the CSV texts by running bitmapist's get_dates_data and CSV template
/// logic (Python 3.11) on the same marks.
/// </summary>
public class CohortNumbersTests
{
    /// <summary>x, round(x, 2) as Python prints it, and why.</summary>
    public static TheoryData<double, string> RoundedToTwo() => new()
    {
        { 2.675, "2.67" },               // 2.67499999999999982236431605997495353221893310546875: below the tie (Math.Round says 2.68)
        { 1.005, "1.0" },                // 1.00499999999999989341858963598497211933135986328125: below
        { 1.115, "1.11" },               // 1.1149999999999999911182158029987476766109466552734375: below (Math.Round says 1.12)
        { 4.365, "4.37" },               // 4.3650000000000002131628207280300557613372802734375: above (Math.Round says 4.36)
        { 0.285, "0.28" },               // 0.284999999999999975575093458246556110680103302001953125
        { 0.125, "0.12" },               // exactly 1/8: a true tie, to the even 12
        { 0.375, "0.38" },               // exactly 3/8: a tie, to the even 38
        { 3.125, "3.12" },               // (1 / 32) * 100, exact: a tie
        { 9.375, "9.38" },               // (3 / 32) * 100, exact: a tie
        { 15.625, "15.62" },             // (5 / 32) * 100, exact: a tie ("0.##" formatting says 15.63)
        { 14.374999999999998, "14.37" }, // (23 / 160) * 100 = 14.3749999999999982236431605997495353221893310546875
        { 30.625000000000004, "30.63" }, // (49 / 160) * 100 = 30.625000000000003552713678800500929355621337890625
        { 0.005000000000000001, "0.01" },// (1 / 20000) * 100 = 0.005000000000000000104083408558608425664715468883514404296875
        { 0.004999999999999999, "0.0" }, // 0.00499999999999999923672167057020487845875322818756103515625
        { 100.0, "100.0" },
        { 0.0, "0.0" },
        { -0.001, "-0.0" },              // Python keeps the sign of a negative that rounds to zero
        { -2.675, "-2.67" },
        { 123.456, "123.46" },
        { 1e300, "1e+300" },             // an integer already: unchanged
        { 5e-324, "0.0" },               // the smallest subnormal
    };

    [Theory]
    [MemberData(nameof(RoundedToTwo))]
    public void Round_is_pythons_round_half_even_on_the_exact_binary_value(double x, string python)
    {
        var rounded = PythonFloat.Round(x, 2);
        PythonFloat.Repr(rounded).ShouldBe(python);
        rounded.ShouldBe(double.Parse(python, CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(2.675, 1, "2.7")]
    [InlineData(0.125, 1, "0.1")]  // 1.25 tenths: below half a tenth
    [InlineData(0.375, 1, "0.4")]
    [InlineData(15.625, 1, "15.6")]
    [InlineData(2.5, 0, "2.0")]    // ties to even with no decimals, a float still
    [InlineData(1.5, 0, "2.0")]
    [InlineData(0.5, 0, "0.0")]
    [InlineData(30.625000000000004, 0, "31.0")]
    public void Round_takes_other_digit_counts(double x, int digits, string python) =>
        PythonFloat.Repr(PythonFloat.Round(x, digits)).ShouldBe(python);

    [Theory]
    [InlineData(50.0, "50.0")]
    [InlineData(33.33333333333333, "33.33333333333333")]
    [InlineData(14.374999999999998, "14.374999999999998")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(1234.5, "1234.5")]
    [InlineData(0.001234, "0.001234")]
    [InlineData(0.0001, "0.0001")]          // decimal exponent -4: still fixed
    [InlineData(1e-5, "1e-05")]             // below -4: scientific, two exponent digits
    [InlineData(1.5e-7, "1.5e-07")]
    [InlineData(1e15, "1000000000000000.0")]// exponent 15: still fixed
    [InlineData(1e16, "1e+16")]             // 16: scientific
    [InlineData(123456789012345680.0, "1.2345678901234568e+17")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(-12.5, "-12.5")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void Repr_is_pythons_str_of_a_float(double x, string python) => PythonFloat.Repr(x).ShouldBe(python);

    [Theory]
    [InlineData(23, 160, 14.374999999999998)] // 100.0 * 23 / 160 is exactly 14.375
    [InlineData(49, 160, 30.625000000000004)] // 100.0 * 49 / 160 is exactly 30.625
    [InlineData(1, 3, 33.33333333333333)]     // 100.0 * 1 / 3 is 33.333333333333336
    [InlineData(5, 6, 83.33333333333334)]     // 100.0 * 5 / 6 is 83.33333333333333
    [InlineData(7, 9, 77.77777777777779)]     // 100.0 * 7 / 9 is 77.77777777777777
    [InlineData(0, 7, 0.0)]
    [InlineData(7, 7, 100.0)]
    public void A_percentage_is_n_over_size_times_100_in_that_order(long n, long size, double bitmapist) =>
        BitConverter.DoubleToInt64Bits(CohortTable.Percent(n, size)).ShouldBe(BitConverter.DoubleToInt64Bits(bitmapist));

    [Theory]
    [InlineData(14.374999999999998, "14.37")] // 15 significant digits would say 14.3750000000000, then 14.38
    [InlineData(30.625000000000004, "30.63")]
    [InlineData(15.625, "15.62")]
    [InlineData(50.0, "50")]
    [InlineData(12.5, "12.5")]
    [InlineData(33.33333333333333, "33.33")]
    public void Every_rendering_shows_a_percentage_rounded_as_bitmapist_rounds_it(double p, string shown) =>
        CohortFormat.Cell(p, CohortValues.Percent).ShouldBe(shown);

    /// <summary>
    /// Now is Wednesday 2026-03-04 12:00. 160 users sign up on Monday 03-02, 23 of them are active on 03-03 and 49 on 03-04;
    /// 3 sign up on 03-03 and one of them is active on 03-04; user 999 is active on 03-02 (a day with data that none of its
    /// cohort returned on); user 300 signs up on 02-25 and is active on 03-04, user 301 is active on 02-26.
    /// </summary>
    private static EmbeddedStore Seeded()
    {
        var store = new EmbeddedStore(new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 4, 12, 0, 0, TimeSpan.Zero)) });
        void Mark(string e, IEnumerable<long> ids, int month, int day)
        {
            foreach (var id in ids) store.Mark(e, id, new DateTime(2026, month, day, 10, 0, 0));
        }
        static IEnumerable<long> Ids(int from, int count) => Enumerable.Range(from, count).Select(i => (long)i);
        Mark("signup", Ids(0, 160), 3, 2);
        Mark("signup", [200, 201, 202], 3, 3);
        Mark("active", Ids(0, 23), 3, 3);
        Mark("active", Ids(0, 49), 3, 4);
        Mark("active", [200], 3, 4);
        Mark("active", [999], 3, 2);
        Mark("signup", [300], 2, 25);
        Mark("active", [301], 2, 26);
        Mark("active", [300], 3, 4);
        return store;
    }

    private static CohortTable Table(BitmapStore store, string text) =>
        store.CohortAsync(((CohortStatement)TextQuery.Parse(text).Single()).Query).GetAwaiter().GetResult();

    // Each expected text is what bitmapist's render_csv_data printed for get_dates_data on the same marks and clock.
    [Theory]
    [InlineData("cohort signup then active by day rows 3 cols 2",
        "Date,Total,0,1,2\n02 Mar 2026,160,0.0,14.37,30.63\n03 Mar 2026,3,0.0,33.33,\n04 Mar 2026,0,,,\n")]
    [InlineData("cohort signup then active by day rows 3 cols 2 counts",
        "Date,Total,0,1,2\n02 Mar 2026,160,0,23,49\n03 Mar 2026,3,0,1,\n04 Mar 2026,0,,,\n")]
    [InlineData("cohort signup then active by week rows 3 cols 1",
        "Date,Total,0,1\nWeek 07 18 Feb,0,,\nWeek 08 25 Feb,1,0.0,100.0\nWeek 09 04 Mar,163,30.67,\n")]
    [InlineData("cohort signup then active by month rows 2 cols 1",
        "Date,Total,0,1\n01 Feb,1,0.0,100.0\n01 Mar,163,30.67,\n")]
    [InlineData("cohort signup then active by year cols 1",
        "Date,Total,0,1\n2024,0,,\n2025,0,,\n2026,164,31.1,\n")]
    public void The_bitmapist_csv_style_is_bitmapists_csv_byte_for_byte(string statement, string bitmapist)
    {
        using var store = Seeded();
        CohortCsv.Render(Table(store, statement), CohortCsvStyle.Bitmapist).ShouldBe(bitmapist);
    }

    [Fact]
    public void The_plain_csv_keeps_iso_labels_and_json_keeps_the_exact_values()
    {
        using var store = Seeded();
        var table = Table(store, "cohort signup then active by day rows 3 cols 2");
        CohortCsv.Render(table).ShouldBe("Date,Total,0,1,2\n2026-03-02,160,0,14.37,30.63\n2026-03-03,3,0,33.33,\n2026-03-04,0,,,\n");
        var json = CohortJson.Render(table);
        json.ShouldContain("\"cells\":[0.0,14.374999999999998,30.625000000000004]");
        json.ShouldContain("\"cells\":[0.0,33.33333333333333,null]");
        // Averages are summed top to bottom and divided, as bitmapist's report does: (14.374999999999998 + 33.33333333333333) / 2.
        json.ShouldContain("\"average\":[0.0,23.854166666666664,30.625000000000004]");
    }
}
