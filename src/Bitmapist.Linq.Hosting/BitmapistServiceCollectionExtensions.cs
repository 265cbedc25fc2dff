using Bitmapist.Linq.Model;
using Bitmapist.Linq.Query;
using Bitmapist.Linq.Stores;
using Bitmapist.Linq.Text;
using Bitmapist.Linq.Tracking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Bitmapist.Linq.Hosting;

/// <summary>Registers Bitmapist.Linq from a configuration section.</summary>
public static class BitmapistServiceCollectionExtensions
{
    /// <summary>
    /// Registers, from <paramref name="configuration"/> (typically <c>configuration.GetSection("Bitmapist")</c>):
    /// <see cref="BitmapistOptions"/> (validated at start-up), the <see cref="BitmapStore"/> as a singleton disposed
    /// with the container (Redis, an embedded file, the built-in sample or an empty in-memory store; "now" from a
    /// registered <see cref="TimeProvider"/> when there is one), <see cref="NamedQueries"/>, and a hosted service
    /// that opens the store and parses and plans every named query when the host starts, so a bad query stops
    /// start-up with an error naming it. Without a host, resolving <see cref="NamedQueries"/> does the same.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The <c>Bitmapist</c> section.</param>
    /// <param name="configure">Adjusts the options after binding.</param>
    public static IServiceCollection AddBitmapist(this IServiceCollection services, IConfiguration configuration, Action<BitmapistOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var path = configuration is IConfigurationSection section ? section.Path : "Bitmapist";

        // Checked by CreateStore, not by options validation: every problem of the section is reported at once, as
        // one BitmapistConfigurationException, before the binder can throw its own exception on a bad value.
        services.AddOptions<BitmapistOptions>()
            .Bind(configuration)
            .Configure(o =>
            {
                o.SectionPath = path;
                BindQueryLines(configuration, o);
                configure?.Invoke(o);
            });
        services.TryAddSingleton(new BitmapistSection(configuration, path));
        services.TryAddSingleton(CreateStore);
        services.TryAddSingleton<NamedQueries>();
        services.AddHostedService<BitmapistStartup>();
        return services;
    }

    /// <summary>
    /// Makes the store over a back end of one's own (docs/EXTENDING.md) instead of Redis or the embedded store: call
    /// it with <see cref="AddBitmapist"/>, in either order. The section's prefix, tracking, universe and queries apply
    /// as ever; naming <c>Redis</c>, <c>DataFile</c> or <c>SampleData</c> in it as well is a configuration error.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="backend">Makes the back end, given the services and the store's options (pass them to the
    /// back end if it names keys of its own: its key scheme is the store's). The store owns and disposes it.</param>
    public static IServiceCollection AddBitmapistBackend(this IServiceCollection services, Func<IServiceProvider, StoreOptions, Backends.IBitmapBackend> backend)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(backend);
        services.AddSingleton(new BitmapistBackendFactory(backend));
        return services;
    }

    /// <summary>A query written as a JSON array of lines binds as nothing: join its lines.</summary>
    private static void BindQueryLines(IConfiguration configuration, BitmapistOptions options)
    {
        foreach (var query in configuration.GetSection("Queries").GetChildren())
        {
            if (query.Value is not null) continue;
            var lines = query.GetChildren().ToList();
            if (lines.Count == 0) continue;
            options.Queries[query.Key] = string.Join("\n",
                lines.OrderBy(l => int.TryParse(l.Key, out var i) ? i : int.MaxValue).Select(l => l.Value ?? ""));
        }
    }

    private static BitmapStore CreateStore(IServiceProvider services)
    {
        var section = services.GetRequiredService<BitmapistSection>();
        var problems = BitmapistSectionCheck.Problems(section.Configuration, section.Path);
        if (problems.Count > 0) throw BitmapistConfigurationException.Of(problems); // binding would fail on them
        var o = services.GetRequiredService<IOptions<BitmapistOptions>>().Value;
        BitmapistSectionCheck.Validate(o, problems);
        SetExpr? universe = null;
        if (!string.IsNullOrWhiteSpace(o.Universe))
        {
            var setting = $"{o.SectionPath}:Universe";
            try
            {
                universe = TextQuery.ParseSet(o.Universe);
                if (StoreOptions.UniverseProblem(universe) is { } problem)
                {
                    problems.Add(new(setting, $"The universe {setting} ({o.Universe}) uses {problem}: the universe is the set 'users' and '~x' stand for, " +
                        "so it must be made of events, flags and ids, e.g. unique(user) or year(active, -2..0)."));
                    universe = null;
                }
            }
            catch (QuerySyntaxException e)
            {
                problems.Add(BitmapistConfigurationException.DoesNotParse("universe", setting, e));
            }
        }
        var custom = services.GetService<BitmapistBackendFactory>();
        if (custom is not null && (!string.IsNullOrWhiteSpace(o.Redis) || !string.IsNullOrWhiteSpace(o.DataFile) || o.SampleData))
        {
            var setting = !string.IsNullOrWhiteSpace(o.Redis) ? "Redis" : !string.IsNullOrWhiteSpace(o.DataFile) ? "DataFile" : "SampleData";
            problems.Add(new($"{o.SectionPath}:{setting}",
                $"{o.SectionPath}:{setting} is set, and a back end is registered with AddBitmapistBackend: the store would use only one; remove the other."));
        }
        if (!string.IsNullOrWhiteSpace(o.IdMap))
        {
            try
            {
                IdMapping.IdMap.ValidateName(o.IdMap);
            }
            catch (ArgumentException e)
            {
                problems.Add(new($"{o.SectionPath}:IdMap", $"{o.SectionPath}:IdMap: {e.Message.Replace(" (Parameter 'name')", "", StringComparison.Ordinal)}"));
            }
        }
        if (problems.Count > 0) throw BitmapistConfigurationException.Of(problems);
        var options = new StoreOptions
        {
            IdMap = string.IsNullOrWhiteSpace(o.IdMap) ? null : o.IdMap,
            Keys = new KeyScheme(o.Prefix),
            Layout = BitmapistSectionCheck.Layout(o),
            Clock = services.GetService<TimeProvider>() ?? TimeProvider.System,
            Tracking = new TrackingOptions(o.Tracking.Hourly, o.Tracking.Unique),
            Universe = universe,
        };
        if (custom is not null) return new BitmapStore(custom.Create(services, options), options);
        if (!string.IsNullOrWhiteSpace(o.Redis))
            return Task.Run(() => RedisStore.ConnectAsync(o.Redis, options)).GetAwaiter().GetResult();
        if (!string.IsNullOrWhiteSpace(o.DataFile))
            return EmbeddedStore.Open(o.DataFile, options);
        var store = new EmbeddedStore(options);
        if (o.SampleData)
        {
            var sample = new Sample.SampleDataOptions(o.SampleUsers, o.SampleDays);
            Task.Run(() => Sample.SampleData.GenerateAsync(store, sample)).GetAwaiter().GetResult();
        }
        return store;
    }
}

/// <summary>The raw <c>Bitmapist</c> section and its path, checked before it is bound.</summary>
internal sealed record BitmapistSection(IConfiguration Configuration, string Path);

/// <summary>Opens the store and checks every named query when the host starts.</summary>
internal sealed class BitmapistStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<NamedQueries>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The back end registered with <see cref="BitmapistServiceCollectionExtensions.AddBitmapistBackend"/>.</summary>
internal sealed record BitmapistBackendFactory(Func<IServiceProvider, StoreOptions, Backends.IBitmapBackend> Create);
