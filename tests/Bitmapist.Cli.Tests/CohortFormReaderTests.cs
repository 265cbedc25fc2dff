using Bitmapist.Cli.Commands;
using Bitmapist.Linq;
using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Cohorts.Rendering;
using Bitmapist.Linq.Text;

namespace Bitmapist.Cli.Tests;

/// <summary>The report's form read back into a query: what <c>cohort --serve</c> does with each submission (<see cref="CohortFormReader"/>).</summary>
public sealed class CohortFormReaderTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0);

    private static CohortQuery Query(string text) => ((CohortStatement)TextQuery.Parse(text).Single()).Query;

    [Theory]
    [InlineData("cohort signup then active by day")]
    [InlineData("cohort signup & web then active by week rows 12 cols 8 counts")]
    [InlineData("cohort (signup | 'sign-up') - unique(spam) then active & ios by month rows 6 cols 5 from 2026-03")]
    [InlineData("cohort first signup then active by year rows 2 cols 1 unbounded")]
    [InlineData("cohort signup then active by week from 2026-W09 unbounded counts")]
    public void A_query_survives_the_form_and_back(string text)
    {
        var query = Query(text);
        var back = CohortForm.Of(query, Now).ToQuery();
        // The form always carries rows and columns, so the query comes back with them spelled out.
        back.Text.ShouldBe((query with { Rows = query.RowCount }).Text);
    }

    [Fact]
    public void A_start_given_as_an_offset_becomes_the_date_it_stands_for()
    {
        var form = CohortForm.Of(Query("cohort signup then active by week rows 4 from -3"), Now);
        form.From.ShouldBe("2026-11-02", "three ISO weeks before 2026-W48 is 2026-W45, which starts on Monday 2 November");
        form.ToQuery().From!.Value.ArgumentText.ShouldBe("2026-W45");
        CohortForm.Of(Query("cohort signup then active by week from -3")).From.ShouldBe("", "without a now, the table ends now");
    }

    [Fact]
    public void A_submission_is_decoded_and_missing_fields_keep_the_defaults()
    {
        var defaults = CohortForm.Of(Query("cohort signup then active by week rows 12 cols 8"), Now);
        var form = CohortFormReader.FromQueryString("?cohort=signup+%26+unique%28premium%29&by=month&from=2026-09-15&values=counts&extra=ignored", defaults);
        form.Cohort.ShouldBe("signup & unique(premium)");
        form.Then.ShouldBe("active");
        form.Rows.ShouldBe("12");
        form.ToQuery().Text.ShouldBe("cohort (signup & unique(premium)) then active by month rows 12 cols 8 from 2026-09 counts");
        CohortFormReader.FromQueryString("").ShouldBe(new CohortForm("", ""));
    }

    [Theory]
    [InlineData("signup then active by day rows 5 --", "found 'then'")]
    [InlineData("signup) then (active", "found 'then'")]
    [InlineData("signup\ncount month(active)", "Line 2")]
    [InlineData("signup; count month(active)", "found ';'")]
    public void A_set_field_that_does_not_parse_is_a_syntax_error(string cohort, string error) =>
        Should.Throw<QuerySyntaxException>(() => new CohortForm(cohort, "active").ToQuery()).Message.ShouldContain(error);

    [Theory]
    [InlineData("signup) then (active) by month rows 3 cols 1 counts --")]
    [InlineData("signup) then (form_probe) by day rows 5 --")]
    [InlineData("signup) then (other) by day --")]
    public void A_set_field_cannot_carry_options_or_a_second_set(string cohort)
    {
        // Each field is parsed alone in a statement whose other parts are fixed: closing the parenthesis and
        // commenting out the rest either changes those parts (refused)...
        var error = Should.Throw<FormatException>(() => new CohortForm(cohort, "active", By: "week").ToQuery());
        error.Message.ShouldStartWith("The cohort set must be one set");
        // ...or repeats them exactly, which changes nothing: the set is what stood before the ')'.
        var same = new CohortForm("signup) then (form_probe) by day --", "active", By: "week", Rows: "3").ToQuery();
        same.Text.ShouldBe("cohort signup then active by week rows 3");
    }

    [Fact]
    public void A_parameter_in_a_form_is_refused_with_what_to_write_instead()
    {
        Should.Throw<FormatException>(() => new CohortForm("signup & @segment", "active").ToQuery()).Message
            .ShouldBe("The cohort set uses @segment, which a form cannot give a value: write the set itself.");
    }

    [Theory]
    [InlineData("by", "fortnight", "Group by must be day, week, month or year, not 'fortnight'.")]
    [InlineData("values", "ratio", "Show must be 'percent' or 'counts', not 'ratio'.")]
    [InlineData("rows", "ten", "Rows must be a whole number, not 'ten'.")]
    [InlineData("cols", "-1", "Columns must be a whole number, not '-1'.")]
    [InlineData("from", "28/11/2026", "The start date must look like 2026-03-01, not '28/11/2026'.")]
    [InlineData("retention", "forever", "Retention must be 'n-day' or 'unbounded', not 'forever'.")]
    [InlineData("membership", "new", "Cohort membership must be 'any' or 'first', not 'new'.")]
    [InlineData("cohort", "", "The cohort set is empty: write one, e.g. signup.")]
    [InlineData("then", " ", "The return set is empty: write one, e.g. active.")]
    public void A_bad_field_is_named(string field, string value, string message)
    {
        var form = CohortFormReader.FromQueryString($"{field}={Uri.EscapeDataString(value)}", new CohortForm("signup", "active"));
        Should.Throw<FormatException>(() => form.ToQuery()).Message.ShouldBe(message);
    }

    [Fact]
    public void Settings_out_of_range_are_the_querys_own_errors()
    {
        Should.Throw<BitmapistQueryException>(() => new CohortForm("signup", "active", Rows: "1001").ToQuery()).Message
            .ShouldContain("1 to 1000 rows, not 1001");
        Should.Throw<BitmapistQueryException>(() => new CohortForm("signup", "active", Rows: "1000", Cols: "1000").ToQuery()).Message
            .ShouldContain("more than 100000 cells");
    }

    [Theory]
    [InlineData("2026-03-01", "week", "from 2026-W09")]
    [InlineData("2026-3-1", "week", "from 2026-W09")]
    [InlineData("2026-03", "week", "from 2026-W09")]
    [InlineData("2026-W09", "month", "from 2026-02")]
    [InlineData("2026-03-05T14", "day", "from 2026-03-05")]
    [InlineData(" 2026 ", "year", "from 2026")]
    public void The_start_takes_any_date_the_text_languages_from_takes(string from, string by, string expected)
    {
        // One date reader (Period.TryParse) for the text, the command line and this form: the form's start and the
        // statement's "from" read the same dates and move them to the grouping's period the same way.
        var query = new CohortForm("signup", "active", By: by, From: from).ToQuery();
        query.Text.ShouldContain(expected);
        var text = ((CohortStatement)TextQuery.Parse($"cohort signup then active by {by} from {from.Trim()}").Single()).Query;
        query.From.ShouldBe(text.From);
    }

    [Theory]
    [InlineData("unique")]
    [InlineData("2026-02-30")]
    [InlineData("2026-03-05T14:30")]
    public void A_start_that_is_no_date_is_named(string from) =>
        Should.Throw<FormatException>(() => new CohortForm("signup", "active", From: from).ToQuery()).Message
            .ShouldBe($"The start date must look like 2026-03-01, not '{from}'.");
}
