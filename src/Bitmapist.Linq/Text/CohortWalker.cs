using System.Globalization;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Irony.Parsing;

namespace Bitmapist.Linq.Text;

/// <summary>
/// Walks a cohort statement (<c>cohort [first] SET then SET by UNIT [options]</c>) into a <see cref="CohortQuery"/>:
/// the two sets (where a bare name is a template), the unit, and each option at most once, checked with a caret.
/// </summary>
internal static class CohortWalker
{
    /// <summary>The cohort query of a cohort statement's children <paramref name="c"/>.</summary>
    public static CohortQuery Cohort(string source, ParseTreeNodeList c, SetWalker sets)
    {
        SetExpr cohort, then;
        sets.Templates = true;
        try
        {
            (cohort, then) = (sets.Set(c[2]), sets.Set(c[4]));
        }
        finally
        {
            sets.Templates = false;
        }
        var unit = SetWalker.Unit(c[6]);
        if (unit == PeriodUnit.Hour)
            throw SourceError.At(source, c[6].Span.Location, "expected day, week, month or year after 'by', found 'hour'");
        var query = new CohortQuery(cohort, then, unit)
        {
            Membership = c[1].ChildNodes.Count > 0 ? CohortMembership.FirstTime : CohortMembership.AnyTime,
        };
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var option in StatementWalker.Options(c[7]))
        {
            var keyword = option.ChildNodes[0].Token;
            var word = keyword.Text.ToLowerInvariant() is "percent" ? "counts" : keyword.Text.ToLowerInvariant();
            if (!seen.Add(word)) throw SourceError.At(source, keyword.Location, $"'{keyword.Text}' is given twice");
            var arg = option.ChildNodes.Count > 1 ? option.ChildNodes[1] : null;
            int Count(int min)
            {
                var t = SetWalker.Token(arg!);
                return int.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= CohortQuery.MaxRowsOrColumns
                    ? n : throw SourceError.At(source, t.Location, $"expected a number from {min} to {CohortQuery.MaxRowsOrColumns} after {keyword.Text}, found '{t.Text}'");
            }
            query = word switch
            {
                "rows" => query with { Rows = Count(1) },
                "cols" => query with { Cols = Count(0) },
                "from" => query with { From = Start(arg!, unit, sets) },
                "since" => query with { Since = sets.Date(arg!).Start },
                "unbounded" => query with { Retention = RetentionMode.Unbounded },
                _ => query with { Values = keyword.Text.Equals("counts", StringComparison.OrdinalIgnoreCase) ? CohortValues.Counts : CohortValues.Percent },
            };
        }
        try
        {
            query.Validate(); // the same rules the planner applies, reported with a caret here
        }
        catch (BitmapistQueryException e)
        {
            throw SourceError.At(source, c[0].Span.Location, e.Message.TrimEnd('.'));
        }
        return query;
    }

    /// <summary>A cohort's first row: an offset in the grouping's unit, or any date (the period of the unit containing its start).</summary>
    internal static PeriodRef Start(ParseTreeNode value, PeriodUnit unit, SetWalker sets) =>
        sets.RelativeOffset(value, unit) ?? PeriodRef.Of(Period.Of(unit, sets.Date(value).Start));
}
