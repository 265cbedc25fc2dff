using System.Linq.Expressions;
using Bitmapist.Linq.Linq;

namespace Bitmapist.Linq.Tests.Linq;

/// <summary>
/// The LINQ provider's reflection, rewritten so that a Native AOT build can run it (no MakeGenericMethod, no delegate
/// type made at run time), still finds what it found before.
/// </summary>
public class AotPathTests
{
    [Theory]
    [InlineData(nameof(Queryable.Where), typeof(Expression<Func<long, bool>>))]
    [InlineData(nameof(Queryable.Select), typeof(Expression<Func<long, long>>))]
    [InlineData(nameof(Queryable.Intersect), typeof(IEnumerable<long>))]
    [InlineData(nameof(Queryable.Union), typeof(IEnumerable<long>))]
    [InlineData(nameof(Queryable.Except), typeof(IEnumerable<long>))]
    public void Queryable_methods_are_the_overloads_over_long(string name, Type argument)
    {
        // The lookup the method groups replaced: by name, two parameters, closed over long, the second of this type.
        var expected = typeof(Queryable).GetMethods()
            .Where(m => m.Name == name && m.GetParameters().Length == 2)
            .Select(m => m.GetGenericArguments().Length == 1 ? m.MakeGenericMethod(typeof(long)) : m.MakeGenericMethod(typeof(long), typeof(long)))
            .First(m => m.GetParameters()[1].ParameterType == argument);
        QueryableMethods.Get(name).ShouldBe(expected);
    }

    [Fact]
    public void An_interpreted_value_reads_the_bound_parameters()
    {
        // month + 1 is no shape the evaluator reads by reflection: it is interpreted, with month's bound value.
        var month = Expression.Parameter(typeof(int), "month");
        var next = Expression.Add(month, Expression.Constant(1));
        ValueEvaluator.Evaluate(next, new Dictionary<ParameterExpression, object?> { [month] = 10 }).ShouldBe(11);
    }

    [Fact]
    public void An_interpreted_value_throws_what_its_code_throws()
    {
        var zero = Expression.Parameter(typeof(int), "zero");
        var divide = Expression.Divide(Expression.Constant(1), zero);
        Should.Throw<DivideByZeroException>(() => ValueEvaluator.Evaluate(divide, new Dictionary<ParameterExpression, object?> { [zero] = 0 }));
    }

    [Fact]
    public void An_interpreted_value_with_an_unbound_parameter_is_refused()
    {
        var free = Expression.Parameter(typeof(int), "free");
        Should.Throw<InvalidOperationException>(() => ValueEvaluator.Evaluate(Expression.Negate(free)));
    }
}
