using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Text;

namespace Bitmapist.Linq.Tests.Query;

/// <summary>Every node prints in the text language, and the text reads back as the same node.</summary>
public class PrinterTests
{
    [Theory]
    [MemberData(nameof(Cases))]
    public void Prints_and_reads_back(string expected, SetExpr expr)
    {
        expr.Text.ShouldBe(expected);
        TextQuery.ParseSet(expr.Text).ShouldBe(expr);
    }

    public static TheoryData<string, SetExpr> Cases() => new()
    {
        { "day(active, 0..+1000)", SetExpr.Range("active", PeriodRef.Relative(PeriodUnit.Day), PeriodRef.Relative(PeriodUnit.Day, 1000)) },
        { "all day(active, -6..0)", SetExpr.Range("active", PeriodRef.Relative(PeriodUnit.Day, -6), PeriodRef.Relative(PeriodUnit.Day), RangeMode.All) },
        { "year(active, 0999)", SetExpr.Event("active", Period.Year(999)) },
        { "week(active, 0999-W05)", SetExpr.Event("active", Period.Week(999, 5)) },
        { "month(active, +2)", SetExpr.Event("active", PeriodRef.Relative(PeriodUnit.Month, 2)) },
        { "unique(premium)", SetExpr.Event("premium", PeriodRef.Relative(PeriodUnit.Unique, 3)) },
        { "month('song played')", SetExpr.Event("song played", PeriodRef.Relative(PeriodUnit.Month)) },
        { "(key('trackist_a_2026-11') - {1, 2})", SetExpr.Key("trackist_a_2026-11") - SetExpr.Ids([2, 1, 2]) },
        { "{'alice', 'o''brien'}", SetExpr.ExternalIds(["o'brien", "alice", "o'brien"]) },
        { "(month(active) - {'a b'})", SetExpr.Event("active", PeriodRef.Relative(PeriodUnit.Month)) - SetExpr.ExternalIds(["a b"]) },
    };

    [Fact]
    public void An_empty_literal_is_the_empty_set()
    {
        SetExpr.Ids([]).ShouldBeSameAs(SetExpr.Empty);
        Should.Throw<ArgumentException>(() => new IdsNode([])).Message.ShouldContain("SetExpr.Empty");
    }
}
