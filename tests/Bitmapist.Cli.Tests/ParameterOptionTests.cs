namespace Bitmapist.Cli.Tests;

/// <summary><c>--param name=SET</c>: values for a statement's <c>@name</c> parameters, in <c>query</c> and <c>cohort</c>.</summary>
public sealed class ParameterOptionTests(SampleFile sample) : IClassFixture<SampleFile>
{
    private Task<CliResult> Run(params string[] args) => CliHarness.Run([.. args, "--data", sample.Path, "--now", CliHarness.Now, "--format", "csv"]);

    [Fact]
    public async Task A_bound_parameter_gives_the_same_answer_as_the_set_written_in_place()
    {
        var inPlace = await Run("query", "percent week(active) of week(signup, -1)\ncount month(active) & week(signup, -1)");
        inPlace.ExitCode.ShouldBe(0, inPlace.Err);
        var bound = await Run("query", "percent week(active) of @cohort\ncount month(active) & @cohort", "--param", "cohort=week(signup, -1)");
        bound.ExitCode.ShouldBe(0, bound.Err);
        bound.Out.ShouldBe(inPlace.Out);
        var explained = await Run("query", "explain count month(active) & @x", "-p", "x=week(signup, -1)");
        explained.Out.ShouldContain("key('trackist_signup_W2026-47')");
    }

    [Fact]
    public async Task Several_parameters_and_a_cohort_with_one()
    {
        var inPlace = await Run("query", "cohort signup & unique(premium) then active by week rows 3 cols 2 counts");
        var bound = await Run("cohort", "signup & @segment", "then", "@back", "--by", "week", "--rows", "3", "--cols", "2", "--counts",
            "-p", "segment=unique(premium)", "-p", "@back=active");
        // '@back' is a parameter, not a response file; a bare name in a value is an error (it is not a template)...
        bound.ExitCode.ShouldBe(2);
        bound.Err.ShouldContain("'active' is not a set");
        // ...while a fixed set works in either template.
        var fixedReturn = await Run("cohort", "signup & @segment", "then", "active", "--by", "week", "--rows", "3", "--cols", "2", "--counts",
            "-p", "segment=unique(premium)");
        fixedReturn.ExitCode.ShouldBe(0, fixedReturn.Err);
        fixedReturn.Out.ShouldBe(inPlace.Out);
    }

    [Fact]
    public async Task A_missing_or_malformed_parameter_is_named_before_anything_runs()
    {
        var missing = await Run("query", "count month(active) & @cohort");
        missing.ExitCode.ShouldBe(2);
        missing.Err.ShouldContain("uses @cohort and it has no value: add --param cohort=SET");
        var noEquals = await Run("query", "count @x", "--param", "x");
        noEquals.ExitCode.ShouldBe(2);
        noEquals.Err.ShouldContain("--param takes name=SET");
        var twice = await Run("query", "count @x", "-p", "x=month(active)", "-p", "x=week(active)");
        twice.Err.ShouldContain("--param x is given twice");
        var syntax = await Run("query", "count @x", "-p", "x=month(active) &");
        syntax.ExitCode.ShouldBe(2);
        syntax.Err.ShouldContain("--param x: Line 1, column 16: expected a set");
        syntax.Err.ShouldContain("month(active) &\n               ^");
        var cohort = await Run("cohort", "signup & @segment", "then", "active");
        cohort.ExitCode.ShouldBe(2);
        cohort.Err.ShouldContain("uses @segment and it has no value");
    }
}
