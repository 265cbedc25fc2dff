using Bitmapist.Linq.Cohorts;
using Bitmapist.Linq.Backends;
using Bitmapist.Linq.Backends.Redis;
using Bitmapist.Linq.IntegrationTests.Infrastructure;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Tracking;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.IntegrationTests;

/// <summary>
/// Every command the store sends the real bitmapist-server, through every path (marks, batches, bulk import, each
/// kind of read on stored keys and on composite sets, events listing and deletion, cohort tables), is one the server
/// knows in the form it accepts: seen on the wire by a recording proxy, and none refused.
/// </summary>
public class CommandAuditTests
{
    private static readonly DateTime Now = new(2026, 3, 4, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>What bitmapist-server accepts (shared/peers/bitmapist-server/README.md), besides MULTI/EXEC and QUIT.</summary>
    private static readonly HashSet<string> Known =
        ["SETBIT", "GETBIT", "BITCOUNT", "BITOP", "EXISTS", "DEL", "GET", "SET", "SCAN", "EXPIRE", "TTL", "PTTL", "RENAME", "KEYS", "INFO", "SELECT", "PING", "MULTI", "EXEC", "DISCARD", "QUIT"];

    [SkippableFact]
    public async Task Every_path_sends_bitmapist_server_only_commands_it_knows_in_forms_it_accepts()
    {
        await using var proxy = new RecordingProxy(BitmapistServerPeer.Endpoint);
        var options = new StoreOptions
        {
            Keys = new KeyScheme($"t{Guid.NewGuid():N}_"),
            Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
            Tracking = new TrackingOptions(Hourly: true, Unique: true),
            Universe = SetExpr.Unique("user"),
        };
        await using var store = await RedisStore.ConnectAsync(proxy.Endpoint, options);
        store.Profile.ShouldBe(CapabilityProfile.BitmapistServer);
        var handshake = proxy.Exchanges.Count; // the client's own handshake, which the server partly refuses

        await store.MarkAsync("active", 3);
        await store.UnmarkAsync("active", 3);
        await store.MarkUniqueAsync("premium", 9);
        await store.UnmarkUniqueAsync("premium", 9);
        var batch = store.CreateBatch();
        for (var i = 0; i < 200; i++) batch.Mark(i % 2 == 0 ? "signup" : "active", i * 31, Now.AddDays(-(i % 9))).MarkUnique("user", i * 31);
        await batch.ExecuteAsync();
        var import = store.CreateBulkImport();
        for (var i = 0; i < 500; i++) await import.AddAsync("song:played", i * 7, Now.AddHours(-i));
        await import.FlushAsync();

        var month = store.Month("active");
        var composite = (month | store.Week("song:played")) - store.Ids(0, 31) & ~store.Unique("premium");
        foreach (var set in new[] { month, composite, store.Year("active"), store.During("signup", Now.AddDays(-8), Now), store.Ids(5, 6), store.Users })
        {
            await set.CountAsync();
            await set.AnyAsync();
            await set.ContainsAsync(62);
            await set.MinAsync();
            await set.MaxAsync();
            await set.ToListAsync();
            await foreach (var _ in set.IdsAsync(from: 100)) break;
        }
        await store.Month("never").ToListAsync();
        foreach (var text in new[]
        {
            "cohort signup then active by day rows 5 cols 3",
            "cohort first signup then active | song:played by day rows 4 cols 2 since 2026-02-20 unbounded percent",
            "cohort signup & unique(user) then active by week rows 2 cols 1",
        })
            await store.CohortAsync(((CohortStatement)TextQuery.Parse(text).Single()).Query);
        (await composite.CheckEventsAsync()).ShouldBeEmpty();
        (await (store.Month("actve") | store.Year("signup", 2020)).CheckEventsAsync()).Select(w => w.EventName).ShouldBe(["actve"]);
        (await store.CheckEventsAsync(((CohortStatement)TextQuery.Parse("cohort signup then actve by day rows 2 cols 1").Single()).Query)).ShouldNotBeEmpty();
        (await store.ListEventsAsync()).ShouldContain("song:played");
        await store.DeleteAsync("active", Period.Of(PeriodUnit.Month, Now));
        (await store.DeleteEventsAsync("song:")).ShouldBeGreaterThan(0);
        (await store.ListTemporariesAsync()).ShouldBeEmpty();
        await store.DeleteEventsAsync();

        var sent = proxy.Exchanges.Skip(handshake).ToList();
        sent.Count.ShouldBeGreaterThan(50);
        sent.Where(e => e.IsError).Select(e => e.ToString()).ShouldBeEmpty();
        sent.Select(e => e.Command).Where(c => !Known.Contains(c)).Distinct().ShouldBeEmpty();
        foreach (var e in sent)
        {
            switch (e.Command)
            {
                case "EXISTS": e.Words.Length.ShouldBe(2, e.ToString()); break;
                case "SCAN":
                    e.Words.Length.ShouldBe(6, e.ToString());
                    e.Words[2].ShouldBe("MATCH", e.ToString());
                    e.Words[4].ShouldBe("COUNT", e.ToString());
                    break;
                case "BITOP": e.Words.Length.ShouldBeGreaterThanOrEqualTo(5, "AND/OR/XOR with at least two sources: " + e); break;
                case "BITCOUNT": e.Words.Length.ShouldBe(2, "whole keys only: " + e); break;
                case "SET": e.Words.Length.ShouldBe(3, "no options: " + e); break;
            }
        }
        sent.Select(e => e.Command).ShouldContain("SCAN");
        sent.Select(e => e.Command).ShouldContain("EXEC");
    }

    [SkippableFact]
    public async Task Bulk_import_sends_a_sparse_key_as_setbits_and_a_dense_one_as_set()
    {
        // bitmapist-server reads a SET's value byte by byte under its one lock; a value is as long as its highest id.
        await using var proxy = new RecordingProxy(BitmapistServerPeer.Endpoint);
        await using var store = await RedisStore.ConnectAsync(proxy.Endpoint, new StoreOptions
        {
            Keys = new KeyScheme($"t{Guid.NewGuid():N}_"),
            Clock = new FakeTimeProvider(new DateTimeOffset(Now)),
        });
        var import = store.CreateBulkImport();
        foreach (var id in new long[] { 5, 100_000_000 }) await import.AddAsync("sparse", id, Now);
        for (var id = 0; id < 3000; id++) await import.AddAsync("dense", id, Now);
        proxy.Clear();
        await import.FlushAsync();

        var sent = proxy.Exchanges.Where(e => e.Words.Length > 1).ToList();
        sent.Where(e => e.Command == "SET").ShouldAllBe(e => e.Words[2].Length <= 375, "ids 0..2999 take 375 bytes; id 100,000,000 alone 12.5 MB");
        sent.Count(e => e.Command == "SET").ShouldBe(3, "dense: its month, week and day keys, each by SET and BITOP OR");
        sent.Where(e => e.Command == "SETBIT").Select(e => e.Words[2]).Distinct().Order().ShouldBe(["100000000", "5"]);
        sent.Count(e => e.Command == "SETBIT").ShouldBe(6, "sparse: two ids in three keys");
        (await store.Month("sparse").ToListAsync()).ShouldBe([5, 100_000_000]);
        (await store.Day("dense").CountAsync()).ShouldBe(3000);
        await store.DeleteEventsAsync();
    }
}
