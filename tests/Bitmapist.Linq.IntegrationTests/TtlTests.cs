using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// The TTLs of what a query writes besides its answer: every temporary (<c>bitop_tmp:q:N</c>, a bulk import's
/// <c>bitop_tmp:import:...</c>) gets <see cref="StoreOptions.TemporaryTtl"/> right after the command that wrote
/// it, and a leased result (<c>bitop_tmp:lease:...</c>, ids and max read in pages) gets
/// <see cref="StoreOptions.LeaseTtl"/>, with the defaults and with values set here, including a lease shorter
/// than a temporary. Temporaries are gone when their batch returns, so theirs are read on the wire (the
/// recording proxy); a lease is also read on the server while the enumeration holds it.
/// </summary>
public class TtlTests
{
    private static readonly DateTime Now = new(2026, 3, 15, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>Temporary and lease TTLs in seconds; 0 leaves the defaults (60 s and 10 min) alone.</summary>
    public static TheoryData<int, int> Ttls() => new() { { 0, 0 }, { 17, 1234 }, { 300, 45 } };

    [SkippableTheory]
    [MemberData(nameof(Ttls))]
    public async Task Temporaries_and_leases_get_their_configured_ttl_right_after_they_are_written(int temporarySeconds, int leaseSeconds)
    {
        // Temporaries deleted in their batch (ScratchTtl 0), so a query's too gets TemporaryTtl after every write. Kept
        // scratch keys (the default) get one EXPIRE of ScratchTtl after their last write instead: GoldenPlanTests checks
        // the commands, LifecycleTests the TTLs on the server.
        var options = new StoreOptions { Clock = new FakeTimeProvider(new DateTimeOffset(Now)), ScratchTtl = TimeSpan.Zero }.WithPrefix($"t{Guid.NewGuid():N}_");
        if (temporarySeconds > 0) options = options with { TemporaryTtl = TimeSpan.FromSeconds(temporarySeconds), LeaseTtl = TimeSpan.FromSeconds(leaseSeconds) };
        var (temporary, lease) = ((int)options.TemporaryTtl.TotalSeconds, (int)options.LeaseTtl.TotalSeconds);
        await using var redis = await ObservedRedis.StartAsync();
        await using var store = await redis.ConnectAsync(StoreKind.Redis, options);
        // The bitmapist-server profile: a cohort table as MULTI/EXEC (the counts script writes no EXPIRE).
        await using var noScripts = await redis.ConnectAsync(StoreKind.RedisAsBitmapistServer, options);
        var batch = store.CreateBatch();
        for (var i = 0; i < 60; i++)
            batch.Mark(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", i * 7, new DateTime(2026, 3, 1 + i % 14))
                .Mark("signup", i % 5, new DateTime(2026, 3, 10 + i % 6)).Mark("active", i % 4, new DateTime(2026, 3, 10 + i % 6));
        await batch.ExecuteAsync();
        var set = (store.Month("a") | store.Month("b")) - store.Month("c") | store.Ids(0, 5);

        TimeSpan? leaseTtlOnServer = null;
        var seen = await redis.ObserveAsync(store, async () =>
        {
            await set.CountAsync();
            await foreach (var _ in set.IdsAsync())
            {
                var key = (await store.ListTemporariesAsync()).ShouldHaveSingleItem();
                key.ShouldStartWith(store.Keys.TemporaryNamespace + "lease:");
                leaseTtlOnServer = await redis.Admin.GetDatabase().KeyTimeToLiveAsync(key);
                break;
            }
            await set.MaxAsync();
            var import = store.CreateBulkImport();
            await import.AddAsync("imported", 42, new DateTime(2026, 3, 3));
            await import.FlushAsync();
        });
        // The bitmapist-server profile also imports as MULTI/EXEC, where each EXPIRE is on the wire.
        var seenCohort = await redis.ObserveAsync(noScripts, async () =>
        {
            await noScripts.CohortAsync(CohortTests.Parse("cohort signup then active by day rows 3 cols 2"));
            var import = noScripts.CreateBulkImport();
            await import.AddAsync("imported", 43, new DateTime(2026, 3, 3));
            await import.FlushAsync();
        });

        // On the server, the lease has its TTL (BITOP, which drops TTLs, ran before the EXPIRE). A TTL counts down
        // from the moment it was set, so this asks only that what remains is at most the lease's and nearer it
        // than the temporaries': only a pause of half their difference (over four minutes in every case here)
        // between the EXPIRE and this read could break it.
        var remaining = leaseTtlOnServer.ShouldNotBeNull("the lease has no TTL").TotalSeconds;
        remaining.ShouldBeGreaterThan(0);
        remaining.ShouldBeLessThanOrEqualTo(lease);
        Math.Abs(lease - remaining).ShouldBeLessThan(Math.Abs(temporary - remaining), $"a lease TTL of {remaining} s left");

        // On the wire, every EXPIRE of each temporary and lease, with the exact value sent.
        var commands = seen.RoundTrips.Concat(seenCohort.RoundTrips).SelectMany(t => t).ToList();
        var (temporaries, leases) = ExpiresAsConfigured(commands, store.Keys.TemporaryNamespace, temporary, lease);
        temporaries.ShouldContain(k => k.Contains(":q:"), "a query's temporaries");
        temporaries.ShouldContain(k => k.Contains(":import:"), "a bulk import's temporaries");
        // On Redis an import group is one call of the merge script, which EXPIREs each temporary with its argument after
        // the bitmaps (the last is the shard size to create keys at, -1 outside the sharded layout).
        seen.RoundTrips.SelectMany(t => t).ShouldContain(c => c.StartsWith("EVAL", StringComparison.Ordinal) && c.Contains(":import:") && c.EndsWith($" {temporary} -1"),
            "the merge script's call with the temporaries' TTL");
        RedisBackend.MergeScript.ShouldContain("redis.call('EXPIRE', KEYS[n + i], ARGV[n + 1])");
        seenCohort.RoundTrips.SelectMany(t => t).ShouldContain(c => c.StartsWith("EXPIRE ", StringComparison.Ordinal), "the cohort batch's temporaries");
        leases.ShouldNotBeEmpty("the ids and the max leases");

        (await store.ListTemporariesAsync()).ShouldBeEmpty();
    }

    /// <summary>
    /// Checks that every write of a key under <paramref name="ns"/> (BITOP or SET) is followed at once by its
    /// EXPIRE with the configured TTL, and that no other EXPIRE is sent; returns the temporaries and leases seen.
    /// </summary>
    private static (List<string> Temporaries, List<string> Leases) ExpiresAsConfigured(IReadOnlyList<string> commands, string ns, int temporary, int lease)
    {
        var temporaries = new List<string>();
        var leases = new List<string>();
        for (var i = 0; i < commands.Count; i++)
        {
            var words = commands[i].Split(' ');
            if (words[0] == "EXPIRE")
                (i > 0 && Written(commands[i - 1]) == words[1])
                    .ShouldBeTrue($"'{commands[i]}' does not follow the write of its key:\n{string.Join("\n", commands)}");
            if (Written(commands[i]) is not { } target || !target.StartsWith(ns, StringComparison.Ordinal)) continue;
            var isLease = target.StartsWith(ns + "lease:", StringComparison.Ordinal);
            (isLease ? leases : temporaries).Add(target);
            var expected = $"EXPIRE {target} {(isLease ? lease : temporary)}";
            (i + 1 < commands.Count ? commands[i + 1] : "(nothing)").ShouldBe(expected, $"after '{commands[i]}'");
        }
        return (temporaries, leases);
    }

    /// <summary>The key a BITOP or SET writes, else null.</summary>
    private static string? Written(string command) => command.Split(' ') switch
    {
        ["BITOP", _, var target, ..] => target,
        ["SET", var target, ..] => target,
        _ => null,
    };
}
