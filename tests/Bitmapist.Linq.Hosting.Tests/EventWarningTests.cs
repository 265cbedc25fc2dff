using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Bitmapist.Linq.Hosting.Tests;

/// <summary>A named query that reads an event with no key at all: a property on its result and a logged warning (issue 11 item 5).</summary>
public sealed class EventWarningTests
{
    private const string Section = """
        {
          "Bitmapist": {
            "SampleData": true,
            "SampleUsers": 500,
            "SampleDays": 30,
            "Queries": {
              "typo": "count month(actve) | week(song:plaed)",
              "good": "count month(active) & unique(premium)",
              "share": "percent month(active) of month(singup, -1)",
              "segment": "count month(active) & @segment",
              "old": "count month(active, 2020-01)"
            }
          }
        }
        """;

    [Fact]
    public async Task A_misspelt_event_is_a_warning_on_the_result_and_in_the_log()
    {
        var logs = new CapturingLoggerProvider();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddConfiguration(Fixture.Config(Section));
        builder.Services.AddSingleton<TimeProvider>(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Fixture.Now));
        builder.Services.AddLogging(l => l.AddProvider(logs));
        builder.Services.AddBitmapist(builder.Configuration.GetSection("Bitmapist"));
        using var host = builder.Build();
        await host.StartAsync();
        var queries = host.Services.GetRequiredService<NamedQueries>();

        var typo = await queries.RunAsync("typo");
        typo.Count.ShouldBe(0);
        typo.Warnings.Select(w => (w.EventName, w.Suggestions.FirstOrDefault())).ShouldBe([("actve", "active"), ("song:plaed", "song:played")]);
        logs.Warnings.ShouldBe([
            "The query Bitmapist:Queries:typo reads an event that has no data: The event 'actve' has no data in any period of this store, so it reads as an empty set: did you mean 'active'?",
            "The query Bitmapist:Queries:typo reads an event that has no data: The event 'song:plaed' has no data in any period of this store, so it reads as an empty set: did you mean 'song:played'?",
        ]);

        logs.Clear();
        (await queries.RunAsync("good")).Warnings.ShouldBeEmpty();
        (await queries.RunAsync("old")).Warnings.ShouldBeEmpty("active has data, only not in 2020: a real 0");
        (await queries.RunAsync("share")).Warnings.Single().EventName.ShouldBe("singup");
        (await queries.RunAsync("segment", new { segment = SetExprOf("unique(premum)") })).Warnings.Single().Suggestions.ShouldBe(["premium"]);
        (await queries.CheckEventsAsync("segment", new { segment = SetExprOf("unique(premium)") })).ShouldBeEmpty();
        logs.Warnings.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Without_a_logger_the_result_still_carries_the_warning()
    {
        using var services = Fixture.Services(Section);
        var queries = services.GetRequiredService<NamedQueries>();
        (await queries.RunAsync("typo")).Warnings.Count.ShouldBe(2);
        (await queries.RunAsync("good")).Warnings.ShouldBeEmpty();
    }

    private static Query.SetExpr SetExprOf(string text) => Text.TextQuery.ParseSet(text);

    /// <summary>Keeps the warnings logged, formatted.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _warnings = new();

        public IReadOnlyList<string> Warnings => [.. _warnings];

        public void Clear() => _warnings.Clear();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName == typeof(NamedQueries).FullName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, bool kept) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (kept && logLevel == LogLevel.Warning) owner._warnings.Enqueue(formatter(state, exception));
            }
        }
    }
}
