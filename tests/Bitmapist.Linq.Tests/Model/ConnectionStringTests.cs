using Bitmapist.Linq.Stores;

namespace Bitmapist.Linq.Tests.Model;

public class ConnectionStringTests
{
    [Theory]
    [InlineData("localhost:6379", "localhost:6379")]
    [InlineData("localhost:6379,password=s3cret", "localhost:6379,password=***")]
    [InlineData("password=s3cret,localhost:6379", "password=***,localhost:6379")]
    [InlineData("localhost, Password = a b c ,ssl=true", "localhost, password=***,ssl=true")]
    [InlineData("redis://app:s3cret@cache.example:6380", "redis://app:***@cache.example:6380")]
    [InlineData("rediss://:s3cret@cache.example", "rediss://:***@cache.example")]
    [InlineData("localhost,user=app,password=", "localhost,user=app,password=***")]
    public void Secrets_never_reach_a_message(string configuration, string shown) =>
        ConnectionString.Redact(configuration).ShouldBe(shown);

    [Fact]
    public async Task A_failed_connection_does_not_print_the_password()
    {
        var e = await Should.ThrowAsync<BitmapistStoreException>(() => RedisStore.ConnectAsync("127.0.0.1:1,password=s3cret,connectTimeout=500"));
        e.Message.ShouldStartWith("Cannot connect to Redis at '127.0.0.1:1,password=***,connectTimeout=500'");
        e.Message.ShouldNotContain("s3cret");
    }
}
