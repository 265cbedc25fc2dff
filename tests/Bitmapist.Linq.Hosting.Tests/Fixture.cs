using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Bitmapist.Linq.Hosting.Tests;

/// <summary>Builds services and hosts from a JSON <c>Bitmapist</c> section, with "now" pinned.</summary>
internal static class Fixture
{
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static IConfiguration Config(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    public static ServiceProvider Services(string json)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        services.AddBitmapist(Config(json).GetSection("Bitmapist"));
        return services.BuildServiceProvider();
    }

    public static IHost Host(string json)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddConfiguration(Config(json));
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        builder.Services.AddBitmapist(builder.Configuration.GetSection("Bitmapist"));
        return builder.Build();
    }
}
