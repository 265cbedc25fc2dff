using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Tests.Query;

/// <summary>
/// Operators print only when asked, and compare and hash by their children: two sets are equal exactly when they
/// print the same, whether or not either was printed first.
/// </summary>
public class IdentityTests
{
    private static SetExpr A => SetExpr.Key("a");
    private static SetExpr B => SetExpr.Key("b");
    private static SetExpr C => SetExpr.Key("c");

    public static TheoryData<SetExpr, SetExpr> Equal() => new()
    {
        { (A & B) - C, (A & B) - C },
        { ~(A | B), ~(A | B) },
        { A ^ (B & C), A ^ (B & C) },
    };

    public static TheoryData<SetExpr, SetExpr> Different() => new()
    {
        { A & B, A | B },         // same children, other operator
        { A & B, B & A },         // order is part of the text until the optimizer sorts it
        { (A - B) - C, A - (B - C) },
        { SetExpr.Diff(A, B, C), SetExpr.Diff(A, SetExpr.Or(B, C)) },
        { ~A, ~(A & A) },
    };

    [Theory]
    [MemberData(nameof(Equal))]
    public void Separately_built_equal_sets_are_equal_printed_or_not(SetExpr x, SetExpr y)
    {
        x.ShouldNotBeSameAs(y);
        x.Equals(y).ShouldBeTrue();
        x.GetHashCode().ShouldBe(y.GetHashCode());
        _ = x.Text; // one printed, the other not
        x.Equals(y).ShouldBeTrue();
        y.Text.ShouldBe(x.Text);
        x.Equals(y).ShouldBeTrue();
        x.CompareTo(y).ShouldBe(0);
    }

    [Theory]
    [MemberData(nameof(Different))]
    public void Sets_that_print_differently_differ(SetExpr x, SetExpr y)
    {
        x.Equals(y).ShouldBeFalse();
        x.Text.ShouldNotBe(y.Text);
        x.Equals(y).ShouldBeFalse();
    }
}
