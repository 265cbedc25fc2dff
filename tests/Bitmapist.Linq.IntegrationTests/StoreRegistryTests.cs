using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.IntegrationTests;

public class StoreRegistryTests
{
    [Fact]
    public async Task Named_stores_keep_their_own_data_and_refuse_to_mix()
    {
        await using var systems = new StoreRegistry();
        systems.Add(new EmbeddedStore());
        systems.Add(new EmbeddedStore(new StoreOptions { Name = "analytics" }));
        await systems["analytics"].MarkAsync("active", 1);
        (await systems["analytics"].Month("active").CountAsync()).ShouldBe(1);
        (await systems["default"].Month("active").CountAsync()).ShouldBe(0);
        systems.Names.ShouldBe(["analytics", "default"]);
        Should.Throw<InvalidOperationException>(() => systems["default"].Month("a") & systems["analytics"].Month("a"));
        Should.Throw<InvalidOperationException>(() => systems.Add(new EmbeddedStore(new StoreOptions { Name = "analytics" }))).Message.ShouldContain("already registered");
        Should.Throw<KeyNotFoundException>(() => systems["nope"]).Message.ShouldContain("Registered: analytics, default");
    }
}
