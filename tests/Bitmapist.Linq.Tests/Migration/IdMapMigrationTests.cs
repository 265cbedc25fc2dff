using Bitmapist.Linq.Migration;
using Bitmapist.Linq.Model;
using Bitmapist.Linq.Stores;
using Microsoft.Extensions.Time.Testing;
using Shouldly;
using Xunit;

namespace Bitmapist.Linq.Tests.Migration;

/// <summary>A migration copies id maps with the bits, so users keep their names whatever the two layouts.</summary>
public sealed class IdMapMigrationTests
{
    private static StoreOptions Options(string layout) => new()
    {
        Layout = KeyLayout.Parse(layout),
        IdMap = "users",
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)),
    };

    private static readonly string[] Users = [.. Enumerable.Range(0, 700).Select(i => $"user-{i}"), "o'brien", "élodie", "9007199254740993"];

    [Theory]
    [InlineData("bitmapist", "sharded:8")]
    [InlineData("sharded:8", "bitmapist")]
    [InlineData("sharded:8", "sharded:10")]
    [InlineData("bitmapist", "bitmapist")]
    public async Task Users_keep_their_names_and_new_users_get_ids_no_copied_user_has(string from, string to)
    {
        await using var source = new EmbeddedStore(Options(from));
        var batch = source.CreateBatch();
        for (var i = 0; i < Users.Length; i++)
            if (i % 3 != 0) batch.Mark("active", Users[i]);
            else batch.Mark("paid", Users[i]);
        await batch.ExecuteAsync();
        await using var destination = new EmbeddedStore(Options(to));
        var migration = new LayoutMigration(source, destination);

        var summary = await migration.CopyAsync();
        summary.MappedIds.ShouldBe(Users.Length);
        (await migration.VerifyAsync()).Matches.ShouldBeTrue();
        (await migration.CopyAsync()).MappedIds.ShouldBe(Users.Length); // re-running is safe

        foreach (var user in new[] { "user-1", "user-3", "o'brien", "élodie", "9007199254740993" })
        {
            (await destination.Month("active").ContainsAsync(user)).ShouldBe(await source.Month("active").ContainsAsync(user), user);
            (await destination.Month("paid").ContainsAsync(user)).ShouldBe(await source.Month("paid").ContainsAsync(user), user);
        }
        var activeIds = await destination.Month("active").ToListAsync();
        var names = await destination.IdMap("users").FindExternalAsync([.. activeIds.Select(i => (uint)i)]);
        names.ShouldBe(Users.Where((_, i) => i % 3 != 0), ignoreOrder: true);

        // New users in the destination never get an id a copied user has.
        var taken = (await source.IdMap("users").FindAsync(Users)).Select(i => i!.Value).ToHashSet();
        var fresh = await destination.IdMap("users").GetOrCreateAsync([.. Enumerable.Range(0, 2000).Select(i => $"new-{i}")]);
        fresh.Where(taken.Contains).ShouldBeEmpty();
        fresh.Distinct().Count().ShouldBe(2000);
        (await destination.IdMap("users").GetOrCreateAsync("user-5")).ShouldBe((await source.IdMap("users").FindAsync("user-5"))!.Value);
    }

    [Fact]
    public async Task A_migrated_map_whose_directions_live_in_different_lanes_is_saved_and_read_back_exactly()
    {
        var dir = Directory.CreateTempSubdirectory("idmap-migration-");
        try
        {
            await using var source = new EmbeddedStore(Options("bitmapist"));
            var users = Enumerable.Range(0, 500).Select(i => $"user-{i}").ToArray();
            await source.IdMap("users").GetOrCreateAsync(users);
            var path = Path.Combine(dir.FullName, "store.bmdb");
            await using (var destination = EmbeddedStore.Open(path, Options("sharded:8")))
            {
                await new LayoutMigration(source, destination).CopyAsync();
                destination.Save();
            }
            await using var reopened = EmbeddedStore.Open(path, Options("sharded:8"));
            var map = reopened.IdMap("users");
            var expected = await source.IdMap("users").FindAsync(users);
            (await map.FindAsync(users)).ShouldBe(expected);
            (await map.FindExternalAsync([.. expected.Select(i => i!.Value)])).ShouldBe(users);
            (await map.CountAsync()).Mapped.ShouldBe(users.Length);
            var fresh = await map.GetOrCreateAsync([.. Enumerable.Range(0, 300).Select(i => $"new-{i}")]);
            fresh.Intersect(expected.Select(i => i!.Value)).ShouldBeEmpty();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_destination_that_names_a_copied_user_differently_stops_the_migration_before_any_bit()
    {
        await using var source = new EmbeddedStore(Options("bitmapist"));
        await source.MarkAsync("active", "alice");
        await source.MarkAsync("active", "bob");
        await using var destination = new EmbeddedStore(Options("bitmapist"));
        await destination.IdMap("users").GetOrCreateAsync(["bob"]); // bob is 0 here, 1 there
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => new LayoutMigration(source, destination).CopyAsync());
        e.Message.ShouldContain("'bob' is 0 there");
        (await destination.ListEventsAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_map_with_an_erasure_in_progress_is_not_copied()
    {
        await using var source = new EmbeddedStore(Options("bitmapist"));
        await source.MarkAsync("active", "alice");
        var map = source.IdMap("users");
        await ((Bitmapist.Linq.Backends.IIdMapBackend)source.Backend).BeginEraseAsync(map.LaneOf("alice"), "alice", CancellationToken.None);
        await using var destination = new EmbeddedStore(Options("sharded:8"));
        (await Should.ThrowAsync<BitmapistStoreException>(() => new LayoutMigration(source, destination).CopyAsync())).Message.ShouldContain("erase --resume");
    }
}
