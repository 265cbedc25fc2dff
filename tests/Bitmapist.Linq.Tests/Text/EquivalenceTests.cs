using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Tests.Text;

/// <summary>A text query and its LINQ twin give the same optimized plan.</summary>
public class EquivalenceTests
{
    private static readonly EmbeddedStore Store = new(new StoreOptions
    {
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 14, 5, 0, TimeSpan.Zero)),
    });

    private static readonly Dictionary<string, Func<EmbeddedStore, UserSet>> Pairs = new()
    {
        ["month(active) & week('song:played')"] = s => s.Month("active").Where(u => s.Week("song:played").Contains(u)),
        ["month(active, 2026-11)"] = s => s.Month("active", 2026, 11),
        ["month(active, -1)"] = s => s.Month("active").Previous(),
        ["month(active) and week(active)"] = s => s.Month("active").Intersect(s.Week("active")),
        ["month(active) | month(signup)"] = s => s.Month("active").Union(s.Month("signup")),
        ["month(active) or month(signup)"] = s => s.Month("active") | s.Month("signup"),
        ["month(active) - unique(premium)"] = s => s.Month("active").Where(u => !s.Unique("premium").Contains(u)),
        ["month(active) - unique(premium) - {1, 2}"] = s => s.Month("active").Except(s.Unique("premium")).Except(s.Ids(1, 2)),
        ["day(active) ^ day(active, -1)"] = s => s.Day("active") ^ s.Day("active").Previous(),
        ["week(active, 2026-W48) & day(active, 2026-11-28)"] = s => s.Week("active", 2026, 48) & s.Day("active", 2026, 11, 28),
        ["year(signup, 2026) & hour(active)"] = s => s.Year("signup", 2026) & s.Hour("active"),
        ["month(active) & (week(a) | week(b))"] = s => s.Month("active").Where(u => s.Week("a").Contains(u) || s.Week("b").Contains(u)),
    };

    public static TheoryData<string> Texts() => [.. Pairs.Keys];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Text_and_linq_give_the_same_plan(string text)
    {
        var fromText = TextQuery.ParseSet(text);
        var fromLinq = Pairs[text](Store).ToSetExpr();
        Store.Plan(new SetQuery(fromText, ReadKind.Count)).Optimized
            .ShouldBe(Store.Plan(new SetQuery(fromLinq, ReadKind.Count)).Optimized, $"{fromText} vs {fromLinq}");
    }
}
