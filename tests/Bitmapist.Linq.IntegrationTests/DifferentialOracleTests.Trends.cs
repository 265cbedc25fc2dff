using System.Globalization;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Testing;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Trends;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Random trends (plain, rolling, ratios) and funnels written in the text language, run on each store and
/// computed on the oracle's HashSets period by period: every row must be identical. The oracle never uses the
/// library's templates, ranges or covers: each row is the union, over the periods of its window, of the
/// template's sets in that one period (a template here is text plus a C# function of the period). "Now" is one of
/// the calendar edges of the set oracle (an ISO week across New Year, hour 0 or 23, a leap day) or a random
/// instant, and rows run back over month, ISO-week and year boundaries.
/// </summary>
public partial class DifferentialOracleTests
{
    /// <summary>A template as the text language writes it, and the same set in one period, built by hand.</summary>
    private sealed record Template(string Text, Func<Period, SetExpr> At);

    private static Template RandomTemplate(Random r)
    {
        // Mostly "a", which daily regulars keep non-empty in every period; "never" has no key at all.
        string Pick() => r.Next(5) < 2 ? "a" : Events[r.Next(Events.Length)];
        var (e, f) = (Pick(), Pick());
        var (en, fn) = (TextSyntax.Name(e), TextSyntax.Name(f));
        return r.Next(6) switch
        {
            0 => new($"{en} & unique(vip)", p => SetExpr.And(SetExpr.Event(e, p), SetExpr.Unique("vip"))),
            1 => new($"{en} | {fn}", p => SetExpr.Or(SetExpr.Event(e, p), SetExpr.Event(f, p))),
            2 => new($"{en} - unique(vip)", p => SetExpr.Diff(SetExpr.Event(e, p), SetExpr.Unique("vip"))),
            3 => new($"{en} & {fn}", p => SetExpr.And(SetExpr.Event(e, p), SetExpr.Event(f, p))),
            _ => new(en, p => SetExpr.Event(e, p)),
        };
    }

    private static readonly PeriodUnit[] SeriesUnits = [PeriodUnit.Hour, PeriodUnit.Day, PeriodUnit.Week, PeriodUnit.Month, PeriodUnit.Year];

    /// <summary>Rows, window and back-offset ranges per unit: enough to cross month, ISO-week and year edges.</summary>
    private static (int Rows, int Window, int Back) Reach(PeriodUnit unit) => unit switch
    {
        PeriodUnit.Hour => (48, 30, 24 * 12),
        PeriodUnit.Day => (40, 31, 380),
        PeriodUnit.Week => (20, 8, 54),
        PeriodUnit.Month => (14, 4, 13),
        _ => (3, 2, 1),
    };

    private static string Unit(PeriodUnit u) => u.ToString().ToLowerInvariant();

    /// <summary>The options shared by trends and funnels: rows, and a start (relative or a date) or none.</summary>
    private static (string Text, int Rows) RandomRows(Random r, PeriodUnit unit, Period current)
    {
        var (maxRows, _, back) = Reach(unit);
        var rows = r.Next(1, maxRows + 1);
        var text = string.Create(CultureInfo.InvariantCulture, $" rows {rows}");
        switch (r.Next(3))
        {
            case 0:
                text += string.Create(CultureInfo.InvariantCulture, $" from {-r.Next(0, back + 1)}");
                break;
            case 1:
                var start = current.Delta(-r.Next(0, back + 1)).Start;
                text += " from " + start.ToString(unit == PeriodUnit.Hour ? "yyyy-MM-dd'T'HH" : "yyyy-MM-dd", CultureInfo.InvariantCulture);
                break;
        }
        return (text, rows);
    }

    private static HashSet<uint> Union(SetOracle oracle, Template t, Period first, int periods)
    {
        var users = new HashSet<uint>();
        for (var i = 0; i < periods; i++) users.UnionWith(oracle.Eval(t.At(first.Delta(i))));
        return users;
    }

    [SkippableTheory]
    [MemberData(nameof(StoreKind.All), MemberType = typeof(StoreKind))]
    public Task Trends_and_funnels_match_the_hashset_oracle(string kind) => OracleSeed.RunAsync($"{nameof(Trends_and_funnels_match_the_hashset_oracle)}({kind})", async () =>
    {
        var r = OracleSeed.For(nameof(Trends_and_funnels_match_the_hashset_oracle));
        await using var store = await CreateStoreAsync(kind, r);
        var data = await OracleData.MarkAsync(store, kind, r);
        output.WriteLine($"seed {OracleSeed.Value}, now {data.Now:yyyy-MM-dd HH:mm}");
        var oracle = data.Oracle;
        var cases = OracleSeed.Iterations(kind == StoreKind.Embedded ? 150 : 30);
        int ratios = 0, rolling = 0, funnels = 0, nonZero = 0;
        for (var i = 0; i < cases; i++)
        {
            var unit = SeriesUnits[r.Next(SeriesUnits.Length)];
            var current = Period.Of(unit, data.Now);
            var (rowsText, rowCount) = RandomRows(r, unit, current);
            var maxWindow = Reach(unit).Window;
            if (r.Next(3) > 0)
            {
                var t = RandomTemplate(r);
                var window = r.Next(2) == 0 ? 1 : r.Next(2, maxWindow + 1);
                var text = $"trend {t.Text} by {Unit(unit)}{rowsText}" + (window > 1 ? $" window {window}" : "");
                Template? of = null;
                PeriodUnit ofUnit = unit;
                var ofWindow = 1;
                if (r.Next(3) == 0)
                {
                    of = RandomTemplate(r);
                    var wholes = SeriesUnits.Where(u => TrendRatio.Contains(u, unit)).ToArray();
                    ofUnit = wholes[r.Next(wholes.Length)];
                    ofWindow = r.Next(2) == 0 ? 1 : r.Next(2, Reach(ofUnit).Window + 1);
                    text += $" of {of.Text} by {Unit(ofUnit)}" + (ofWindow > 1 ? $" window {ofWindow}" : "");
                    ratios++;
                }
                if (window > 1) rolling++;
                var query = ((TrendStatement)TextQuery.Parse(text).Single()).Query;
                var table = await store.TrendAsync(query);
                table.Rows.Length.ShouldBe(rowCount, text);
                foreach (var row in table.Rows)
                {
                    var users = Union(oracle, t, row.Period.Delta(-(window - 1)), window);
                    var context = $"case {i}: {text}, row {row.Label} (seed {OracleSeed.Value})";
                    if (of is null)
                    {
                        row.Count.ShouldBe(users.Count, context);
                        row.Whole.ShouldBeNull(context);
                    }
                    else
                    {
                        var whole = Union(oracle, of, Period.Of(ofUnit, row.Period.Start).Delta(-(ofWindow - 1)), ofWindow);
                        row.Whole.ShouldBe(whole.Count, context);
                        row.Count.ShouldBe(users.Count(whole.Contains), context);
                        row.Percent.ShouldBe(whole.Count == 0 ? null : 100.0 * row.Count / whole.Count, context);
                    }
                    if (row.Count > 0) nonZero++;
                }
            }
            else
            {
                var steps = Enumerable.Range(0, r.Next(2, 5)).Select(_ => RandomTemplate(r)).ToList();
                var within = r.Next(2) == 0 ? 1 : r.Next(2, maxWindow + 1);
                var text = $"funnel {string.Join(" then ", steps.Select(s => s.Text))} by {Unit(unit)}{rowsText}" + (within > 1 ? $" within {within}" : "");
                funnels++;
                var query = ((FunnelStatement)TextQuery.Parse(text).Single()).Query;
                var table = await store.FunnelAsync(query);
                table.Rows.Length.ShouldBe(rowCount, text);
                foreach (var row in table.Rows)
                {
                    var users = oracle.Eval(steps[0].At(row.Period));
                    var expected = new List<long> { users.Count };
                    foreach (var step in steps.Skip(1))
                    {
                        users.IntersectWith(Union(oracle, step, row.Period, within));
                        expected.Add(users.Count);
                    }
                    row.Counts.ToList().ShouldBe(expected, $"case {i}: {text}, row {row.Label} (seed {OracleSeed.Value})");
                    if (row.Counts[^1] > 0) nonZero++;
                }
            }
        }
        output.WriteLine($"{cases} cases: {ratios} ratios, {rolling} rolling, {funnels} funnels, {nonZero} rows not empty");
        // A test whose rows are all empty proves nothing: the marks must reach the rows.
        nonZero.ShouldBeGreaterThan(cases);
    });
}
