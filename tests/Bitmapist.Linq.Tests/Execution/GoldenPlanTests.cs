using System.Runtime.CompilerServices;
using System.Text;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Embedded;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Planning;
using Bitmapist.Linq.Query;

namespace Bitmapist.Linq.Tests.Execution;

/// <summary>
/// Query -> printed document (logical plan, rewrites, optimized plan, program and Redis commands) for every
/// capability profile, compared with the baseline in Golden/NAME.txt. Set BITMAPIST_UPDATE_GOLDEN=1 to
/// rewrite the baselines, then review the diff.
/// </summary>
public class GoldenPlanTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 14, 5, 0);
    private static SetExpr Month(string e, int offset = 0) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Month, offset));
    private static SetExpr Week(string e) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Week));
    private static SetExpr Day(string e, int offset = 0) => SetExpr.Event(e, PeriodRef.Relative(PeriodUnit.Day, offset));

    public static readonly Dictionary<string, (SetQuery Query, SetExpr? Universe)> Cases = new()
    {
        ["single-key-count"] = (new(Month("active"), ReadKind.Count), null),
        ["contains"] = (new(Month("active"), ReadKind.Contains, 123), null),
        ["and-two-events"] = (new(Month("active") & Week("song:played"), ReadKind.Count), null),
        ["retention"] = (new(Month("active", -1) & Month("active"), ReadKind.Count), null),
        ["difference"] = (new(Month("active") & ~Week("active"), ReadKind.Count), null),
        ["year-is-twelve-months"] = (new(SetExpr.Event("active", Period.Year(2026)), ReadKind.Count), null),
        ["range-cover-three-months"] = (new(SetExpr.Range("active", PeriodRef.Of(Period.Day(2026, 6, 1)), PeriodRef.Of(Period.Day(2026, 8, 31))), ReadKind.Count), null),
        ["last-7-days-all"] = (new(SetExpr.Range("active", PeriodRef.Relative(PeriodUnit.Day, -6), PeriodRef.Relative(PeriodUnit.Day, 0), RangeMode.All), ReadKind.Count), null),
        ["wide-union-31-days"] = (new(SetExpr.Or(Enumerable.Range(0, 31).Select(i => Day("active", -i))), ReadKind.Count), null),
        ["de-morgan"] = (new(Month("signup") & ~(Week("active") | Week("song:played")), ReadKind.Count), null),
        ["bare-not-with-universe"] = (new(~Month("active"), ReadKind.Count), SetExpr.Unique("user")),
        ["shared-sub-plan"] = (new((Month("a") & Month("b") | Month("c")) ^ (Month("a") & Month("b") | Month("d")), ReadKind.Count), null),
        ["literal-ids"] = (new(Month("active") & SetExpr.Ids([1, 5, 42]), ReadKind.Ids), null),
        ["empty-folds-away"] = (new(Month("active") & SetExpr.Empty, ReadKind.Count), null),
        ["ids-of-composite"] = (new(Month("active") - Month("premium"), ReadKind.Ids), null),
        ["min-and-max"] = (new(Week("active") & Week("song:played"), ReadKind.Max), null),
        ["unique-flag"] = (new(Day("active") & SetExpr.Unique("premium"), ReadKind.Any), null),
    };

    public static TheoryData<string> Names() => [.. Cases.Keys];

    /// <summary>What each back end does with a program, as its store's explain prints it (default TTLs, scripts allowed).</summary>
    private static IEnumerable<string> Commands(BatchProgram program) => program.Profile == CapabilityProfile.Embedded
        ? EmbeddedBackend.Explain(program)
        : RedisBackend.Explain(program, KeyScheme.Default, 60, 600, scripts: true,
            scratchTtlSeconds: RedisBackend.ScratchSeconds(new Stores.StoreOptions(), program.Profile));

    [Theory]
    [MemberData(nameof(Names))]
    public void Plan_matches_baseline(string name)
    {
        var (query, universe) = Cases[name];
        var doc = new StringBuilder();
        foreach (var profile in CapabilityProfile.All)
        {
            var plan = QueryPlan.Create(query, new BindContext(Now, KeyScheme.Default, universe), profile);
            doc.AppendLine($"===== {profile.Name} =====");
            doc.Append(ExplainPrinter.Print(plan, Commands));
        }
        var actual = doc.ToString().ReplaceLineEndings("\n");
        var path = Path.Combine(SourceDirectory(), "Golden", name + ".txt");
        if (Environment.GetEnvironmentVariable("BITMAPIST_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
        }
        File.Exists(path).ShouldBeTrue($"No baseline {path}: run with BITMAPIST_UPDATE_GOLDEN=1 and review it.");
        actual.ShouldBe(File.ReadAllText(path).ReplaceLineEndings("\n"), $"Plan changed for '{name}'. If intended, rerun with BITMAPIST_UPDATE_GOLDEN=1 and review the diff.");
    }

    public static TheoryData<string> CohortCases() =>
    [
        "cohort signup & web then active by day rows 2 cols 1 from 2026-11-26",
        "cohort first signup then active - unique(banned) by week rows 2 cols 1 from 2026-W47 since 2026-11-01 unbounded counts",
    ];

    /// <summary>A cohort table: its rows, its counted sets, one program and one batch (Golden/cohort-N.txt).</summary>
    [Theory]
    [MemberData(nameof(CohortCases))]
    public void Cohort_plan_matches_baseline(string text)
    {
        var query = ((Bitmapist.Linq.Text.CohortStatement)Bitmapist.Linq.Text.TextQuery.Parse(text).Single()).Query;
        var doc = new StringBuilder();
        foreach (var profile in CapabilityProfile.All)
        {
            var plan = Bitmapist.Linq.Cohorts.CohortPlan.Create(query, new BindContext(Now, KeyScheme.Default), profile);
            doc.AppendLine($"===== {profile.Name} =====");
            doc.Append(ExplainPrinter.Print(plan, Commands));
        }
        var name = "cohort-" + (text.Contains("first") ? 1 : 0);
        var actual = doc.ToString().ReplaceLineEndings("\n");
        var path = Path.Combine(SourceDirectory(), "Golden", name + ".txt");
        if (Environment.GetEnvironmentVariable("BITMAPIST_UPDATE_GOLDEN") == "1") File.WriteAllText(path, actual);
        File.Exists(path).ShouldBeTrue($"No baseline {path}: run with BITMAPIST_UPDATE_GOLDEN=1 and review it.");
        actual.ShouldBe(File.ReadAllText(path).ReplaceLineEndings("\n"), $"Plan changed for '{text}'. If intended, rerun with BITMAPIST_UPDATE_GOLDEN=1 and review the diff.");
    }

    /// <summary>
    /// A literal of external ids (Golden/external-ids.txt): the query prints them quoted, and the plan binds the internal
    /// ids the store looked up before planning; an unmapped one ('nobody') adds nothing.
    /// </summary>
    [Fact]
    public void External_ids_plan_matches_baseline()
    {
        var query = new SetQuery(Month("active") & SetExpr.ExternalIds(["bob", "alice", "nobody"]), ReadKind.Ids);
        var lookedUp = new Dictionary<string, uint> { ["alice"] = 5, ["bob"] = 42 };
        var doc = new StringBuilder();
        foreach (var profile in CapabilityProfile.All)
        {
            var plan = QueryPlan.Create(query, new BindContext(Now, KeyScheme.Default, ExternalIds: lookedUp), profile);
            doc.AppendLine($"===== {profile.Name} =====");
            doc.Append(ExplainPrinter.Print(plan, Commands));
        }
        var actual = doc.ToString().ReplaceLineEndings("\n");
        var path = Path.Combine(SourceDirectory(), "Golden", "external-ids.txt");
        if (Environment.GetEnvironmentVariable("BITMAPIST_UPDATE_GOLDEN") == "1") File.WriteAllText(path, actual);
        File.Exists(path).ShouldBeTrue($"No baseline {path}: run with BITMAPIST_UPDATE_GOLDEN=1 and review it.");
        actual.ShouldBe(File.ReadAllText(path).ReplaceLineEndings("\n"), "Plan changed for external ids. If intended, rerun with BITMAPIST_UPDATE_GOLDEN=1 and review the diff.");
    }

    [Fact]
    public void A_bare_not_without_universe_is_a_clear_error()
    {
        var e = Should.Throw<BitmapistQueryException>(() =>
            QueryPlan.Create(new SetQuery(~Month("active"), ReadKind.Count), new BindContext(Now, KeyScheme.Default), CapabilityProfile.Redis7));
        e.Message.ShouldContain("~month(active)");
        e.Message.ShouldContain("no universe is configured");
        e.Fix.ShouldNotBeNull().ShouldContain("a - b");
    }

    [Fact]
    public void Bare_bitop_not_is_never_emitted()
    {
        foreach (var (query, universe) in Cases.Values)
        foreach (var profile in CapabilityProfile.All)
        {
            var plan = QueryPlan.Create(query, new BindContext(Now, KeyScheme.Default, universe), profile);
            ExplainPrinter.Print(plan, Commands).ShouldNotContain("BITOP NOT");
        }
    }

    [Fact]
    public void Every_temporary_gets_a_ttl_right_after_it_is_written_and_is_deleted_in_the_same_batch()
    {
        foreach (var (query, universe) in Cases.Values)
        foreach (var profile in CapabilityProfile.All.Where(p => p != CapabilityProfile.Embedded))
        {
            var plan = QueryPlan.Create(query, new BindContext(Now, KeyScheme.Default, universe), profile);
            var batch = RedisBatch.Build(plan.Program, "tmp:", "lease:1", 60, 600);
            var commands = batch.Commands;
            for (var i = 0; i < commands.Length; i++)
            {
                var target = commands[i].Name switch { "BITOP" => commands[i].Args[1], "SET" => commands[i].Args[0], _ => null };
                if (target is null) continue;
                commands[i + 1].Name.ShouldBe("EXPIRE", $"{query}: {commands[i]}");
                commands[i + 1].Args[0].ShouldBe(target);
            }
            commands.Count(c => c.Name == "BITOP" && c.Args[0] is "NOT").ShouldBe(0);
            var deleted = commands.Where(c => c.Name == "DEL").SelectMany(c => c.Args).ToHashSet();
            foreach (var temp in batch.Temporaries)
                (deleted.Contains(temp) || (batch.ResultIsLeased && temp == batch.ResultKey)).ShouldBeTrue($"{query}: {temp} is neither deleted nor leased");
            batch.NeedsTransaction.ShouldBe(!batch.Temporaries.IsEmpty);
        }
    }

    [Fact]
    public void Kept_scratch_keys_get_one_short_ttl_after_their_last_write_and_no_del_while_a_lease_keeps_its_own()
    {
        foreach (var (query, universe) in Cases.Values)
        foreach (var profile in CapabilityProfile.All.Where(p => p != CapabilityProfile.Embedded))
        {
            var plan = QueryPlan.Create(query, new BindContext(Now, KeyScheme.Default, universe), profile);
            var batch = RedisBatch.Build(plan.Program, "tmp:", "lease:1", 60, 600, scratchTtlSeconds: 2);
            var commands = batch.Commands;
            commands.ShouldNotContain(c => c.Name == "DEL", $"{query}: scratch keys are kept, not deleted");
            var writes = commands.Select((c, i) => (Target: c.Name switch { "BITOP" => c.Args[1], "SET" => c.Args[0], _ => null }, Index: i))
                .Where(w => w.Target is not null).ToList();
            foreach (var temp in batch.Temporaries)
            {
                var lastWrite = writes.Last(w => Equals(w.Target, temp)).Index;
                var expires = commands.Select((c, i) => (c, i)).Where(x => x.c.Name == "EXPIRE" && Equals(x.c.Args[0], temp)).ToList();
                var leased = batch.ResultIsLeased && temp == batch.ResultKey;
                // A lease is EXPIREd after each of its writes, with its own TTL; a scratch key once, after its last write
                // (the batch is atomic: no one sees it in between), with the scratch TTL.
                expires.ShouldNotBeEmpty($"{query} ({profile.Name}): {temp} has no TTL");
                expires[^1].i.ShouldBe(lastWrite + 1, $"{query} ({profile.Name}): {temp} written after its EXPIRE (BITOP drops TTLs)");
                if (leased) expires.ShouldAllBe(x => Equals(x.c.Args[1], 600));
                else expires.ShouldHaveSingleItem().c.Args[1].ShouldBe(2);
            }
        }
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(Path.GetDirectoryName(path))!;
}
