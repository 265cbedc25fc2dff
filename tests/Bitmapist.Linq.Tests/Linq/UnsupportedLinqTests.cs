using System.Reflection;
using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tests.Linq;

/// <summary>Every shape that cannot become a bitmap plan fails at translation, quoting it, saying why and what to write.</summary>
[Collection(DefaultStoreCollection.Name)]
public class UnsupportedLinqTests
{
    private readonly EmbeddedStore _store = new();

    private static UnsupportedQueryException Refused(UserSet query) => Should.Throw<UnsupportedQueryException>(() => query.ToSetExpr());

    [Fact]
    public void Arithmetic_on_the_user_id()
    {
        var e = Refused(_store.Month("a").Where(u => u % 2 == 0));
        e.Piece.ShouldBe("((u % 2) == 0)");
        e.Why.ShouldContain("membership");
        e.Fix.ShouldContain("Contains(u)");
    }

    [Fact]
    public void A_call_to_an_unknown_method()
    {
        var e = Refused(_store.Month("a").Where(u => u.ToString() == "42"));
        e.Piece.ShouldContain("ToString()");
        e.Message.ShouldContain("Cannot translate");
    }

    [Fact]
    public void A_comparison()
    {
        Refused(_store.Month("a").Where(u => u > 100)).Piece.ShouldBe("(u > 100)");
    }

    [Fact]
    public void A_set_from_another_store()
    {
        var other = new EmbeddedStore(new StoreOptions { Name = "analytics" });
        var e = Refused(_store.Month("a").Where(u => other.Week("b").Contains(u)));
        e.Why.ShouldContain("another store ('analytics')");
        e.Fix.ShouldContain("same store");
        Should.Throw<InvalidOperationException>(() => _store.Month("a") & other.Month("a")).Message.ShouldContain("different stores");
    }

    [Fact]
    public void A_projection()
    {
        var e = Refused(_store.Month("a").Where(u => _store.Week("b").Where(v => v == 1).Contains(u + 1)));
        e.Message.ShouldContain("Cannot translate");
    }

    [Fact]
    public void A_predicate_on_a_terminal_operator_through_IQueryable()
    {
        IQueryable<long> q = _store.Month("a");
        var e = Should.Throw<UnsupportedQueryException>(() => q.Count(u => u > 5));
        e.Why.ShouldContain("test ids in the client");
        e.Fix.ShouldContain("Where(");
    }

    [Fact]
    public void A_query_of_another_provider()
    {
        var list = new List<long> { 1, 2 }.AsQueryable();
        var e = Refused(_store.Month("a").Where(u => list.Contains(u)));
        e.Why.ShouldContain("another LINQ provider");
    }

    [Fact]
    public void A_delegate_predicate_does_not_compile()
    {
        // set.Where(Func<long, bool>) would bind to Enumerable.Where and read every id; it is a compile error instead.
        foreach (var name in new[] { nameof(UserSet.Where), nameof(UserSet.Count), nameof(UserSet.Any) })
        {
            var blocker = typeof(UserSet).GetMethods().Single(m => m.Name == name && m.IsGenericMethodDefinition);
            blocker.GetGenericArguments()[0].GetGenericParameterConstraints().ShouldBe([typeof(Delegate)]);
            var obsolete = blocker.GetCustomAttribute<ObsoleteAttribute>().ShouldNotBeNull();
            obsolete.IsError.ShouldBeTrue();
            obsolete.Message.ShouldNotBeNull().ShouldContain("Func<long, bool>");
        }
    }

    [Fact]
    public void Ids_outside_the_range()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => _store.Month("a").Where(u => u == -1).ToSetExpr());
        Should.Throw<ArgumentOutOfRangeException>(() => _store.Month("a").Contains(1L << 32));
    }

    [Fact]
    public void No_default_store()
    {
        // Events without a configured store says how to configure one.
        var field = typeof(Events).GetField("_default", BindingFlags.NonPublic | BindingFlags.Static)!;
        var before = field.GetValue(null);
        try
        {
            field.SetValue(null, null);
            Should.Throw<InvalidOperationException>(() => Events.Month("a")).Message.ShouldContain("Events.DefaultStore =");
        }
        finally
        {
            field.SetValue(null, before);
        }
    }
}
